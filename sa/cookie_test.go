package sa

import (
	"math/rand"
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/vclock"
)

func TestCookieVerify(t *testing.T) {
	clock := vclock.New()
	env := &Env{Clock: clock, Rand: rand.New(rand.NewSource(1))}
	j := newCookieJar(env)
	ip, other := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2")
	const spi = 0x0102030405060708
	now := monotonic(env)
	j.secretFirstUse = now
	ca := j.build(ip, spi, now-j.secretOffset, j.secret[:])
	c := ca[:]
	if !j.verify(ip, spi, c, now) {
		t.Fatal("fresh cookie rejected")
	}
	if j.verify(other, spi, c, now) || j.verify(ip, spi+1, c, now) {
		t.Error("cookie accepted for another address or SPI")
	}
	bad := append([]byte(nil), c...)
	bad[10] ^= 1
	if j.verify(ip, spi, bad, now) || j.verify(ip, spi, c[:10], now) {
		t.Error("altered or short cookie accepted")
	}
	// RFC 7296 §2.6: cookies expire (charon: after 10 s).
	if !j.verify(ip, spi, c, now+cookieLifetime) || j.verify(ip, spi, c, now+cookieLifetime+1) {
		t.Error("cookie lifetime is not 10 s")
	}
	// After a secret switch, cookies of the old secret still verify.
	j.old, j.secret, j.secretFirstUse = j.secret, [cookieSecretLength]byte{1}, now+5
	if !j.verify(ip, spi, c, now+5) {
		t.Error("cookie of the previous secret rejected")
	}
	c2a := j.build(ip, spi, now+5-j.secretOffset, j.secret[:])
	c2 := c2a[:]
	if !j.verify(ip, spi, c2, now+6) {
		t.Error("cookie of the new secret rejected")
	}
}

func TestCookieRequiredCalmdown(t *testing.T) {
	clock := vclock.New()
	env := &Env{Clock: clock, Rand: rand.New(rand.NewSource(1))}
	j := newCookieJar(env)
	ip := netip.MustParseAddr("192.0.2.1")
	now := monotonic(env)
	if j.required(ip, 2, 0, now) {
		t.Error("threshold 0 must disable cookies")
	}
	if j.required(ip, 2, 3, now) || !j.required(ip, 3, 3, now) {
		t.Error("threshold not applied")
	}
	// Cookies stay on for 10 s after the load dropped, for that address
	// bucket only.
	if !j.required(ip, 0, 3, now+9) || j.required(ip, 0, 3, now+10) {
		t.Error("calm-down delay is not 10 s")
	}
	if j.required(netip.Addr{}, 0, 30, now+1) {
		t.Error("a per-address threshold turned cookies on globally")
	}
	clock.Advance(time.Second)
}
