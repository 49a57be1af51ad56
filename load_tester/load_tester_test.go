package load_tester_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/load_tester"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

func options(t *testing.T, n int) load_tester.Options {
	ike, err := config.ParseProposals(config.ProtoIKE, "aes128-sha256-x25519")
	if err != nil {
		t.Fatal(err)
	}
	esp, err := config.ParseProposals(config.ProtoESP, "aes128gcm16")
	if err != nil {
		t.Fatal(err)
	}
	return load_tester.Options{Enable: true, Initiators: 1, Iterations: n, Initiator: "192.168.0.100",
		Responder: "192.168.0.1", Proposal: ike, ESP: esp, InitiatorAuth: "psk", ResponderAuth: "psk",
		PreSharedKey: "default-psk", RequestVirtualIP: true, InitiatorTSr: "10.1.0.0/16",
		ChildRekey: 600, Version: config.IKEv2}
}

// lab: carol runs the load tester against moon, a goswan gateway with a
// pool and conn rw for every c<n>-r1.strongswan.org.
func lab(t *testing.T) (*ikesim.Sim, *ikesim.Node, *ikesim.Node, *attributes.Pools) {
	s := ikesim.New(t)
	moon := s.AddNode("moon", "192.168.0.1", 1, nil)
	carol := s.AddNode("carol", "192.168.0.100", 2, nil)
	pools := attributes.NewPools()
	pools.Add(attributes.NewSubnetPool("10.3.0.0/16", netip.MustParseAddr("10.3.0.0"), 16, nil))
	moon.Env.Attributes.AddProvider(pools)
	moon.Conn(t, ikesim.ConnOpts{Name: "rw", Local: "192.168.0.1", Remote: "%any", LocalID: "srv.strongswan.org",
		RemoteID: "*.strongswan.org", LocalNet: []string{"10.1.0.0/16"}, Pools: []string{"10.3.0.0/16"}, PSK: "default-psk"})
	return s, moon, carol, pools
}

func start(carol *ikesim.Node, o load_tester.Options) *load_tester.Plugin {
	return load_tester.Start(o, load_tester.Deps{Env: carol.Env, Sleep: func(time.Duration) {}, Go: func(f func()) { f() }})
}

// TestLoadWithVirtualIPs: 50 initiators each get their own lease; when
// they are gone the leases are offline, and the same initiators (the
// numbers start over with a new plugin) get their addresses back.
func TestLoadWithVirtualIPs(t *testing.T) {
	const n = 50
	s, moon, carol, pools := lab(t)
	p := start(carol, options(t, n))
	s.Advance(5 * time.Second)
	if got := p.Established(); got != n {
		t.Fatalf("%d established, want %d\n%s", got, n, carol.LogText())
	}
	first := map[string]string{}
	for _, ike := range carol.SAs(t) {
		vips := ike.VirtualIPs(true)
		if len(vips) != 1 {
			t.Fatalf("%s: virtual IPs %v", ike.MyID(), vips)
		}
		id := ike.MyID().String()
		if !strings.HasSuffix(id, "-r1.strongswan.org") {
			t.Errorf("identity %s", id)
		}
		first[id] = vips[0].String()
	}
	seen := map[string]bool{}
	for _, a := range first {
		if seen[a] {
			t.Errorf("address %s leased twice", a)
		}
		seen[a] = true
	}
	if info := pools.List()[0]; info.Online != n || info.Offline != 0 {
		t.Errorf("pool %+v", info)
	}
	for _, ike := range carol.SAs(t) {
		carol.WithIKESA(t, ike.UniqueID(), func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	}
	s.Advance(5 * time.Second)
	if info := pools.List()[0]; info.Online != 0 || info.Offline != n {
		t.Errorf("pool after all left %+v", info)
	}
	p.Stop()
	p = start(carol, options(t, n))
	s.Advance(5 * time.Second)
	if got := len(carol.SAs(t)); got != n {
		t.Fatalf("%d IKE_SAs after reconnecting", got)
	}
	for _, ike := range carol.SAs(t) {
		id := ike.MyID().String()
		if got := ike.VirtualIPs(true)[0].String(); got != first[id] {
			t.Errorf("%s got %s back, had %s", id, got, first[id])
		}
	}
	moon.WantLog(t, "[CFG] reassigning offline lease to 'c1-r1.strongswan.org'")
	p.Stop()
}

// TestBackendConfigs: the initiator configs number their identities, the
// responder matches them all; traffic selectors with protocols and
// %unique ports.
func TestBackendConfigs(t *testing.T) {
	o := options(t, 1)
	o.InitiatorTSi = "10.9.0.0/16[tcp/%unique], %dynamic[udp/53]"
	o.InitiatorTSr = "10.1.0.0/16[icmp]"
	b := load_tester.NewBackend(o, 500, 4500, 32, nil)
	if b.PeerCfgByName("other") != nil {
		t.Error("answered another name")
	}
	for i := 1; i <= 3; i++ {
		p := b.PeerCfgByName(load_tester.Name)
		if got := p.LocalAuth[0].Identity.String(); got != fmt.Sprintf("c%d-r1.strongswan.org", i) {
			t.Errorf("initiator %d: %s", i, got)
		}
		if got := p.RemoteAuth[0].Identity.String(); got != "srv.strongswan.org" {
			t.Errorf("initiator %d expects %s", i, got)
		}
		c := p.Children()[0]
		// with a virtual IP requested the initiator's selector is dynamic
		if len(c.LocalTS) != 1 || c.LocalTS[0].String() != "dynamic" {
			t.Errorf("initiator %d TSi %v", i, c.LocalTS)
		}
		if len(c.RemoteTS) != 1 || c.RemoteTS[0].Protocol() != 1 {
			t.Errorf("initiator %d TSr %v", i, c.RemoteTS)
		}
	}
	r := b.PeerCfgs()[0]
	if got := r.RemoteAuth[0].Identity.String(); got != "*.strongswan.org" {
		t.Errorf("responder expects %s", got)
	}
	o.RequestVirtualIP = false
	b = load_tester.NewBackend(o, 500, 4500, 32, nil)
	c := b.PeerCfgByName(load_tester.Name).Children()[0]
	if len(c.LocalTS) != 2 || c.LocalTS[0].FromPort() != 1025 || c.LocalTS[1].Protocol() != 17 {
		t.Errorf("TSi %v", c.LocalTS)
	}
}

// TestOptionsProposals: proposal and esp are one proposal each, nothing
// appended; one that does not parse falls back to the plugin's default.
func TestOptionsProposals(t *testing.T) {
	for _, c := range []struct{ conf, ike, esp string }{
		{"esp = aes128gcm16\nproposal = aes128-sha256-x25519",
			"IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519", "ESP:AES_GCM_16_128/NO_EXT_SEQ"},
		{"esp = nonsense\nproposal = nonsense",
			"IKE:AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_768", "ESP:AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ"},
	} {
		s, err := settings.Parse("strongswan.conf", []byte("charon {\n plugins {\n load-tester {\n"+c.conf+"\n}\n}\n}\n"), nil)
		if err != nil {
			t.Fatal(err)
		}
		o := load_tester.OptionsFrom(s)
		if len(o.Proposal) != 1 || o.Proposal[0].String() != c.ike || len(o.ESP) != 1 || o.ESP[0].String() != c.esp {
			t.Errorf("%q: %v %v", c.conf, o.Proposal, o.ESP)
		}
	}
}
