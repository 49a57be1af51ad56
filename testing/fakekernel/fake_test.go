package fakekernel

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/vclock"
)

type expiry struct {
	spi  uint32
	hard bool
	at   time.Duration
}

type listener struct {
	kernel.NopListener
	clock *vclock.Clock
	got   []expiry
}

func (l *listener) Expire(proto uint8, spi uint32, dst netip.Addr, hard bool) {
	l.got = append(l.got, expiry{spi, hard, l.clock.Since()})
}

func TestInstallExpireDelete(t *testing.T) {
	clock := vclock.New()
	l := &listener{clock: clock}
	k := New(Options{Listener: l, Timers: clock})
	moon, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	spi, err := k.GetSPI(sun, moon, kernel.ProtoESP, 1)
	if err != nil || spi != 0xc0000001 {
		t.Fatalf("GetSPI = %x, %v", spi, err)
	}
	id := kernel.SAID{Src: sun, Dst: moon, SPI: spi, Proto: kernel.ProtoESP}
	d := kernel.AddSA{ReqID: 1, Mode: kernel.ModeTunnel, Inbound: true, Update: true,
		Lifetime: kernel.Lifetime{Time: kernel.LifetimeLimit{Life: 10, Rekey: 5}}}
	if err := k.AddSA(id, d); err != nil {
		t.Fatal(err)
	}
	if _, ok := k.SA(moon, spi, kernel.ProtoESP); !ok {
		t.Fatal("SA not installed")
	}
	pol := kernel.PolicyID{Dir: kernel.DirIn, Src: selectors.FromAddr(sun), Dst: selectors.FromAddr(moon)}
	mp := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault}
	if err := k.AddPolicy(pol, mp); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7 * time.Second)
	if len(l.got) != 1 || l.got[0] != (expiry{spi, false, 5 * time.Second}) {
		t.Fatalf("expiries %v", l.got)
	}
	if err := k.DelSA(id, 0); err != nil {
		t.Fatal(err)
	}
	clock.Advance(10 * time.Second) // the hard expiry must not fire for a deleted SA
	if len(l.got) != 1 {
		t.Fatalf("expiry after delete: %v", l.got)
	}
	if err := k.DelPolicy(pol, mp); err != nil {
		t.Fatal(err)
	}
	if len(k.SAs()) != 0 || len(k.Policies()) != 0 {
		t.Fatalf("left behind: %v %v", k.SAs(), k.Policies())
	}
	log := k.Log()
	for _, want := range []string{"GetSPI 192.168.0.2->192.168.0.1 proto 50 => 0xc0000001",
		"AddSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001 in reqid 1 TUNNEL (update)",
		"AddPolicy 192.168.0.2/32 === 192.168.0.1/32 in reqid 0 spi 0x00000000 (install)",
		"DelSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001",
		"(remove)"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
}

func TestFailInjectionLeavesStateUnchanged(t *testing.T) {
	k := New(Options{})
	boom := errors.New("Requested type not found")
	k.Fail = func(c Call) error {
		if c.Op == "AddSA" {
			return boom
		}
		return nil
	}
	moon, sun := netip.MustParseAddr("192.168.0.1"), netip.MustParseAddr("192.168.0.2")
	err := k.AddSA(kernel.SAID{Src: moon, Dst: sun, SPI: 0xc1, Proto: kernel.ProtoESP}, kernel.AddSA{})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if len(k.SAs()) != 0 {
		t.Fatal("failed AddSA left an SA")
	}
	if c := k.Calls(); len(c) != 1 || c[0].Err == nil {
		t.Fatalf("calls %v", c)
	}
}
