package udploss

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strings"
	"sync"
	"time"
)

// Config is one endpoint's run.
type Config struct {
	// Peer is the other endpoint; packets from elsewhere are ignored.
	Peer netip.AddrPort
	// Rate is the number of Data packets per second (default 200) and
	// Duration how long the stream lasts (default 10 s).
	Rate     int
	Duration time.Duration
	// Size is each packet's UDP payload in bytes (default 100).
	Size int
	// Handshake bounds the wait for the peer's first packet (default 60 s).
	Handshake time.Duration
	// Linger bounds the wait for the peer's End after ours (default 10 s).
	Linger time.Duration
}

func (c *Config) defaults() error {
	if !c.Peer.IsValid() {
		return errors.New("udploss: no peer")
	}
	if c.Rate == 0 {
		c.Rate = 200
	}
	if c.Duration == 0 {
		c.Duration = 10 * time.Second
	}
	if c.Size == 0 {
		c.Size = 100
	}
	if c.Handshake == 0 {
		c.Handshake = 60 * time.Second
	}
	if c.Linger == 0 {
		c.Linger = 10 * time.Second
	}
	if c.Rate < 1 || c.Rate > 100000 || c.Duration < 0 || c.Size < headerLen || c.Size > 65000 {
		return fmt.Errorf("udploss: rate %d/s, duration %v or size %d out of range", c.Rate, c.Duration, c.Size)
	}
	return nil
}

// SendStats is what this endpoint sent.
type SendStats struct {
	Peer    netip.AddrPort
	Packets uint64
	Start   time.Time // when the stream began (after the handshake)
	Elapsed time.Duration
	// MaxLag is the longest a packet left after its due time (a busy
	// machine); the stream catches up, it never skips a number. Late
	// counts the packets that left more than 50 ms late.
	MaxLag time.Duration
	Late   int
	// Errors counts failed sends by error text (a missing SA can make
	// the kernel refuse a packet); those packets are lost too.
	Errors map[string]int
}

// Result is one endpoint's outcome: what it sent and how the peer's
// stream arrived.
type Result struct {
	Sent     SendStats
	Received Report
	From     netip.AddrPort
}

// String renders the result.
func (r Result) String() string {
	var b strings.Builder
	s := r.Sent
	rate := 0.0
	if s.Elapsed > 0 {
		rate = float64(s.Packets) / s.Elapsed.Seconds()
	}
	fmt.Fprintf(&b, "sent: %d packets to %s from %s in %.1fs (%.1f/s), max lag %d ms, %d packets more than 50 ms late\n",
		s.Packets, s.Peer, stamp(s.Start), s.Elapsed.Seconds(), rate, s.MaxLag.Milliseconds(), s.Late)
	errs := make([]string, 0, len(s.Errors))
	for e := range s.Errors {
		errs = append(errs, e)
	}
	sort.Strings(errs)
	for _, e := range errs {
		fmt.Fprintf(&b, "send errors: %d × %s\n", s.Errors[e], e)
	}
	fmt.Fprintf(&b, "received from %s:\n%s", r.From, r.Received)
	return b.String()
}

// endpoint is one side of a run.
type endpoint struct {
	conn   net.PacketConn
	cfg    Config
	stream uint64
	peer   *net.UDPAddr
	res    Result

	mu         sync.Mutex // guards recv between the reader and the report
	recv       *Receiver
	heard      chan struct{} // closed at the peer's first packet
	ended      chan struct{} // closed at the peer's first End
	readerDone chan struct{}
}

// Run performs one endpoint's run on conn (bound by the caller; closed by
// Run when it returns): handshake, stream, end, and the analysis of the
// peer's stream.
func Run(ctx context.Context, conn net.PacketConn, cfg Config) (Result, error) {
	defer conn.Close()
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	var idb [8]byte
	_, _ = rand.Read(idb[:])
	e := &endpoint{conn: conn, cfg: cfg, stream: binary.BigEndian.Uint64(idb[:]), peer: net.UDPAddrFromAddrPort(cfg.Peer),
		res:  Result{From: cfg.Peer, Sent: SendStats{Peer: cfg.Peer, Errors: map[string]int{}}},
		recv: NewReceiver(), heard: make(chan struct{}), ended: make(chan struct{}), readerDone: make(chan struct{})}
	go e.read()
	err := e.handshake(ctx)
	if err == nil {
		err = e.sendStream(ctx)
	}
	if err == nil {
		e.finish(ctx)
	}
	conn.Close()
	<-e.readerDone
	e.mu.Lock()
	e.res.Received = e.recv.Report()
	e.mu.Unlock()
	return e.res, err
}

func (e *endpoint) send(p Packet) {
	p.Stream, p.Sent = e.stream, time.Now()
	if _, err := e.conn.WriteTo(p.Marshal(e.cfg.Size), e.peer); err != nil {
		e.res.Sent.Errors[errText(err)]++
	}
}

// read feeds the peer's packets to the Receiver until the socket closes.
func (e *endpoint) read() {
	defer close(e.readerDone)
	var heardOnce, endedOnce sync.Once
	buf := make([]byte, 65536)
	for {
		n, from, err := e.conn.ReadFrom(buf)
		at := time.Now()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		ua, ok := from.(*net.UDPAddr)
		if err != nil || !ok || ua.AddrPort().Addr().Unmap() != e.cfg.Peer.Addr().Unmap() {
			continue
		}
		p, err := Unmarshal(buf[:n])
		if err != nil {
			continue
		}
		heardOnce.Do(func() { close(e.heard) })
		if p.Kind == Hello {
			continue
		}
		e.mu.Lock()
		e.recv.Add(p, at)
		done := e.recv.EndSeen()
		e.mu.Unlock()
		if done {
			endedOnce.Do(func() { close(e.ended) })
		}
	}
}

// handshake sends HELLO until the peer's first packet arrives.
func (e *endpoint) handshake(ctx context.Context) error {
	hs := time.NewTimer(e.cfg.Handshake)
	defer hs.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	e.send(Packet{Kind: Hello})
	for {
		select {
		case <-e.heard:
			// One more HELLO: the peer may have started after our last
			// one and be waiting for a packet of ours.
			e.send(Packet{Kind: Hello})
			return nil
		case <-tick.C:
			e.send(Packet{Kind: Hello})
		case <-hs.C:
			return fmt.Errorf("udploss: nothing from %s within %v", e.cfg.Peer, e.cfg.Handshake)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// sendStream sends the Data packets, paced by due times: after a stall (a
// busy machine) the stream catches up at four times the rate, never in one
// burst that would overflow a queue on the way, so the count is always
// Rate × Duration.
func (e *endpoint) sendStream(ctx context.Context) error {
	n := uint64(e.cfg.Duration.Seconds() * float64(e.cfg.Rate))
	interval := time.Second / time.Duration(e.cfg.Rate)
	st := &e.res.Sent
	t0 := time.Now()
	st.Start = t0
	timer := time.NewTimer(0)
	defer timer.Stop()
	var last time.Time
	for i := uint64(0); i < n; i++ {
		due := t0.Add(time.Duration(i) * interval)
		at := due
		if earliest := last.Add(interval / 4); at.Before(earliest) {
			at = earliest
		}
		if d := time.Until(at); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		last = time.Now()
		if lag := last.Sub(due); lag > 50*time.Millisecond {
			st.Late++
			st.MaxLag = max(st.MaxLag, lag)
		}
		e.send(Packet{Kind: Data, Seq: i})
		st.Packets++
	}
	st.Elapsed = time.Since(t0)
	return nil
}

// finish sends END five times and waits for the peer's.
func (e *endpoint) finish(ctx context.Context) {
	for i := 0; i < 5; i++ {
		e.send(Packet{Kind: End, Seq: e.res.Sent.Packets})
		if i < 4 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	select {
	case <-e.ended:
		// Let stragglers of the peer's stream arrive.
		time.Sleep(300 * time.Millisecond)
	case <-time.After(e.cfg.Linger):
	case <-ctx.Done():
	}
}

// errText is an error's text without the addresses net adds, so that
// errors of one kind count together.
func errText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	return err.Error()
}
