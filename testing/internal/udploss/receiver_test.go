package udploss

import (
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// feed gives r the Data packets seqs (in this order of arrival, 5 ms
// apart) of stream 7, and an End for total when total >= 0.
func feed(r *Receiver, total int, seqs ...uint64) {
	for i, s := range seqs {
		at := t0.Add(time.Duration(i) * 5 * time.Millisecond)
		r.Add(Packet{Kind: Data, Stream: 7, Seq: s, Sent: t0.Add(time.Duration(s) * 5 * time.Millisecond)}, at)
	}
	if total >= 0 {
		r.Add(Packet{Kind: End, Stream: 7, Seq: uint64(total)}, t0.Add(time.Hour))
	}
}

func TestReceiverClean(t *testing.T) {
	r := NewReceiver()
	feed(r, 5, 0, 1, 2, 3, 4)
	rep := r.Report()
	if !rep.Clean() || rep.Sent != 5 || rep.Received != 5 || len(rep.Gaps) != 0 {
		t.Fatalf("%+v", rep)
	}
	if !strings.HasPrefix(rep.String(), "result: lost=0 duplicated=0 reordered=0 sent=5 received=5 end=seen\n") {
		t.Errorf("String:\n%s", rep)
	}
}

func TestReceiverLossReorderDuplicate(t *testing.T) {
	r := NewReceiver()
	// 3 and 4 lost, 6 late (after 7), 8 twice, 11 (the last) lost: only
	// the End says it was sent.
	feed(r, 12, 0, 1, 2, 5, 7, 6, 8, 8, 9, 10)
	rep := r.Report()
	if rep.Lost != 3 || rep.Duplicated != 1 || rep.Reordered != 1 || rep.Received != 9 || rep.Sent != 12 || rep.Clean() {
		t.Fatalf("%+v", rep)
	}
	if len(rep.Gaps) != 2 || rep.Gaps[0].First != 3 || rep.Gaps[0].Last != 4 || rep.Gaps[1].First != 11 || rep.Gaps[1].Count() != 1 {
		t.Fatalf("gaps %+v", rep.Gaps)
	}
	g := rep.Gaps[0]
	if !g.SentAfter.Equal(t0.Add(10*time.Millisecond)) || !g.SentUntil.Equal(t0.Add(25*time.Millisecond)) ||
		!g.RecvAfter.Equal(t0.Add(10*time.Millisecond)) || !g.RecvUntil.Equal(t0.Add(15*time.Millisecond)) {
		t.Errorf("gap times %+v", g)
	}
	if !rep.Gaps[1].SentUntil.IsZero() {
		t.Errorf("a gap at the end has no packet after it: %+v", rep.Gaps[1])
	}
	if o := rep.Reorders[0]; o.Seq != 6 || o.After != 7 || o.Late != 5*time.Millisecond {
		t.Errorf("reorder %+v", o)
	}
	s := rep.String()
	for _, want := range []string{
		"result: lost=3 duplicated=1 reordered=1 sent=12 received=9 end=seen",
		"gap 1: seq 3-4 (2 lost) sent between 03:04:05.010 and 03:04:05.025, received between 03:04:05.010 and 03:04:05.015 (5 ms without packets)",
		"gap 2: seq 11-11 (1 lost)",
		"reordered: seq 6 arrived after 7 (5 ms later)",
		"duplicated: seq 8 (1 extra)",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q:\n%s", want, s)
		}
	}
}

func TestReceiverWithoutEnd(t *testing.T) {
	r := NewReceiver()
	feed(r, -1, 0, 2)
	rep := r.Report()
	if rep.EndSeen || rep.Sent != 3 || rep.Lost != 1 || rep.Clean() || !strings.Contains(rep.String(), "end=missing") {
		t.Fatalf("%+v\n%s", rep, rep)
	}
}

func TestReceiverIgnoresOtherStreamsAndHugeNumbers(t *testing.T) {
	r := NewReceiver()
	feed(r, 2, 0, 1)
	r.Add(Packet{Kind: Data, Stream: 8, Seq: 5}, t0)
	r.Add(Packet{Kind: Data, Stream: 7, Seq: maxSeq + 1}, t0)
	r.Add(Packet{Kind: Data, Stream: 7, Seq: maxJump + 5}, t0)
	r.Add(Packet{Kind: End, Stream: 7, Seq: 1 << 62}, t0)
	rep := r.Report()
	if !rep.Clean() || rep.Foreign != 3 || rep.Sent != 2 {
		t.Fatalf("%+v", rep)
	}
}

func TestPacketRoundTrip(t *testing.T) {
	p := Packet{Kind: Data, Stream: 0x0102030405060708, Seq: 99, Sent: t0}
	b := p.Marshal(100)
	if len(b) != 100 {
		t.Fatalf("size %d", len(b))
	}
	q, err := Unmarshal(b)
	if err != nil || q.Kind != p.Kind || q.Stream != p.Stream || q.Seq != p.Seq || !q.Sent.Equal(p.Sent) {
		t.Fatalf("%+v %v", q, err)
	}
	for _, bad := range [][]byte{nil, b[:headerLen-1], append([]byte("XSNU"), b[4:]...)} {
		if _, err := Unmarshal(bad); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
}

func FuzzUnmarshal(f *testing.F) {
	f.Add(Packet{Kind: Data, Stream: 1, Seq: 2, Sent: t0}.Marshal(64))
	f.Add(Packet{Kind: End, Stream: 1, Seq: 1 << 40}.Marshal(headerLen))
	f.Add([]byte("GSNU"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := Unmarshal(b)
		if err != nil {
			return
		}
		r := NewReceiver()
		r.Add(p, t0)
		_ = r.Report().String()
		q, err := Unmarshal(p.Marshal(len(b)))
		if err != nil || q.Kind != p.Kind || q.Seq != p.Seq || q.Stream != p.Stream {
			t.Fatalf("round trip: %+v -> %+v, %v", p, q, err)
		}
	})
}
