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
	// machine); the stream catches up, it never skips a number.
	MaxLag time.Duration
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
	fmt.Fprintf(&b, "sent: %d packets to %s from %s in %.1fs (%.1f/s), max lag %d ms\n",
		s.Packets, s.Peer, stamp(s.Start), s.Elapsed.Seconds(), rate, s.MaxLag.Milliseconds())
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

type rx struct {
	p  Packet
	at time.Time
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
	stream := binary.BigEndian.Uint64(idb[:])
	peer := net.UDPAddrFromAddrPort(cfg.Peer)
	res := Result{From: cfg.Peer, Sent: SendStats{Peer: cfg.Peer, Errors: map[string]int{}}}
	send := func(p Packet) {
		p.Stream, p.Sent = stream, time.Now()
		if _, err := conn.WriteTo(p.Marshal(cfg.Size), peer); err != nil {
			res.Sent.Errors[errText(err)]++
		}
	}

	// The receiving side: one goroutine owns the Receiver.
	recv := NewReceiver()
	var mu sync.Mutex // guards recv between the reader and the final report
	heard := make(chan struct{})
	ended := make(chan struct{})
	var heardOnce, endedOnce sync.Once
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		buf := make([]byte, 65536)
		for {
			n, from, err := conn.ReadFrom(buf)
			at := time.Now()
			if err != nil {
				if errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			ua, ok := from.(*net.UDPAddr)
			if !ok || ua.AddrPort().Addr().Unmap() != cfg.Peer.Addr().Unmap() {
				continue
			}
			p, err := Unmarshal(buf[:n])
			if err != nil {
				continue
			}
			heardOnce.Do(func() { close(heard) })
			if p.Kind == Hello {
				continue
			}
			mu.Lock()
			recv.Add(p, at)
			done := recv.EndSeen()
			mu.Unlock()
			if done {
				endedOnce.Do(func() { close(ended) })
			}
		}
	}()

	// Handshake: HELLO until the peer's first packet.
	hs := time.NewTimer(cfg.Handshake)
	defer hs.Stop()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	send(Packet{Kind: Hello})
wait:
	for {
		select {
		case <-heard:
			break wait
		case <-tick.C:
			send(Packet{Kind: Hello})
		case <-hs.C:
			return res, fmt.Errorf("udploss: nothing from %s within %v", cfg.Peer, cfg.Handshake)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	// One more HELLO: the peer may have started after our last one and be
	// waiting for a packet of ours.
	send(Packet{Kind: Hello})

	// The stream, paced by due times: a late packet goes at once and the
	// next ones catch up, so the count is always Rate × Duration.
	n := uint64(cfg.Duration.Seconds() * float64(cfg.Rate))
	interval := time.Second / time.Duration(cfg.Rate)
	t0 := time.Now()
	res.Sent.Start = t0
	timer := time.NewTimer(0)
	defer timer.Stop()
	for i := uint64(0); i < n; i++ {
		due := t0.Add(time.Duration(i) * interval)
		if d := time.Until(due); d > 0 {
			timer.Reset(d)
			select {
			case <-timer.C:
			case <-ctx.Done():
				return res, ctx.Err()
			}
		} else if lag := -d; lag > res.Sent.MaxLag {
			res.Sent.MaxLag = lag
		}
		send(Packet{Kind: Data, Seq: i})
		res.Sent.Packets++
	}
	res.Sent.Elapsed = time.Since(t0)

	// The end: END five times, then wait for the peer's.
	for i := 0; i < 5; i++ {
		send(Packet{Kind: End, Seq: n})
		if i < 4 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	select {
	case <-ended:
		// Let stragglers of the peer's stream arrive.
		time.Sleep(300 * time.Millisecond)
	case <-time.After(cfg.Linger):
	case <-ctx.Done():
	}
	conn.Close()
	<-readerDone
	mu.Lock()
	res.Received = recv.Report()
	mu.Unlock()
	return res, nil
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
