package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// handshakeScript runs moon and sun through every kind of exchange: the
// establishment, a CHILD_SA rekey, a second CHILD_SA, an IKE_SA rekey and
// a CHILD_SA delete, then lets every retransmission and timeout run out.
// alter and alterPlain (either may be nil) interfere with one message.
func handshakeScript(t *testing.T, alter func(ikesim.WireRecord) []byte,
	alterPlain func(seq int, from *ikesim.Node, m *encoding.Message)) *ikesim.Pair {
	p := ikesim.NewPair(t, nil)
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	p.Alter, p.AlterPlain = alter, alterPlain
	p.Up()
	p.AdvanceTo(2 * time.Second)
	withFirst := func(n *ikesim.Node, fn func(ike *sa.IKESA) sa.Status) {
		// The SA may be gone, or not yet established, when a message was
		// destroyed: then there is nothing to do.
		for _, ike := range n.SAs(t) {
			n.WithIKESA(t, ike.UniqueID(), fn)
			return
		}
	}
	withFirst(p.Moon, func(ike *sa.IKESA) sa.Status {
		for _, c := range ike.Children() {
			return ike.RekeyChild(c.Protocol(), c.SPI(true))
		}
		return sa.Success
	})
	p.AdvanceTo(3 * time.Second)
	p.Moon.Initiate(p.MoonPeer, c2)
	p.AdvanceTo(4 * time.Second)
	withFirst(p.Sun, func(ike *sa.IKESA) sa.Status {
		if ike.State() != sa.IKEEstablished {
			return sa.Success
		}
		return ike.Rekey()
	})
	p.AdvanceTo(5 * time.Second)
	withFirst(p.Sun, func(ike *sa.IKESA) sa.Status {
		for _, c := range ike.Children() {
			if c.Name() == "net-net2" {
				return ike.DeleteChild(c.Protocol(), c.SPI(true), false)
			}
		}
		return sa.Success
	})
	// Longer than any retransmission sequence (165 s) and the half-open
	// timeout, shorter than the CHILD_SA and IKE_SA lifetimes.
	p.AdvanceTo(400 * time.Second)
	return p
}

// TestHandshakeScript: without interference the script ends with one
// IKE_SA and one CHILD_SA on each side (the fuzzer's baseline).
func TestHandshakeScript(t *testing.T) {
	p := handshakeScript(t, nil, nil)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 1)
		n.CheckSane(t)
		n.WantLog(t, "rekeyed between")
	}
	if n := len(p.Wire()); n < 16 {
		t.Errorf("only %d packets", n)
	}
}

// mutatePlain applies the edits that ops describe to a message before it
// is encrypted: drop, repeat or swap payloads, truncate or replace their
// data, change notify types. The peer receives an authentic message whose
// contents make no sense.
func mutatePlain(m *encoding.Message, ops []byte) {
	for len(ops) >= 3 && len(m.Payloads) > 0 {
		op, a, b := ops[0]%7, int(ops[1])%len(m.Payloads), ops[2]
		ops = ops[3:]
		switch op {
		case 0:
			m.Payloads = append(m.Payloads[:a:a], m.Payloads[a+1:]...)
		case 1:
			m.Payloads = append(m.Payloads, m.Payloads[a])
		case 2:
			c := int(b) % len(m.Payloads)
			m.Payloads[a], m.Payloads[c] = m.Payloads[c], m.Payloads[a]
		case 3, 4:
			cut := func(d []byte) []byte {
				if op == 3 {
					return d[:min(len(d), int(b))]
				}
				return append([]byte(nil), ops...) // replace by the rest
			}
			switch x := m.Payloads[a].(type) {
			case *encoding.Nonce:
				x.Data = cut(x.Data)
			case *encoding.KE:
				x.Data = cut(x.Data)
			case *encoding.Notify:
				x.Data = cut(x.Data)
			case *encoding.ID:
				x.Data = cut(x.Data)
			case *encoding.Auth:
				x.Data = cut(x.Data)
			case *encoding.Cert:
				x.Data = cut(x.Data)
			case *encoding.CertReq:
				x.Data = cut(x.Data)
			case *encoding.Delete:
				x.SPIs = x.SPIs[:min(len(x.SPIs), int(b)%2)]
			case *encoding.TS:
				x.Selectors = x.Selectors[:min(len(x.Selectors), int(b)%2)]
			case *encoding.SA:
				x.Proposals = x.Proposals[:min(len(x.Proposals), int(b)%2)]
			}
		case 5:
			if x, ok := m.Payloads[a].(*encoding.Notify); ok {
				x.NotifyType = encoding.NotifyType(uint16(b)<<8 | uint16(len(ops)))
			}
		case 6:
			m.Payloads = append(m.Payloads, &encoding.Notify{NotifyType: encoding.NotifyType(b) + 1})
		}
	}
}

// FuzzHandshake (quic-go's FuzzHandshake idea): the script runs with one
// message replaced, either on the wire by the fuzz data (seeded with the
// real packets) or before encryption by mutatePlain. Nothing may panic,
// and both daemons must end in a sane state: no IKE_SA checked out or
// stuck half-way, no CHILD_SA half-made, and the fake kernels holding
// exactly what the CHILD_SAs account for.
func FuzzHandshake(f *testing.F) {
	seed := handshakeScript(&testing.T{}, nil, nil)
	for _, r := range seed.Wire() {
		f.Add(uint8(r.Seq), false, r.Packet.Data)
	}
	for i := range 24 {
		f.Add(uint8(i), true, []byte{0, 0, 0})
		f.Add(uint8(i), true, []byte{3, 1, 0, 5, 0, 1})
		f.Add(uint8(i), true, []byte{4, 2, 0, 0xde, 0xad})
		f.Add(uint8(i), true, []byte{6, 0, 0x0e, 2, 1, 3})
	}
	f.Fuzz(func(t *testing.T, which uint8, plain bool, data []byte) {
		which %= 32 // the script exchanges about that many messages
		var alter func(ikesim.WireRecord) []byte
		var alterPlain func(int, *ikesim.Node, *encoding.Message)
		if plain {
			alterPlain = func(seq int, _ *ikesim.Node, m *encoding.Message) {
				if seq == int(which) {
					mutatePlain(m, data)
				}
			}
		} else {
			alter = func(r ikesim.WireRecord) []byte {
				if r.Seq == int(which) {
					return append([]byte(nil), data...)
				}
				return nil
			}
		}
		p := handshakeScript(t, alter, alterPlain)
		p.Moon.CheckSane(t)
		p.Sun.CheckSane(t)
		// A few hundred packets at most: retransmissions are bounded, and
		// two daemons must not keep each other busy.
		if n := len(p.Wire()); n > 300 {
			t.Errorf("%d packets in 400 s:\n%s", n, p.WireText()[:2000])
		}
	})
}
