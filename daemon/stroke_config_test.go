package daemon

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/ikesim"
)

// loadCapture decodes the add_conn messages Debian's starter sent for one
// file of confparse's starter corpus.
func loadCapture(t *testing.T, name string) []*stroke.AddConn {
	t.Helper()
	return decodeCaptures(t, name+".*_STR_ADD_CONN.bin", 1)
}

// loadAllCaptures decodes every add_conn of the starter corpus.
func loadAllCaptures(t *testing.T) []*stroke.AddConn {
	t.Helper()
	return decodeCaptures(t, "*_STR_ADD_CONN.bin", 40)
}

// decodeCaptures decodes the captures matching glob, at least atLeast.
func decodeCaptures(t *testing.T, glob string, atLeast int) []*stroke.AddConn {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "confparse", "testdata", "starter", glob))
	if err != nil || len(files) < atLeast {
		t.Fatalf("%d captures %s: %v", len(files), glob, err)
	}
	var out []*stroke.AddConn
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m, err := stroke.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, m.Body.(*stroke.AddConn))
	}
	return out
}

func configDaemon(t *testing.T) *Daemon {
	d, _ := configNode(t)
	return d
}

// configNode is a daemon without connections over a simulated node, whose
// log is the daemon's.
func configNode(t *testing.T) (*Daemon, *ikesim.Node) {
	_, moon, _, _, _ := ikesim.NetNet(t, nil)
	d := simDaemon(moon)
	d.backends = &config.Backends{}
	d.env.Backends = d.backends
	d.conf.Store(settings.Empty())
	return d, moon
}

// The seed's rekeying conn (confparse/testdata/starter/04-net2net-rekey),
// as Debian's starter sent it, becomes the configs charon builds.
func TestAddConnSeedRekey(t *testing.T) {
	d := configDaemon(t)
	sc := &strokeConfig{d: d}
	for _, c := range loadCapture(t, "04-net2net-rekey") {
		sc.AddConn(context.Background(), c)
	}
	// leftcert= and the default public-key authentication: the conn
	// loads, without the certificate, which is not in this test's ipsec.d
	// (charon loads it the same way, logging the failure).
	peer := d.backends.ByName("net-net")
	if peer == nil {
		t.Fatal("net-net not loaded")
	}
	// ikelifetime=60m, margintime=5s, rekeyfuzz=0%, keyexchange=ikev2:
	// reauthentication (starter's default) 5 s before the end, no jitter.
	if peer.ReauthTime != 3595 || peer.RekeyTime != 0 || peer.JitterTime != 0 || peer.OverTime != 5 {
		t.Errorf("IKE times: reauth %d rekey %d jitter %d over %d", peer.ReauthTime, peer.RekeyTime, peer.JitterTime, peer.OverTime)
	}
	if peer.KeyingTries != 1 || peer.UseMOBIKE || peer.IKE.Version != config.IKEv2 {
		t.Errorf("peer: tries %d mobike %v version %d", peer.KeyingTries, peer.UseMOBIKE, peer.IKE.Version)
	}
	if peer.IKE.Local != "192.168.0.1" || peer.IKE.Remote != "192.168.0.2" {
		t.Errorf("addresses %q %q (moon's own address is 192.168.0.1)", peer.IKE.Local, peer.IKE.Remote)
	}
	if len(peer.LocalAuth) != 1 || peer.LocalAuth[0].Class != config.AuthClassPubkey ||
		peer.LocalAuth[0].Identity.String() != "moon.strongswan.org" {
		t.Errorf("local auth %+v", peer.LocalAuth)
	}
	child := peer.Child("net-net")
	want := kernel.LifetimeLimit{Life: 10, Rekey: 5, Jitter: 0}
	if child.Lifetime.Time != want {
		t.Errorf("CHILD_SA lifetime %+v, want %+v", child.Lifetime.Time, want)
	}
	if got := strings.Join([]string{child.LocalTS[0].String(), child.RemoteTS[0].String()}, " "); got != "10.1.0.0/16 10.2.0.0/16" {
		t.Errorf("traffic selectors %s", got)
	}
	if child.Mode != kernel.ModeTunnel || child.Updown != "ipsec _updown iptables" {
		t.Errorf("mode %v updown %q", child.Mode, child.Updown)
	}
	// no ike=/esp=: Debian's charon's defaults, whole (goswan implements
	// every algorithm in them)
	if got, want := config.FormatProposals(peer.IKE.Proposals), config.FormatProposals(config.DefaultProposals(config.ProtoIKE)); got != want {
		t.Errorf("IKE proposals:\n got %s\nwant %s", got, want)
	}
	if got, want := config.FormatProposals(child.Proposals), config.FormatProposals(config.DefaultProposals(config.ProtoESP)); got != want {
		t.Errorf("ESP proposals:\n got %s\nwant %s", got, want)
	}
}

// Every conn of the corpus loads (or is refused as charon refuses it)
// without panicking, and deleting it leaves nothing behind.
func TestAddConnCorpus(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "confparse", "testdata", "starter", "*_STR_ADD_CONN.bin"))
	if len(files) < 40 {
		t.Fatalf("corpus has %d add_conn captures", len(files))
	}
	d := configDaemon(t)
	sc := &strokeConfig{d: d}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		m, err := stroke.Decode(b)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		c := m.Body.(*stroke.AddConn)
		sc.AddConn(context.Background(), c)
		sc.DelConn(context.Background(), c.Name)
		if p := d.backends.ByName(c.Name.Value); p != nil {
			t.Errorf("%s: %s still loaded after del_conn", f, c.Name)
		}
	}
}

func TestProtoport(t *testing.T) {
	for _, c := range []struct {
		in       string
		proto    uint8
		from, to uint16
		ok       bool
	}{
		{"tcp]", 6, 0, 0xffff, true},
		{"tcp/http]", 6, 80, 80, true},
		{"udp/1000-2000]", 17, 1000, 2000, true},
		{"%any/%opaque]", 0, 0xffff, 0, true},
		{"icmp/8]", 1, 8, 8, true},
		{"17/%any]", 17, 0, 0xffff, true},
		{"nosuchproto]", 0, 0, 0, false},
		{"tcp/70000]", 0, 0, 0, false},
		{"tcp", 0, 0, 0, false},
	} {
		from, to, proto := uint16(0), uint16(0xffff), uint8(0)
		ok := parseProtoport(c.in, &from, &to, &proto)
		if ok != c.ok || (ok && (proto != c.proto || from != c.from || to != c.to)) {
			t.Errorf("parseProtoport(%q) = %d %d-%d %v", c.in, proto, from, to, ok)
		}
	}
}
