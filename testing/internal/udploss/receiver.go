package udploss

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// maxSeq bounds the sequence numbers a Receiver tracks (five hours at 500
// packets/s), and maxJump how far ahead of the highest number so far a
// packet may be (ten minutes of silence at 200 packets/s), so that a stray
// packet cannot make it allocate much.
const (
	maxSeq  = 10_000_000
	maxJump = 120_000
)

// arrival is what a Receiver keeps of a Data packet: when it was sent (the
// sender's clock) and when it arrived (ours).
type arrival struct {
	sent, recv time.Time
}

// Receiver analyses the stream of Data and End packets of one sender. It
// is not safe for concurrent use; feed it from one goroutine.
type Receiver struct {
	stream   uint64
	started  bool
	got      []arrival // by seq; zero recv time: not (yet) received
	max      int64     // highest seq received, -1 before the first
	received int
	dups     map[uint64]int
	reorders []Reorder
	total    int64 // from End, -1 until one arrived
	foreign  int
}

// Reorder is a Data packet that arrived after one with a higher number.
type Reorder struct {
	Seq   uint64
	After uint64        // the highest number received before it
	Late  time.Duration // its arrival minus the arrival of After
}

// Gap is a run of Data packets that never arrived, with the send and
// arrival times of the packets on either side (zero where there is none:
// at the start, or at the end of the stream).
type Gap struct {
	First, Last          uint64
	SentAfter, SentUntil time.Time // sender's clock: the packets before and after the gap
	RecvAfter, RecvUntil time.Time // receiver's clock: when those arrived
}

// Count is the number of packets lost in the gap.
func (g Gap) Count() uint64 { return g.Last - g.First + 1 }

// NewReceiver returns a Receiver that takes the stream of the first packet
// it is given.
func NewReceiver() *Receiver {
	return &Receiver{max: -1, total: -1, dups: map[uint64]int{}}
}

// Add records a packet that arrived at time at.
func (r *Receiver) Add(p Packet, at time.Time) {
	if !r.started {
		r.stream, r.started = p.Stream, true
	}
	if p.Stream != r.stream {
		r.foreign++
		return
	}
	switch p.Kind {
	case End:
		if p.Seq <= maxSeq {
			r.total = int64(p.Seq)
		}
	case Data:
		if p.Seq > maxSeq || int64(p.Seq) > r.max+maxJump {
			r.foreign++
			return
		}
		for uint64(len(r.got)) <= p.Seq {
			r.got = append(r.got, arrival{})
		}
		a := &r.got[p.Seq]
		if !a.recv.IsZero() {
			r.dups[p.Seq]++
			return
		}
		*a = arrival{sent: p.Sent, recv: at}
		r.received++
		if int64(p.Seq) < r.max {
			r.reorders = append(r.reorders, Reorder{Seq: p.Seq, After: uint64(r.max), Late: at.Sub(r.got[r.max].recv)})
		} else {
			r.max = int64(p.Seq)
		}
	}
}

// EndSeen reports whether an End packet of the stream arrived.
func (r *Receiver) EndSeen() bool { return r.total >= 0 }

// Started reports whether any packet arrived.
func (r *Receiver) Started() bool { return r.started }

// Report is the analysis of a received stream.
type Report struct {
	// Sent is the number of Data packets the sender says it sent (from
	// its End packet); without one, the highest number received plus one.
	Sent     uint64
	EndSeen  bool
	Received int
	Lost     uint64
	// Duplicated counts extra copies; Dups lists them by number.
	Duplicated int
	Dups       map[uint64]int
	Reordered  int
	Reorders   []Reorder
	Gaps       []Gap
	// Foreign counts packets of other streams, or numbers beyond any
	// plausible stream, that were ignored.
	Foreign int
}

// Report analyses what arrived so far.
func (r *Receiver) Report() Report {
	rep := Report{EndSeen: r.total >= 0, Received: r.received, Reordered: len(r.reorders),
		Reorders: append([]Reorder(nil), r.reorders...), Dups: map[uint64]int{}, Foreign: r.foreign}
	for s, n := range r.dups {
		rep.Dups[s] = n
		rep.Duplicated += n
	}
	total := uint64(r.max + 1)
	if r.total >= 0 {
		total = uint64(r.total)
	}
	rep.Sent = total
	var gap *Gap
	for s := uint64(0); s < total; s++ {
		if s < uint64(len(r.got)) && !r.got[s].recv.IsZero() {
			if gap != nil {
				gap.SentUntil, gap.RecvUntil = r.got[s].sent, r.got[s].recv
				rep.Gaps = append(rep.Gaps, *gap)
				gap = nil
			}
			continue
		}
		rep.Lost++
		if gap == nil {
			gap = &Gap{First: s}
			if s > 0 && s-1 < uint64(len(r.got)) {
				gap.SentAfter, gap.RecvAfter = r.got[s-1].sent, r.got[s-1].recv
			}
		}
		gap.Last = s
	}
	if gap != nil {
		rep.Gaps = append(rep.Gaps, *gap)
	}
	// Packets numbered beyond the End count are not the stream's.
	return rep
}

// Clean reports whether nothing was lost, duplicated or reordered and the
// end of the stream was seen.
func (rep Report) Clean() bool {
	return rep.EndSeen && rep.Lost == 0 && rep.Duplicated == 0 && rep.Reordered == 0 && rep.Sent > 0
}

// stamp formats a time for reports (zero: "-").
func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format("15:04:05.000")
}

// String renders the report. The "result:" line is what scenarios grep:
//
//	result: lost=0 duplicated=0 reordered=0 sent=24000 received=24000 end=seen
func (rep Report) String() string {
	var b strings.Builder
	end := "seen"
	if !rep.EndSeen {
		end = "missing"
	}
	fmt.Fprintf(&b, "result: lost=%d duplicated=%d reordered=%d sent=%d received=%d end=%s\n",
		rep.Lost, rep.Duplicated, rep.Reordered, rep.Sent, rep.Received, end)
	if !rep.EndSeen {
		b.WriteString("note: no END packet arrived; packets lost after the last one received are not counted\n")
	}
	const listed = 50 // of each kind; the counts above say how many there are
	for i, g := range rep.Gaps {
		if i == listed {
			fmt.Fprintf(&b, "gaps: %d more\n", len(rep.Gaps)-i)
			break
		}
		fmt.Fprintf(&b, "gap %d: seq %d-%d (%d lost) sent between %s and %s, received between %s and %s",
			i+1, g.First, g.Last, g.Count(), stamp(g.SentAfter), stamp(g.SentUntil), stamp(g.RecvAfter), stamp(g.RecvUntil))
		if !g.RecvAfter.IsZero() && !g.RecvUntil.IsZero() {
			fmt.Fprintf(&b, " (%d ms without packets)", g.RecvUntil.Sub(g.RecvAfter).Milliseconds())
		}
		b.WriteByte('\n')
	}
	for i, o := range rep.Reorders {
		if i == listed {
			fmt.Fprintf(&b, "reordered: %d more\n", len(rep.Reorders)-i)
			break
		}
		fmt.Fprintf(&b, "reordered: seq %d arrived after %d (%d ms later)\n", o.Seq, o.After, o.Late.Milliseconds())
	}
	seqs := make([]uint64, 0, len(rep.Dups))
	for s := range rep.Dups {
		seqs = append(seqs, s)
	}
	sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
	for i, s := range seqs {
		if i == listed {
			fmt.Fprintf(&b, "duplicated: %d more\n", len(seqs)-i)
			break
		}
		fmt.Fprintf(&b, "duplicated: seq %d (%d extra)\n", s, rep.Dups[s])
	}
	if rep.Foreign > 0 {
		fmt.Fprintf(&b, "ignored: %d packets of other streams\n", rep.Foreign)
	}
	return b.String()
}
