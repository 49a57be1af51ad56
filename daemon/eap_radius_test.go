package daemon

import (
	"testing"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/eap/radius"
)

func radiusConf(t *testing.T, text string) []*radius.Pool {
	t.Helper()
	s, err := settings.Parse("strongswan.conf", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := configNode(t)
	pools := d.radiusServers(s)
	t.Cleanup(func() {
		for _, p := range pools {
			p.Close()
		}
	})
	return pools
}

// The legacy single server takes the plugin's settings and charon's
// defaults (1812, strongSwan, one socket, 4 tries from 2s, base 1.4).
func TestRadiusLegacyServer(t *testing.T) {
	pools := radiusConf(t, `charon { plugins { eap-radius { server = 10.1.0.10
		secret = gv6URkSs } } }`)
	if len(pools) != 1 {
		t.Fatalf("%d servers", len(pools))
	}
	got, want := pools[0].Server, radius.Server{Name: "10.1.0.10", Address: "10.1.0.10", AuthPort: 1812, AcctPort: 1813,
		NASIdentifier: "strongSwan", Secret: []byte("gv6URkSs"), Sockets: 1, Tries: 4, Timeout: 2, Base: 1.4}
	if got.Name != want.Name || got.Address != want.Address || got.AuthPort != want.AuthPort || got.AcctPort != want.AcctPort ||
		got.NASIdentifier != want.NASIdentifier || string(got.Secret) != string(want.Secret) || got.Sockets != want.Sockets ||
		got.Tries != want.Tries || got.Timeout != want.Timeout || got.Base != want.Base {
		t.Errorf("server\n got %+v\nwant %+v", got, want)
	}
	if pools := radiusConf(t, `charon { plugins { eap-radius { server = 10.1.0.10 } } }`); len(pools) != 0 {
		t.Errorf("a server without a secret: %d", len(pools))
	}
}

// servers sections: each takes its own settings over the plugin's; one
// without address or secret is skipped.
func TestRadiusServerSections(t *testing.T) {
	pools := radiusConf(t, `charon { plugins { eap-radius {
		nas_identifier = moon
		retransmit_tries = 3
		servers {
			primary { address = 10.1.0.10
				secret = one
				auth_port = 11812
				preference = 10
				sockets = 4 }
			backup { address = 10.1.0.20
				secret = two
				port = 21812
				nas_identifier = gw }
			broken { address = 10.1.0.30 }
			nameless { secret = x }
		} } } }`)
	if len(pools) != 2 {
		t.Fatalf("%d servers", len(pools))
	}
	p, b := pools[0].Server, pools[1].Server
	if p.Name != "primary" || p.AuthPort != 11812 || p.Preference != 10 || p.Sockets != 4 || p.NASIdentifier != "moon" ||
		p.Tries != 3 || string(p.Secret) != "one" {
		t.Errorf("primary: %+v", p)
	}
	if b.Name != "backup" || b.AuthPort != 21812 || b.NASIdentifier != "gw" || b.Sockets != 1 || string(b.Secret) != "two" {
		t.Errorf("backup: %+v", b)
	}
}
