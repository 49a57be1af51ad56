package authenticators

import (
	"crypto/subtle"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// psk is psk_authenticator.c: the AUTH data is a MAC with the shared
// secret over the signed octets.
type psk struct {
	ike   *sa.IKESA
	init  []byte // the IKE_SA_INIT message of the side that signs
	nonce []byte // the other side's nonce
}

func (p *psk) Build(m *encoding.Message) sa.Status {
	ike := p.ike
	me, other := ike.MyID(), ike.OtherID()
	ike.Log(bus.IKE, bus.Control, "authentication of '%s' (myself) with %s", me, encoding.AuthPSK)
	key, ok := ike.Env().Creds.Shared(credentials.SharedIKE, me, other)
	if !ok {
		ike.Log(bus.IKE, bus.Control, "no shared key found for '%s' - '%s'", me, other)
		return sa.NotFound
	}
	defer key.Wipe()
	auth, err := ike.Keymat().PSKAuth(ike.Logger(), false, p.init, p.nonce, key.Secret, sa.IDPayload(me, !ike.ID().Initiator))
	if err != nil {
		ike.Log(bus.IKE, bus.Control, "building shared key MAC failed: %v", err)
		return sa.Failed
	}
	ike.Log(bus.IKE, bus.Diag, "successfully created shared key MAC")
	m.Add(&encoding.Auth{Method: encoding.AuthPSK, Data: auth})
	return sa.Success
}

func (p *psk) Process(m *encoding.Message) sa.Status {
	ike := p.ike
	a, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	if a == nil {
		return sa.Failed
	}
	me, other := ike.MyID(), ike.OtherID()
	matches := ike.Env().Creds.SharedKeys(credentials.SharedIKE, me, other)
	authenticated := false
	for _, km := range matches {
		want, err := ike.Keymat().PSKAuth(ike.Logger(), true, p.init, p.nonce, km.Key.Secret, sa.IDPayload(other, ike.ID().Initiator))
		km.Key.Wipe()
		if err == nil && len(want) > 0 && subtle.ConstantTimeCompare(want, a.Data) == 1 {
			authenticated = true
		}
		if authenticated {
			break
		}
	}
	if !authenticated {
		if len(matches) == 0 {
			ike.Log(bus.IKE, bus.Control, "no shared key found for '%s' - '%s'", me, other)
			return sa.NotFound
		}
		plural := "s"
		if len(matches) == 1 {
			plural = ""
		}
		ike.Log(bus.IKE, bus.Control, "tried %d shared key%s for '%s' - '%s', but MAC mismatched", len(matches), plural, me, other)
		return sa.Failed
	}
	ike.Log(bus.IKE, bus.Control, "authentication of '%s' with %s successful", other, encoding.AuthPSK)
	ike.CurrentAuth(false).Class = config.AuthClassPSK
	return sa.Success
}

func (p *psk) IsMutual() bool { return false }
func (p *psk) Destroy()       {}
