package sa

import (
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"net/netip"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
)

// Constants of charon's receiver.c for stateless cookies (RFC 7296 §2.6).
const (
	cookieLifetime       = 10  // seconds a cookie is valid
	cookieCalmdownDelay  = 10  // seconds cookies stay on after the load dropped
	cookieCalmdownMask   = 31  // per-IP buckets, so one IP cannot turn them on for all
	cookieSecretSwitch   = 120 // seconds a secret is used at most
	cookieSecretLength   = 16
	ikeHeaderLength      = 28
	notifyHeaderLength   = 8
	cookieLength         = 4 + sha1.Size
	payloadTypeNotify    = 41
	cookieNotifyTypeWire = 16390
)

// cookieJar is the DoS protection of charon's receiver: above a number of
// half-open IKE_SAs, globally or from one address, an IKE_SA_INIT request
// must carry a COOKIE computed from a local secret, and one without gets
// only the COOKIE it must send back.
type cookieJar struct {
	mu             sync.Mutex
	secret, old    [cookieSecretLength]byte
	secretFirstUse uint32
	// secretOffset hides the local time in the cookie's timestamp.
	secretOffset uint32
	// lastThreshold is when the threshold was last reached: [0] globally,
	// [1+hash(ip)&mask] per address bucket.
	lastThreshold [cookieCalmdownMask + 2]uint32
}

func newCookieJar(env *Env) *cookieJar {
	j := &cookieJar{}
	if now := monotonic(env); now > 0 {
		j.secretOffset = uint32(env.RandUint64(uint64(now)))
	}
	_ = env.Read(j.secret[:])
	j.old = j.secret
	return j
}

// monotonic is charon's time_monotonic(): whole seconds.
func monotonic(env *Env) uint32 { return uint32(env.Clock.Now().Unix()) }

// build computes COOKIE = t | SHA1(IPi | SPIi | t | secret). Only we read
// cookies back, so the byte order of t just has to agree with itself. It
// allocates nothing: the receiver builds one for every request of a flood.
func (j *cookieJar) build(src netip.Addr, spi uint64, t uint32, secret []byte) [cookieLength]byte {
	var in [16 + 8 + 4 + cookieSecretLength]byte
	n := 0
	if src.Is4() {
		a := src.As4()
		n = copy(in[:], a[:])
	} else {
		a := src.As16()
		n = copy(in[:], a[:])
	}
	binary.BigEndian.PutUint64(in[n:], spi)
	binary.BigEndian.PutUint32(in[n+8:], t)
	n += 12
	n += copy(in[n:], secret)
	var c [cookieLength]byte
	binary.BigEndian.PutUint32(c[:], t)
	sum := sha1.Sum(in[:n])
	copy(c[4:], sum[:])
	return c
}

// verify checks a cookie against the current or the previous secret.
func (j *cookieJar) verify(src netip.Addr, spi uint64, cookie []byte, now uint32) bool {
	if len(cookie) != cookieLength {
		return false
	}
	t := binary.BigEndian.Uint32(cookie)
	if t < now-j.secretOffset-cookieLifetime {
		return false
	}
	secret := j.old[:]
	if t+j.secretOffset >= j.secretFirstUse {
		secret = j.secret[:]
	}
	want := j.build(src, spi, t, secret)
	return subtle.ConstantTimeCompare(want[:], cookie) == 1
}

// check looks for a valid COOKIE as the first payload of the raw message,
// without parsing it, as charon does.
func (j *cookieJar) check(data []byte, src netip.Addr, spi uint64, now uint32, log func(bus.Level, string, ...any)) bool {
	if len(data) < ikeHeaderLength+notifyHeaderLength+cookieLength || data[16] != payloadTypeNotify ||
		binary.BigEndian.Uint16(data[ikeHeaderLength+6:]) != cookieNotifyTypeWire {
		return false
	}
	start := ikeHeaderLength + notifyHeaderLength
	if !j.verify(src, spi, data[start:start+cookieLength], now) {
		if log != nil {
			log(bus.Diag, "found cookie, but content invalid")
		}
		return false
	}
	return true
}

// required tells whether cookies are on, globally (ip invalid) or for the
// bucket of ip, given the half-open count and threshold.
func (j *cookieJar) required(ip netip.Addr, count, threshold int, now uint32) bool {
	if threshold == 0 {
		return false
	}
	idx := 0
	if ip.IsValid() {
		h := sha1.Sum(ip.AsSlice())
		idx = 1 + int(binary.BigEndian.Uint32(h[:4])&cookieCalmdownMask)
	}
	if count >= threshold {
		j.lastThreshold[idx] = now
		return true
	}
	// Cookies stay on for a while after the load dropped: toggling them
	// would leave an initiator unsure which of its retransmitted
	// IKE_SA_INITs a response belongs to, and the cookie is part of what
	// AUTH signs.
	return j.lastThreshold[idx] != 0 && now < j.lastThreshold[idx]+cookieCalmdownDelay
}

// challenge answers an IKE_SA_INIT request with a COOKIE when cookies are
// required, globally or for the sender's address bucket, and the request
// carries no valid one; it reports whether it did. all and fromIP are the
// half-open counts, cookieAll and cookieIP the thresholds (0: off).
func (j *cookieJar) challenge(m *Manager, thread int, h encoding.Header, p Packet, all, fromIP, cookieAll, cookieIP int) bool {
	src := p.Src.Addr()
	var log func(l bus.Level, format string, args ...any)
	if m.logs(bus.NET, bus.Diag) {
		log = func(l bus.Level, format string, args ...any) { m.env.Bus.Log(thread, nil, bus.NET, l, format, args...) }
	}
	j.mu.Lock()
	now := monotonic(m.env)
	need := j.required(netip.Addr{}, all, cookieAll, now)
	need = j.required(src, fromIP, cookieIP, now) || need
	if !need || j.check(p.Data, src, h.SPIi, now, log) {
		j.mu.Unlock()
		return false
	}
	if log != nil {
		log(bus.Diag, "received packet: from %s to %s (%d bytes)", FormatHost(p.Src), FormatHost(p.Dst), len(p.Data))
	}
	if j.secretFirstUse == 0 {
		j.secretFirstUse = now
	} else if now-j.secretFirstUse > cookieSecretSwitch {
		m.env.Bus.Log(thread, nil, bus.NET, bus.Control, "generating new cookie secret after %ds since first use", now-j.secretFirstUse)
		var fresh [cookieSecretLength]byte
		if err := m.env.Read(fresh[:]); err != nil {
			m.env.Bus.Log(thread, nil, bus.NET, bus.Control, "failed to allocated cookie secret, keeping old")
		} else {
			j.old, j.secret, j.secretFirstUse = j.secret, fresh, now
			clear(fresh[:])
		}
	}
	cookie := j.build(src, h.SPIi, now-j.secretOffset, j.secret[:])
	j.mu.Unlock()
	if log != nil {
		log(bus.Diag, "sending COOKIE notify to %s", src)
	}
	m.sendNotify(thread, h, p, encoding.NotifyCookie, cookie[:])
	return true
}
