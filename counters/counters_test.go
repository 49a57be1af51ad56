package counters

import (
	"slices"
	"testing"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

func TestCountsExchangesAndRekeysPerConnection(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	moon, sun := New(), New()
	p.Moon.Env.Events.Add(moon)
	p.Sun.Env.Events.Add(sun)
	p.Up()
	ike := p.Moon.WantEstablished(t, 1)
	child := ike.Children()[0]
	p.Moon.WithIKESA(t, ike.UniqueID(), func(ike *sa.IKESA) sa.Status {
		return ike.RekeyChild(child.Protocol(), child.SPI(true))
	})
	want := func(c *Counters, name string, set map[Type]uint64) {
		t.Helper()
		got, ok := c.Get(name)
		if !ok {
			t.Fatalf("no counters for %q", name)
		}
		for i := Type(0); i < Max; i++ {
			if got[i] != set[i] {
				t.Errorf("%q counter %d = %d, want %d", name, i, got[i], set[i])
			}
		}
	}
	// moon: its IKE_SA_INIT and IKE_AUTH requests, the CHILD_SA rekey and
	// the delete of the old CHILD_SA.
	moonWant := map[Type]uint64{OutIKESAInitReq: 1, InIKESAInitResp: 1, OutIKEAuthReq: 1, InIKEAuthResp: 1,
		OutCreateChildSAReq: 1, InCreateChildSAResp: 1, ChildSARekey: 1, OutInformationalReq: 1, InInformationalResp: 1}
	want(moon, "", moonWant)
	want(moon, "net-net", moonWant)
	sunWant := map[Type]uint64{InIKESAInitReq: 1, OutIKESAInitResp: 1, InIKEAuthReq: 1, OutIKEAuthResp: 1,
		InCreateChildSAReq: 1, OutCreateChildSAResp: 1, ChildSARekey: 1, InInformationalReq: 1, OutInformationalResp: 1}
	want(sun, "", sunWant)
	if n := moon.Names(); !slices.Equal(n, []string{"net-net"}) {
		t.Errorf("names %v", n)
	}
	if _, ok := moon.Get("nope"); ok {
		t.Error("counters for an unknown connection")
	}
	moon.ResetAll()
	if _, ok := moon.Get("net-net"); ok || len(moon.Names()) != 0 {
		t.Error("ResetAll kept a connection")
	}
	if g, _ := moon.Get(""); g[OutIKESAInitReq] != 1 {
		t.Error("ResetAll reset the global counters, charon keeps them")
	}
	moon.Reset("")
	if g, _ := moon.Get(""); g[OutIKESAInitReq] != 0 {
		t.Error("Reset of the global counters")
	}
	moon.Alert(nil, sa.AlertInvalidIKESPI)
	moon.Alert(nil, sa.AlertParseErrorBody)
	if g, _ := moon.Get(""); g[InInvalidIKESPI] != 1 || g[InInvalid] != 1 {
		t.Errorf("alerts: %v", g)
	}
}
