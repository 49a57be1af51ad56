package daemon

import (
	"context"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// ipsec stroke user-creds: the EAP identity goes into the conn's EAP
// round and the password becomes an EAP secret of that identity and the
// gateway, which the EAP method finds with the password intact.
func TestUserCredsEAP(t *testing.T) {
	d, _ := configNode(t)
	moon := credentials.ParseIdentity("moon.strongswan.org")
	peer := &config.PeerCfg{Name: "home",
		LocalAuth:  []*config.AuthCfg{{Class: config.AuthClassEAP, Identity: credentials.Any()}},
		RemoteAuth: []*config.AuthCfg{{Class: config.AuthClassPubkey, Identity: moon}}}
	d.backends.Add(peer, nil)
	sc := &strokeConfig{d: d}
	var out stroke.Reply
	sc.UserCreds(context.Background(), &stroke.UserCreds{Name: stroke.S("home"), Username: stroke.S("carol"),
		Password: stroke.S("Ar3etTnp")}, &out)
	carol := credentials.ParseIdentity("carol")
	if got := d.backends.ByName("home").LocalAuth[0].EAPIdentity; got == nil || got.String() != "carol" {
		t.Errorf("EAP identity %v", got)
	}
	k, ok := d.creds.Shared(credentials.SharedEAP, carol, moon)
	if !ok || string(k.Secret) != "Ar3etTnp" {
		t.Fatalf("EAP secret %v %q", ok, k.Secret)
	}
}
