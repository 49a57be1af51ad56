package tasks_test

// Tests that each cover sentences of RFC 7296, in the style of etcd's
// raft_paper_test.go: the section and the requirement in the doc comment,
// then setup, action, check.

import (
	"bytes"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// TestRFC7296WindowSizeOne: §2.3: "An IKE endpoint MUST wait for a
// response to each of its messages before sending a subsequent message
// unless it has received a SET_WINDOW_SIZE Notify message from its peer".
// Two CHILD_SAs asked for at once go out one exchange after the other.
func TestRFC7296WindowSizeOne(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	_, c2 := addChild(t, p, "net-net2", "10.3.0.0/16", "10.4.0.0/16")
	_, c3 := addChild(t, p, "net-net3", "10.5.0.0/16", "10.6.0.0/16")
	p.Up()
	p.Hold = true
	p.Moon.Initiate(p.MoonPeer, c2)
	p.Moon.Initiate(p.MoonPeer, c3)
	for len(p.Held()) > 0 {
		var requests int
		for _, h := range p.Held() {
			if h.From == "moon" && !h.Response {
				requests++
			}
		}
		if requests > 1 {
			t.Fatalf("moon has %d requests outstanding:\n%s", requests, p.WireText())
		}
		p.Deliver(p.Held()[0].Seq)
	}
	p.Moon.WantLog(t, "[IKE] delaying task initiation, CREATE_CHILD_SA exchange in progress")
	p.Moon.WantEstablished(t, 3)
}

// TestRFC7296MessageIDs: §2.2: "The Message ID is a 32-bit quantity, which
// is zero for the IKE_SA_INIT messages ... and incremented for each
// subsequent exchange"; "the responder uses the Message ID of the
// request"; the IDs of requests in either direction are independent.
func TestRFC7296MessageIDs(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	for i := 0; i < 3; i++ {
		p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
			ike.TaskManager().QueueDPD()
			return ike.TaskManager().Initiate()
		})
		p.Advance(time.Second)
	}
	for i := 0; i < 2; i++ {
		p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
			ike.TaskManager().QueueDPD()
			return ike.TaskManager().Initiate()
		})
		p.Advance(time.Second)
	}
	var got []string
	for _, r := range p.Wire() {
		got = append(got, fmt.Sprintf("%s %s", r.From, r.Summary))
	}
	want := []string{
		"moon IKE_SA_INIT request 0", "sun IKE_SA_INIT response 0",
		"moon IKE_AUTH request 1", "sun IKE_AUTH response 1",
		"moon INFORMATIONAL request 2", "sun INFORMATIONAL response 2",
		"moon INFORMATIONAL request 3", "sun INFORMATIONAL response 3",
		"moon INFORMATIONAL request 4", "sun INFORMATIONAL response 4",
		"sun INFORMATIONAL request 0", "moon INFORMATIONAL response 0",
		"sun INFORMATIONAL request 1", "moon INFORMATIONAL response 1",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("wire:\n%v\nwant\n%v", got, want)
	}
}

// TestRFC7296OnlyInitiatorRetransmits: §2.1: "only the initiator of an
// exchange retransmits ... the responder MUST never retransmit a response
// unless it receives a retransmission of the request"; retransmissions are
// bitwise identical. Until the half-open SA times out (30 s), sun answers
// every retransmitted IKE_SA_INIT with the same response; afterwards it
// starts over with a new SA.
func TestRFC7296OnlyInitiatorRetransmits(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.DropIf = func(r ikesim.WireRecord) bool { return r.Response } // every response is lost
	p.Up()
	p.AdvanceTo(200 * time.Second)
	var reqs, resps [][]byte
	for _, r := range p.Wire() {
		if r.Response {
			resps = append(resps, r.Packet.Data)
		} else {
			reqs = append(reqs, r.Packet.Data)
		}
	}
	if len(reqs) != 6 || len(resps) != 6 {
		t.Fatalf("%d requests and %d responses, want 6 each:\n%s", len(reqs), len(resps), p.WireText())
	}
	for i := 1; i < 6; i++ {
		if !bytes.Equal(reqs[i], reqs[0]) {
			t.Errorf("retransmission %d differs from the first request", i)
		}
		if same := bytes.Equal(resps[i], resps[0]); same != (i < 4) {
			t.Errorf("response %d identical to the first: %v", i, same)
		}
	}
	p.Sun.WantLog(t, "[JOB] deleting half open IKE_SA with 192.168.0.1 after timeout")
	p.Sun.NoLog(t, "retransmit 1 of")
}

// TestRFC7296UnsupportedCriticalPayload: §2.5: "If the critical flag is set
// and the payload type is unrecognized, the message MUST be rejected and
// the response to the IKE request containing that payload MUST include a
// Notify payload UNSUPPORTED_CRITICAL_PAYLOAD".
func TestRFC7296UnsupportedCriticalPayload(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.AlterPlain = func(_ int, from *ikesim.Node, m *encoding.Message) {
		if from == p.Moon && m.Exchange == encoding.ExchangeInformational && m.Request() {
			m.Add(&encoding.Unknown{PayloadType: 200, Critical: true, Data: []byte{1, 2, 3, 4}})
		}
	}
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.TaskManager().QueueDPD()
		return ike.TaskManager().Initiate()
	})
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t, "[ENC] payload type (200) is not supported, but payload is critical!",
		"[IKE] critical unknown payloads found",
		"[ENC] generating INFORMATIONAL response 2 [ N(CRIT) ]",
		"[IKE] INFORMATIONAL request with message ID 2 processing failed")
	p.Sun.WantEstablished(t, 1)
	p.Moon.WantEstablished(t, 1)
}

// TestRFC7296InvalidMajorVersion: §1.5: a request with a higher major
// version is answered with INVALID_MAJOR_VERSION, naming our version, and
// creates no state.
func TestRFC7296InvalidMajorVersion(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Hold = true
	p.Up()
	req := p.Held()[0]
	data := append([]byte(nil), req.Packet.Data...)
	data[17] = 0x30 // version 3.0
	req.Packet.Data = data
	p.Hold = false
	p.Sun.Run(func(thread int) { p.Sun.Mgr.ProcessPacket(thread, req.Packet) })
	p.Sun.WantLog(t, "[NET] received unsupported IKE version 3.0 from 192.168.0.1, sending INVALID_MAJOR_VERSION")
	p.Sun.WantNoIKESA(t)
	last := p.Wire()[len(p.Wire())-1]
	m, err := encoding.Decode(last.Packet.Data)
	if err != nil || last.From != "sun" || m.Notify(encoding.NotifyInvalidMajorVersion) == nil || m.MajorVersion != 2 {
		t.Errorf("sun answered %v (%v)", last, err)
	}
}

// TestRFC7296ResponseAlongRequestPath: §2.11: "the response MUST be sent
// to the IP address and port from whence it came" — here the IKE_SA_INIT
// retry of a NATed initiator arriving from another port.
func TestRFC7296ResponseAlongRequestPath(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Hold = true
	p.Up()
	req := p.Held()[0]
	p.DropHeld(req.Seq)
	req.Packet.Src = netip.AddrPortFrom(req.Packet.Src.Addr(), 51234)
	p.Hold = false
	p.Sun.Run(func(thread int) { p.Sun.Mgr.ProcessPacket(thread, req.Packet) })
	last := p.Wire()[len(p.Wire())-1]
	if last.From != "sun" || last.Packet.Dst.Port() != 51234 || last.Packet.Src.Port() != 500 {
		t.Errorf("response sent %s -> %s", last.Packet.Src, last.Packet.Dst)
	}
}
