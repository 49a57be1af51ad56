package tasks_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// The CHILD_SA set up with IKE_AUTH takes its keys from
// prf+(SK_d, Ni | Nr) with the IKE_SA_INIT nonces (RFC 7296 §2.17). Two
// goswan daemons agree on any key schedule they share, so this checks the
// installed keys against the nonces seen on the wire: without them the SA
// interoperates with nothing else (strongSwan reports "MAC verification
// failed" on every packet).
func TestIKEAuthChildKeysUseInitNonces(t *testing.T) {
	s, moon, sun, peer, child := ikesim.NetNet(t, nil)
	var ni, nr []byte
	s.Drop = func(p sa.Packet) bool {
		m, err := encoding.Decode(p.Data)
		if err != nil || m.Exchange != encoding.ExchangeIKESAInit {
			return false
		}
		if n, ok := m.First(encoding.PayloadNonce).(*encoding.Nonce); ok {
			if m.Response {
				nr = bytes.Clone(n.Data)
			} else {
				ni = bytes.Clone(n.Data)
			}
		}
		return false
	}
	moon.Initiate(peer, child)
	s.Clock.Advance(time.Second)
	if len(ni) == 0 || len(nr) == 0 {
		t.Fatalf("no nonces seen on the wire")
	}
	for _, n := range []*ikesim.Node{moon, sun} {
		ikes := n.IKESAs()
		if len(ikes) != 1 || ikes[0].ChildCount() != 1 {
			t.Fatalf("%s: no CHILD_SA:\n%s", n.Name, n.LogText())
		}
		ike, c := ikes[0], ikes[0].Children()[0]
		want, err := ike.Keymat().ChildKeys(bus.Discard, c.Proposal(), nil, ni, nr)
		if err != nil {
			t.Fatal(err)
		}
		me, other := c.Addrs()
		in, ok := n.Kern.SA(me, c.SPI(true), c.Protocol())
		if !ok {
			t.Fatalf("%s: inbound SA missing", n.Name)
		}
		out, ok := n.Kern.SA(other, c.SPI(false), c.Protocol())
		if !ok {
			t.Fatalf("%s: outbound SA missing", n.Name)
		}
		inKey, outKey := want.EncrR, want.EncrI
		if n == sun {
			inKey, outKey = want.EncrI, want.EncrR
		}
		if !bytes.Equal(in.EncKey, inKey) || !bytes.Equal(out.EncKey, outKey) {
			t.Errorf("%s: CHILD_SA keys are not prf+(SK_d, Ni | Nr) of the IKE_SA_INIT nonces", n.Name)
		}
	}
}
