package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/stroke"
)

// TestAddConnSeed004: the four add_conn messages Debian's starter sends
// for seeds/004's home agent (starter/testdata/startup/50-mipv6-ha) load
// as charon loads them: carol-mh and dave-mh as peer configs, the tunnels
// merged into them, the Mobility Header conns in transport_proxy mode with
// protocol 135, all without policies.
func TestAddConnSeed004(t *testing.T) {
	d, moon := configNode(t)
	sc := &strokeConfig{d: d}
	files, _ := filepath.Glob(filepath.Join("..", "starter", "testdata", "startup", "50-mipv6-ha.*_STR_ADD_CONN.bin"))
	if len(files) != 4 {
		t.Fatalf("%d captures", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := stroke.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		sc.AddConn(context.Background(), m.Body.(*stroke.AddConn))
	}
	moon.WantLogOrder(t, "[CFG] added configuration 'carol-mh'", "[CFG] added child to existing configuration 'carol-mh'",
		"[CFG] added configuration 'dave-mh'", "[CFG] added child to existing configuration 'dave-mh'")
	for _, mn := range []struct{ name, home string }{{"carol", "2001:1::10/128"}, {"dave", "2001:1::20/128"}} {
		peer := d.backends.ByName(mn.name + "-mh")
		if peer == nil {
			t.Fatalf("%s-mh not loaded", mn.name)
		}
		if peer.IKE.Local != "2001:1::1" || peer.IKE.Remote != "%any" || peer.UseMOBIKE || peer.ReauthTime != 0 {
			t.Errorf("%s: %s...%s mobike %v reauth %d", peer.Name, peer.IKE.Local, peer.IKE.Remote, peer.UseMOBIKE, peer.ReauthTime)
		}
		if id := peer.RemoteAuth[0].Identity.String(); id != mn.name+"@strongswan.org" {
			t.Errorf("%s: remote id %s", peer.Name, id)
		}
		if got := config.FormatProposals(peer.IKE.Proposals); got != "IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048" {
			t.Errorf("%s: IKE proposals %s", peer.Name, got)
		}
		mh, tunnel := peer.Child(mn.name+"-mh"), peer.Child(mn.name+"-tunnel")
		if mh == nil || tunnel == nil || len(peer.Children()) != 2 {
			t.Fatalf("%s: children %v", peer.Name, peer.Children())
		}
		if mh.Mode != kernel.ModeTransport || !mh.Has(config.OptProxyMode) || !mh.Has(config.OptNoPolicies) {
			t.Errorf("%s: mode %v options %v", mh.Name, mh.Mode, mh.Options)
		}
		ts := func(c *config.ChildCfg) string {
			return strings.Join([]string{c.LocalTS[0].String(), c.RemoteTS[0].String()}, " === ")
		}
		if got, want := ts(mh), mhTS(t, "2001:1::1/128")+" === "+mhTS(t, mn.home); got != want {
			t.Errorf("%s: %s, want %s", mh.Name, got, want)
		}
		if tunnel.Mode != kernel.ModeTunnel || tunnel.Has(config.OptProxyMode) || !tunnel.Has(config.OptNoPolicies) ||
			ts(tunnel) != "::/0 === "+mn.home {
			t.Errorf("%s: mode %v options %v %s", tunnel.Name, tunnel.Mode, tunnel.Options, ts(tunnel))
		}
	}
}

// mhTS is a selector for the Mobility Header (protocol 135, type 0), as
// leftprotoport=135/0 gives it.
func mhTS(t *testing.T, prefix string) string {
	t.Helper()
	ts, err := selectors.ParseCIDR(prefix, 135, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	return ts.String()
}
