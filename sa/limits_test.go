package sa_test

import (
	"encoding/binary"
	"fmt"
	"github.com/goswan/goswan/testing/testenv"
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// The limits of charon 5.9.8's receiver (network/receiver.c) and IKE_SA
// manager (sa/ike_sa_manager.c) on IKE_SAs that peers start, with their
// log lines, on virtual time: a request that is refused leaves no state.

// limitsLab is moon and sun with sun's settings changed, and an
// IKE_SA_INIT request of moon's to replay from other addresses.
type limitsLab struct {
	*ikesim.Pair
	init  sa.Packet
	first int // moon's request, held
	spi   uint64
}

func newLimitsLab(t *testing.T, settings func(*sa.Settings)) *limitsLab {
	t.Helper()
	// sun answers anyone, as a gateway for roadwarriors does.
	p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.Remote = "%any" })
	settings(&p.Sun.Env.Settings)
	p.Hold = true
	p.Up()
	held := p.Held()
	if len(held) != 1 || held[0].Exchange != encoding.ExchangeIKESAInit {
		t.Fatalf("moon sent %v", held)
	}
	// SPIs with a leading zero word would read as a non-ESP marker on the
	// simulated wire.
	return &limitsLab{Pair: p, init: held[0].Packet, first: held[0].Seq, spi: 0x5000_0000_0000_0000}
}

// request returns a new IKE_SA_INIT request (its own SPI) from ip.
func (l *limitsLab) request(ip string) sa.Packet {
	l.spi++
	pkt := l.init
	pkt.Data = append([]byte(nil), l.init.Data...)
	binary.BigEndian.PutUint64(pkt.Data, l.spi)
	pkt.Src = netip.AddrPortFrom(netip.MustParseAddr(ip), 500)
	return pkt
}

// send delivers a packet to sun as a received datagram, receiver and job.
func (l *limitsLab) send(p sa.Packet) {
	l.Sun.Run(func(thread int) { l.Sun.Mgr.ProcessPacket(thread, p) })
}

// answers counts sun's IKE_SA_INIT responses to ip, and those with a
// COOKIE.
func (l *limitsLab) answers(ip string) (all, cookies int) {
	for _, r := range l.Wire() {
		if r.From != "sun" || r.Packet.Dst.Addr().String() != ip || r.Exchange != encoding.ExchangeIKESAInit {
			continue
		}
		all++
		if m, _ := encoding.Decode(r.Packet.Data); m != nil && m.Notify(encoding.NotifyCookie) != nil {
			cookies++
		}
	}
	return all, cookies
}

func addr(i int) string { return fmt.Sprintf("203.0.113.%d", i) }

// charon.ikesa_limit counts every IKE_SA, established ones included; a
// new IKE_SA_INIT beyond it is ignored by the manager, and accepted again
// once an IKE_SA went.
func TestIKESALimit(t *testing.T) {
	l := newLimitsLab(t, func(s *sa.Settings) { s.IKESALimit = 2 })
	l.Hold = false
	l.Deliver(l.first) // the legitimate IKE_SA counts against the limit
	l.Advance(time.Second)
	l.Sun.WantEstablished(t, 1)
	l.send(l.request(addr(1)))
	l.send(l.request(addr(2)))
	if n := l.Sun.Mgr.Count(); n != 2 {
		t.Fatalf("sun has %d IKE_SAs, want 2", n)
	}
	l.Sun.WantLog(t, "[MGR] ignoring IKE_SA_INIT, hitting IKE_SA limit (2)")
	if all, _ := l.answers(addr(2)); all != 0 {
		t.Errorf("the request over the limit was answered")
	}
	if n := l.Sun.Mgr.HalfOpenResponder(); n != 1 {
		t.Errorf("half-open responder count %d, want 1 (a refused request leaves none)", n)
	}
	// The half-open IKE_SA times out after 30 s; then there is room.
	l.Advance(30 * time.Second)
	l.send(l.request(addr(3)))
	if all, _ := l.answers(addr(3)); all != 1 || l.Sun.Mgr.Count() != 2 {
		t.Errorf("after the timeout: %d answers, %d IKE_SAs", all, l.Sun.Mgr.Count())
	}
	if n := l.Sun.CountLog("hitting IKE_SA limit"); n != 1 {
		t.Errorf("limit logged %d times", n)
	}
}

// charon.init_limit_half_open refuses IKE_SA_INIT requests while that many
// IKE_SAs that peers started are half open.
func TestInitLimitHalfOpen(t *testing.T) {
	l := newLimitsLab(t, func(s *sa.Settings) {
		s.InitLimitHalfOpen, s.CookieThreshold, s.CookieThresholdIP, s.BlockThreshold = 3, 0, 0, 10
	})
	for i := 1; i <= 4; i++ {
		l.send(l.request(addr(i)))
	}
	if n := l.Sun.Mgr.HalfOpenResponder(); n != 3 {
		t.Fatalf("%d half-open, want 3", n)
	}
	l.Sun.WantLog(t, "[NET] ignoring IKE_SA setup from 203.0.113.4, half-open IKE_SA limit of 3 reached")
	if all, _ := l.answers(addr(4)); all != 0 {
		t.Error("the request over the limit was answered")
	}
	l.Advance(30 * time.Second)
	l.send(l.request(addr(5)))
	if all, _ := l.answers(addr(5)); all != 1 {
		t.Error("no room after the half-open IKE_SAs timed out")
	}
}

// block_threshold limits the half-open IKE_SAs of one address; charon
// raises it above cookie_threshold_ip, even when both are 0 (a limit of
// 1 then).
func TestBlockThreshold(t *testing.T) {
	for _, c := range []struct {
		cookieIP, block uint32
		want            int
	}{{0, 2, 2}, {0, 0, 1}} {
		t.Run(fmt.Sprintf("cookie_threshold_ip=%d,block_threshold=%d", c.cookieIP, c.block), func(t *testing.T) {
			l := newLimitsLab(t, func(s *sa.Settings) {
				s.CookieThreshold, s.CookieThresholdIP, s.BlockThreshold = 0, c.cookieIP, c.block
			})
			for range c.want + 1 {
				l.send(l.request(addr(1)))
			}
			l.send(l.request(addr(2)))
			if n := l.Sun.Mgr.Count(); n != c.want+1 {
				t.Errorf("%d IKE_SAs, want %d from one address and 1 from another", n, c.want)
			}
			l.Sun.WantLog(t, fmt.Sprintf("[NET] ignoring IKE_SA setup from 203.0.113.1, per-IP half-open IKE_SA limit of %d reached", c.want))
		})
	}
}

// Above cookie_threshold half-open IKE_SAs every IKE_SA_INIT without a
// valid COOKIE is answered with one and leaves no state. The count
// includes requests the receiver accepted whose jobs have not run yet
// (charon's track_init), so a burst cannot slip past the threshold while
// the workers are busy; once the jobs ran, the IKE_SAs take their place.
func TestCookieThresholdCountsQueued(t *testing.T) {
	l := newLimitsLab(t, func(s *sa.Settings) { s.CookieThreshold, s.CookieThresholdIP = 3, 0 })
	var queued []*sa.Incoming
	l.Sun.Run(func(thread int) {
		for i := 1; i <= 5; i++ {
			if in, ok := l.Sun.Mgr.Receive(thread, l.request(addr(i))); ok {
				queued = append(queued, in)
			}
		}
	})
	if len(queued) != 3 || l.Sun.Mgr.HalfOpenResponder() != 3 || l.Sun.Mgr.Count() != 0 {
		t.Fatalf("accepted %d, half-open %d, IKE_SAs %d; want 3, 3, 0", len(queued), l.Sun.Mgr.HalfOpenResponder(), l.Sun.Mgr.Count())
	}
	for _, i := range []int{4, 5} {
		if _, cookies := l.answers(addr(i)); cookies != 1 {
			t.Errorf("%s got %d COOKIEs", addr(i), cookies)
		}
	}
	l.Sun.WantLog(t, "[NET] sending COOKIE notify to 203.0.113.4")
	l.Sun.Run(func(thread int) {
		for _, in := range queued {
			l.Sun.Mgr.Process(thread, in)
		}
	})
	if h, n := l.Sun.Mgr.HalfOpenResponder(), l.Sun.Mgr.Count(); h != 3 || n != 3 {
		t.Errorf("after the jobs: half-open %d, IKE_SAs %d; want 3 and 3", h, n)
	}
	// A retransmission of a request already answered is no new half-open
	// IKE_SA, whether it was still queued or not.
	again := queued[0].Packet
	l.Sun.Run(func(thread int) {
		in, ok := l.Sun.Mgr.Receive(thread, again)
		if ok {
			l.Sun.Mgr.Process(thread, in)
		}
	})
	if h := l.Sun.Mgr.HalfOpenResponder(); h != 3 {
		t.Errorf("after a retransmission: half-open %d", h)
	}
	// The cookies stay on for 10 s after the load dropped.
	l.Advance(31 * time.Second)
	if h := l.Sun.Mgr.HalfOpenResponder(); h != 0 {
		t.Fatalf("half-open %d after the timeout", h)
	}
	l.send(l.request(addr(6)))
	if all, cookies := l.answers(addr(6)); all != 1 || cookies != 0 {
		t.Errorf("after the calm-down: %d answers, %d COOKIEs", all, cookies)
	}
}

// charon.init_limit_job_load refuses IKE_SA_INIT requests while more jobs
// than that wait in the queue.
func TestInitLimitJobLoad(t *testing.T) {
	l := newLimitsLab(t, func(s *sa.Settings) { s.InitLimitJobLoad = 2 })
	try := func(waiting int, ip string) bool {
		var ok bool
		l.Sun.Run(func(thread int) {
			for range waiting {
				l.Q.Queue(processing.Func{Prio: processing.Low, Fn: func(processing.Ctx) {}})
			}
			var in *sa.Incoming
			in, ok = l.Sun.Mgr.Receive(thread, l.request(ip))
			if ok {
				l.Sun.Mgr.Process(thread, in)
			}
		})
		return ok
	}
	if !try(2, addr(1)) {
		t.Error("refused with 2 jobs waiting, at the limit")
	}
	if try(3, addr(2)) {
		t.Error("accepted with 3 jobs waiting")
	}
	l.Sun.WantLog(t, "[NET] ignoring IKE_SA setup from 203.0.113.2, job load of 3 exceeds limit of 2")
	if n := l.Sun.Mgr.Count(); n != 1 {
		t.Errorf("%d IKE_SAs, want 1", n)
	}
}

// charon.half_open_timeout: a responder IKE_SA whose IKE_AUTH never comes
// goes after that many seconds, with its log line; the counts drop with
// it.
func TestHalfOpenTimeout(t *testing.T) {
	l := newLimitsLab(t, func(s *sa.Settings) { s.HalfOpenTimeout = 7 })
	l.send(l.request(addr(1)))
	l.Advance(6999 * time.Millisecond)
	if n := l.Sun.Mgr.Count(); n != 1 {
		t.Fatalf("%d IKE_SAs before the timeout", n)
	}
	l.Advance(time.Millisecond)
	if n, h := l.Sun.Mgr.Count(), l.Sun.Mgr.HalfOpen(); n != 0 || h != 0 {
		t.Errorf("after 7 s: %d IKE_SAs, %d half-open", n, h)
	}
	l.Sun.WantLog(t, "[JOB] deleting half open IKE_SA with 203.0.113.1 after timeout")
}

// charon.max_packet bounds a reassembled message too: fragments whose
// sum exceeds it are dropped with charon's line and the exchange fails;
// with room they reassemble.
func TestMaxPacketReassembly(t *testing.T) {
	for _, c := range []struct {
		max  int
		want bool
	}{{10000, true}, {150, false}} {
		t.Run(fmt.Sprint(c.max), func(t *testing.T) {
			p := ikesim.NewPair(t, nil)
			p.Moon.Env.Settings.FragmentSize = 200
			p.Sun.Env.Settings.MaxPacket = c.max
			p.Up()
			p.Advance(time.Minute)
			if c.want {
				p.Sun.WantLog(t, "reassembled fragmented IKE message")
				p.Sun.WantEstablished(t, 1)
				return
			}
			p.Sun.WantLog(t, "[ENC] fragmented IKE message is too large")
			if n := p.Sun.CountLog("established successfully"); n != 0 {
				t.Errorf("established over max_packet")
			}
		})
	}
}

type discard struct{}

func (discard) Send(sa.Packet) {}

// The receiver drops a flood without garbage: junk costs no allocation
// and a request answered with a COOKIE only the answer's bytes, when no
// log line is written (the daemon's default levels log neither).
func TestReceiverDropAllocs(t *testing.T) {
	if raceEnabled {
		// `make test` runs this test a second time without -race.
		testenv.OtherLane(t, "make test's run without -race", "the race detector allocates")
	}
	l := newLimitsLab(t, func(s *sa.Settings) { s.CookieThreshold = 1 })
	l.send(l.request(addr(1))) // one half-open IKE_SA: cookies on
	l.Sun.Env.Bus = bus.New()
	l.Sun.Env.Sender = discard{}
	req := l.request(addr(2))
	junk := sa.Packet{Data: make([]byte, 40), Src: req.Src, Dst: req.Dst}
	for _, c := range []struct {
		name string
		p    sa.Packet
		max  float64
	}{{"junk", junk, 0}, {"COOKIE", req, 1}} {
		n := testing.AllocsPerRun(100, func() {
			if _, ok := l.Sun.Mgr.Receive(1, c.p); ok {
				t.Fatal("accepted")
			}
		})
		if n > c.max {
			t.Errorf("%s: %.1f allocations per dropped datagram, want at most %.0f", c.name, n, c.max)
		}
	}
}

// An IKE_SA_INIT request that is refused (INVALID_KE_PAYLOAD, or no
// proposal chosen) leaves no half-open IKE_SA behind: charon destroys the
// IKE_SA with its answer, so such requests never bring cookie_threshold
// nearer (checked when the chaos lab's differential pass found goswan
// answering with a COOKIE a few requests before charon did).
func TestRefusedInitNotHalfOpen(t *testing.T) {
	l := newLimitsLab(t, func(*sa.Settings) {})
	for i, change := range []func(*encoding.Message){
		func(m *encoding.Message) {
			for _, p := range m.Payloads {
				if ke, ok := p.(*encoding.KE); ok {
					ke.Group = 14 // sun's proposal has another group
				}
			}
		},
		func(m *encoding.Message) {
			for _, p := range m.Payloads {
				if s, ok := p.(*encoding.SA); ok {
					s.Proposals[0].Transforms[0].ID = 3 // 3DES: not proposed
				}
			}
		},
	} {
		req := l.request(addr(10 + i))
		m, err := encoding.Decode(req.Data)
		if err != nil {
			t.Fatal(err)
		}
		change(m)
		if req.Data, err = m.Encode(nil, nil); err != nil {
			t.Fatal(err)
		}
		l.send(req)
		if all, _ := l.answers(addr(10 + i)); all != 1 {
			t.Fatalf("case %d: %d answers", i, all)
		}
		if n := l.Sun.Mgr.HalfOpenResponder(); n != 0 {
			t.Errorf("case %d: %d half-open IKE_SAs after the refusal", i, n)
		}
	}
	l.Sun.WantLog(t, "generating IKE_SA_INIT response 0 [ N(INVAL_KE) ]", "generating IKE_SA_INIT response 0 [ N(NO_PROP) ]")
}
