package kernel_netlink

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// seedMIPv6Migrate is the first XFRM_MSG_MIGRATE of seeds/004: mip6d on
// the home agent moves carol's Mobility Header policy (2001:1::10[135] ===
// 2001:1::1[135] in, transport mode, reqid 1) to her care-of address.
func seedMIPv6Migrate() []byte {
	a := netip.MustParseAddr
	sel := toXsel(kernel.SelFromTS(selectors.FromPrefix(netip.MustParsePrefix("2001:1::10/128"), 135, 0, 0xffff),
		selectors.FromPrefix(netip.MustParsePrefix("2001:1::1/128"), 135, 0, 0xffff), 0))
	m := polID(sel, dirIn)
	km := make([]byte, sizeKmAddress)
	putAddr(km[0:], a("2001:1::1"))
	putAddr(km[16:], a("2001::41a:a8ff:fe6f:c67"))
	native.PutUint16(km[36:], afInet6)
	ptype := make([]byte, 6) // xfrm_userpolicy_type: main
	mg := make([]byte, sizeUserMigrate)
	putAddr(mg[0:], netip.IPv6Unspecified())
	putAddr(mg[16:], netip.IPv6Unspecified())
	putAddr(mg[32:], a("2001:1::1"))
	putAddr(mg[48:], a("2001::41a:a8ff:fe6f:c67"))
	mg[64], mg[65] = kernel.ProtoESP, xmodeTransport
	native.PutUint32(mg[68:], 1)
	native.PutUint16(mg[72:], afInet6)
	native.PutUint16(mg[74:], afInet6)
	m = append(m, attrBytes(attrKmAddress, km)...)
	m = append(m, attrBytes(16, ptype)...) // XFRMA_POLICY_TYPE
	return append(m, attrBytes(attrMigrate, mg)...)
}

// seedMIPv6Acquire is an ACQUIRE for a policy mip6d installed with the
// reqid of a conn with installpolicy=no (the tunnel of seeds/004).
func seedMIPv6Acquire() []byte {
	a := netip.MustParseAddr("2001::41a:a8ff:fe6f:c67")
	return acquireMsg(a, toXsel(kernel.SelFromTS(selectors.FromPrefix(netip.MustParsePrefix("2001:1::1/128"), 0, 0, 0xffff),
		selectors.FromPrefix(netip.MustParsePrefix("2001:1::10/128"), 0, 0, 0xffff), 0)),
		tmpl{proto: kernel.ProtoESP, reqid: 2, mode: xmodeTunnel, family: afInet6,
			saddr: netip.MustParseAddr("2001:1::1"), daddr: a})
}

// checkingListener is a listener that checks what reaches it.
type checkingListener struct {
	kernel.NopListener
	t      *testing.T
	events []string
}

func (r *checkingListener) Acquire(reqid uint32, src, dst selectors.TS) {
	if src.IsValid() != dst.IsValid() {
		r.t.Errorf("acquire with one selector: %v %v", src, dst)
	}
	r.events = append(r.events, fmt.Sprintf("acquire {%d} %s === %s", reqid, src, dst))
}

func (r *checkingListener) Migrate(reqid uint32, src, dst selectors.TS, dir kernel.PolicyDir, local, remote netip.Addr) {
	if !src.IsValid() || !dst.IsValid() || !local.IsValid() || !remote.IsValid() {
		r.t.Errorf("migrate without selectors or kmaddress: %v %v %v %v", src, dst, local, remote)
	}
	r.events = append(r.events, fmt.Sprintf("migrate {%d} %s === %s %s %s...%s", reqid, src, dst, dir, local, remote))
}

// TestMIPv6Events: the seed's MIGRATE and an ACQUIRE by reqid go through
// the event handler as charon logs and dispatches them.
func TestMIPv6Events(t *testing.T) {
	var lines []string
	log := bus.LoggerFunc(func(g bus.Group, l bus.Level, format string, args ...any) {
		lines = append(lines, fmt.Sprintf("[%s] %s", g, fmt.Sprintf(format, args...)))
	})
	r := &checkingListener{t: t}
	ip := &IPsec{log: log, listener: r}
	ip.handleXfrmEvent(msgMigrate, seedMIPv6Migrate())
	ip.handleXfrmEvent(msgAcquire, seedMIPv6Acquire())
	// The Mobility Header's name comes from /etc/protocols, as charon's.
	mh := func(p string) string {
		return selectors.FromPrefix(netip.MustParsePrefix(p), 135, 0, 0xffff).String()
	}
	want := []string{
		"[KNL] received a XFRM_MSG_MIGRATE",
		"[KNL]   policy: " + mh("2001:1::10/128") + " === " + mh("2001:1::1/128") + " in",
		"[KNL]   XFRMA_KMADDRESS",
		"[KNL]   kmaddress: 2001:1::1...2001::41a:a8ff:fe6f:c67",
		"[KNL]   XFRMA_POLICY_TYPE",
		"[KNL]   XFRMA_MIGRATE",
		"[KNL]   migrate %any6...%any6 to 2001::41a:a8ff:fe6f:c67...2001:1::1, reqid {1}",
		"[KNL] received a XFRM_MSG_ACQUIRE",
		"[KNL]   XFRMA_TMPL",
	}
	if got := strings.Join(lines, "\n"); got != strings.Join(want, "\n") {
		t.Errorf("log:\n%s\nwant:\n%s", got, strings.Join(want, "\n"))
	}
	wantEv := []string{
		"migrate {1} " + mh("2001:1::10/128") + " === " + mh("2001:1::1/128") + " in 2001:1::1...2001::41a:a8ff:fe6f:c67",
		"acquire {2} 2001:1::1/128 === 2001:1::10/128",
	}
	if got := strings.Join(r.events, "\n"); got != strings.Join(wantEv, "\n") {
		t.Errorf("events:\n%s\nwant:\n%s", got, strings.Join(wantEv, "\n"))
	}
}

// FuzzMigrateAcquire feeds XFRM_MSG_MIGRATE and XFRM_MSG_ACQUIRE payloads
// through the whole event path (parse, log, hand to the listener): no
// input panics, and what reaches the listener is complete.
func FuzzMigrateAcquire(f *testing.F) {
	for _, s := range [][]byte{seedMigrate(), seedMIPv6Migrate(), seedAcquire(), seedMIPv6Acquire()} {
		f.Add(false, s)
		f.Add(true, s)
	}
	f.Fuzz(func(t *testing.T, acquire bool, b []byte) {
		r := &checkingListener{t: t}
		ip := &IPsec{log: bus.Discard, listener: r}
		typ := uint16(msgMigrate)
		if acquire {
			typ = msgAcquire
		}
		ip.handleXfrmEvent(typ, b)
		if len(r.events) > 1 {
			t.Errorf("one message, %d events", len(r.events))
		}
	})
}
