package tasks_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/testing/ikesim"
)

// TestFragmentation: RFC 7383: with a small charon.fragment_size, IKE_AUTH
// goes out in encrypted fragments, as charon logs them, and is reassembled
// on the other side; a lost fragment is retransmitted with the others.
func TestFragmentation(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.Env.Settings.FragmentSize = 200
	}
	lost := false
	p.DropIf = func(r ikesim.WireRecord) bool {
		if r.From == "moon" && r.MessageID == 1 && !lost {
			lost = true
			return true
		}
		return false
	}
	p.Up()
	p.Advance(5 * time.Second)
	p.Moon.WantLogOrder(t, "[ENC] splitting IKE message (288 bytes) into 3 fragments", "[ENC] generating IKE_AUTH request 1 [ EF(1/3) ]", "[ENC] generating IKE_AUTH request 1 [ EF(2/3) ]",
		"[ENC] generating IKE_AUTH request 1 [ EF(3/3) ]", "[IKE] retransmit 1 of request with message ID 1",
		"[ENC] parsed IKE_AUTH response 1 [ EF(1/2) ]", "[ENC] received fragment #1 of 2, waiting for complete IKE message",
		"[ENC] received fragment #2 of 2, reassembled fragmented IKE message (224 bytes)")
	// Fragment 1 was lost: 2 and 3 wait, the retransmitted 1 completes the
	// message, and the retransmitted 2 and 3 are duplicates of a message
	// already answered.
	p.Sun.WantLogOrder(t, "[ENC] received fragment #2 of 3, waiting for complete IKE message",
		"[ENC] received fragment #3 of 3, waiting for complete IKE message",
		"[ENC] received fragment #1 of 3, reassembled fragmented IKE message (288 bytes)",
		"[ENC] parsed IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MULT_AUTH) N(EAP_ONLY) N(MSG_ID_SYN_SUP) ]",
		"[ENC] generating IKE_AUTH response 1 [ EF(1/2) ]")
	if n := p.Sun.CountLog("generating IKE_AUTH response 1 [ EF(1/2) ]"); n != 1 {
		t.Errorf("sun generated the response %d times", n)
	}
	p.Moon.WantEstablished(t, 1)
	p.Sun.WantEstablished(t, 1)
}
