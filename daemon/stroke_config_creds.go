package daemon

import (
	"context"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// UserCreds implements stroke.Configs: XAuth and EAP user names and
// passwords (ipsec user-creds) for connections that authenticate with
// them.
func (s *strokeConfig) UserCreds(_ context.Context, msg *stroke.UserCreds, out *stroke.Reply) {
	name := msg.Name.Value
	peer := s.d.backends.ByName(name)
	if peer == nil {
		s.log(bus.Control, "  no config named '%s'", name)
		out.Printf("no config named '%s'\n", name)
		return
	}
	user := msg.Username.Value
	id := credentials.ParseIdentity(user)
	if user == "" || id == nil || id.Type() == credentials.IDAny {
		s.log(bus.Control, "  invalid username '%s'", user)
		out.Printf("invalid username '%s'\n", user)
		return
	}
	var gw *credentials.Identity
	eap := false
	for i, a := range peer.LocalAuth {
		if i < len(peer.RemoteAuth) {
			if r := peer.RemoteAuth[i].Identity; r != nil && r.Type() != credentials.IDAny {
				gw = r
			}
		}
		if a.Class != config.AuthClassEAP && a.Class != config.AuthClassXAuth {
			continue
		}
		if a.Class == config.AuthClassEAP {
			a.EAPIdentity = id
			if aaa := a.AAAIdentity; aaa != nil && aaa.Type() != credentials.IDAny {
				gw = aaa
			}
			s.log(bus.Control, "  configured EAP-Identity %s", id)
		} else {
			a.XAuthIdentity = id
			s.log(bus.Control, "  configured XAuth username %s", id)
		}
		eap = true
		break
	}
	if !eap {
		s.log(bus.Control, "  config '%s' unsuitable for user credentials", name)
		out.Printf("config '%s' unsuitable for user credentials\n", name)
		return
	}
	var password []byte
	if msg.Password.Valid {
		password = []byte(msg.Password.Value)
	} else {
		answer, err := out.Prompt("Password:")
		if err != nil {
			return
		}
		password = []byte(answer)
	}
	if len(password) == 0 {
		return
	}
	owners := []string{id.String()}
	if gw != nil {
		owners = append(owners, gw.String())
		s.log(bus.Control, "  added EAP secret for %s %s", id, gw)
	} else {
		s.log(bus.Control, "  added EAP secret for %s", id)
	}
	// The key owns the password from here on, as charon's shared key
	// owns the chunk.
	s.d.creds.Add(credentials.NewSharedKey(credentials.SharedEAP, password, owners...))
}
