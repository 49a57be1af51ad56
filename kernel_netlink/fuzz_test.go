package kernel_netlink

import (
	"net/netip"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Seeds built with the encoders; testdata/fuzz holds messages captured
// from a real kernel (see TestCaptureFuzzSeeds).

func seedAcquire() []byte {
	a := netip.MustParseAddr("192.168.0.2")
	return acquireMsg(a, toXsel(kernel.SelFromTS(selectors.FromPrefix(netip.MustParsePrefix("10.1.0.1/32"), 17, 4000, 4000),
		selectors.FromPrefix(netip.MustParsePrefix("10.2.0.10/32"), 17, 5000, 5000), 0)),
		tmpl{proto: kernel.ProtoESP, reqid: 1, mode: xmodeTunnel, family: afInet,
			saddr: netip.MustParseAddr("192.168.0.1"), daddr: a})
}

// acquireMsg is an XFRM_MSG_ACQUIRE for an ESP SA to dst, of the policy
// with selector sel, carrying its template tp; the seeds of every ACQUIRE.
func acquireMsg(dst netip.Addr, sel xsel, tp tmpl) []byte {
	m := make([]byte, sizeUserAcquire)
	copy(m[0:16], dst.AsSlice())
	m[20] = kernel.ProtoESP
	sel.put(m[40:])
	t := make([]byte, sizeUserTmpl)
	tp.put(t)
	return append(m, attrBytes(attrTmpl, t)...)
}

func attrBytes(typ uint16, data []byte) []byte {
	l := 4 + len(data)
	b := make([]byte, (l+3)&^3)
	native.PutUint16(b[0:], uint16(l))
	native.PutUint16(b[2:], typ)
	copy(b[4:], data)
	return b
}

func seedExpire(hard bool) []byte {
	info := newSAInfo()
	putAddr(info.daddr(), netip.MustParseAddr("192.168.0.1"))
	putAddr(info.saddr(), netip.MustParseAddr("192.168.0.2"))
	info.setSPI(0xc1234567)
	info.setProto(kernel.ProtoESP)
	info.setFamily(afInet)
	m := append([]byte(info), make([]byte, sizeUserExpire-sizeUsersaInfo)...)
	if hard {
		m[sizeUsersaInfo] = 1
	}
	return m
}

func seedMigrate() []byte {
	sel := toXsel(kernel.SelFromTS(selectors.FromPrefix(netip.MustParsePrefix("10.1.0.0/16"), 0, 0, 0xffff),
		selectors.FromPrefix(netip.MustParsePrefix("10.2.0.0/16"), 0, 0, 0xffff), 0))
	m := polID(sel, dirOut)
	km := make([]byte, sizeKmAddress)
	putAddr(km[0:], netip.MustParseAddr("192.168.0.1"))
	putAddr(km[16:], netip.MustParseAddr("192.168.0.2"))
	native.PutUint16(km[36:], afInet)
	mg := make([]byte, sizeUserMigrate)
	putAddr(mg[0:], netip.MustParseAddr("192.168.0.2"))
	putAddr(mg[16:], netip.MustParseAddr("192.168.0.1"))
	putAddr(mg[32:], netip.MustParseAddr("192.168.0.3"))
	putAddr(mg[48:], netip.MustParseAddr("192.168.0.1"))
	native.PutUint32(mg[68:], 7)
	native.PutUint16(mg[72:], afInet)
	native.PutUint16(mg[74:], afInet)
	return append(append(m, attrBytes(attrKmAddress, km)...), attrBytes(attrMigrate, mg)...)
}

func seedMapping() []byte {
	m := make([]byte, sizeUserMapping)
	putAddr(m[0:], netip.MustParseAddr("192.168.0.1"))
	m[16], m[17], m[18], m[19] = 0xc1, 0x23, 0x45, 0x67
	native.PutUint16(m[20:], afInet)
	m[22] = kernel.ProtoESP
	putAddr(m[44:], netip.MustParseAddr("203.0.113.7"))
	m[62], m[63] = 0x11, 0x94 // 4500
	return m
}

func TestEventParsers(t *testing.T) {
	t.Run("acquire", testParseAcquire)
	t.Run("expire", testParseExpire)
	t.Run("migrate", testParseMigrate)
	t.Run("mapping", testParseMapping)
	t.Run("malformed", testParseMalformed)
}

func testParseAcquire(t *testing.T) {
	acq, err := parseAcquire(seedAcquire())
	if err != nil || acq.reqid != 1 || !acq.wanted() || !acq.hasTS ||
		acq.src.String() != "10.1.0.1/32[udp/4000]" || acq.dst.String() != "10.2.0.10/32[udp/5000]" {
		t.Errorf("acquire: %+v %v", acq, err)
	}
}

func testParseExpire(t *testing.T) {
	for _, hard := range []bool{false, true} {
		ex, err := parseExpire(seedExpire(hard))
		if err != nil || ex.spi != 0xc1234567 || ex.proto != kernel.ProtoESP || ex.dst.String() != "192.168.0.1" || ex.hard != hard {
			t.Errorf("expire: %+v %v", ex, err)
		}
	}
}

func testParseMigrate(t *testing.T) {
	mi, err := parseMigrate(seedMigrate())
	if err != nil || mi.reqid != 7 || mi.local.String() != "192.168.0.1" || mi.remote.String() != "192.168.0.2" ||
		mi.dir != kernel.DirOut || mi.src.String() != "10.1.0.0/16" || len(mi.migrations) != 1 ||
		mi.migrations[0].newDst.String() != "192.168.0.3" {
		t.Errorf("migrate: %+v %v", mi, err)
	}
}

func testParseMapping(t *testing.T) {
	ma, err := parseMapping(seedMapping())
	if err != nil || ma.spi != 0xc1234567 || ma.new.String() != "203.0.113.7:4500" || ma.dst.String() != "192.168.0.1" {
		t.Errorf("mapping: %+v %v", ma, err)
	}
}

func testParseMalformed(t *testing.T) {
	// truncated messages are errors, not panics
	for _, f := range []func([]byte) error{
		func(b []byte) error { _, err := parseAcquire(b); return err },
		func(b []byte) error { _, err := parseExpire(b); return err },
		func(b []byte) error { _, err := parseMigrate(b); return err },
		func(b []byte) error { _, err := parseMapping(b); return err },
	} {
		if f(make([]byte, 10)) == nil {
			t.Error("short message accepted")
		}
	}
	// a bad attribute length is an error
	bad := append(seedAcquire()[:sizeUserAcquire], 0xff, 0x00, byte(attrTmpl), 0x00)
	if _, err := parseAcquire(bad); err == nil {
		t.Error("bad attribute length accepted")
	}
}

func TestICMPSelectorRoundTrip(t *testing.T) {
	// ICMP type 8 code 0 travels in the source port field
	ts := selectors.FromPrefix(netip.MustParsePrefix("10.2.0.0/16"), selectors.ProtoICMP, 8<<8, 8<<8)
	any := selectors.FromPrefix(netip.MustParsePrefix("10.1.0.0/16"), selectors.ProtoICMP, 0, 0xffff)
	x := toXsel(kernel.SelFromTS(any, ts, 0))
	if x.sport != 8 || x.sportMask != 0xffff || x.dport != 0 {
		t.Fatalf("selector %+v", x)
	}
	back, ok := selToTS(x, false)
	if !ok || back.String() != "10.2.0.0/16[icmp/8]" {
		t.Errorf("back: %s", back)
	}
}

func FuzzXfrmEvents(f *testing.F) {
	for _, s := range [][]byte{seedAcquire(), seedExpire(false), seedExpire(true), seedMigrate(), seedMapping()} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseAcquire(b)
		_, _ = parseExpire(b)
		_, _ = parseMigrate(b)
		_, _ = parseMapping(b)
		_, _ = parseAEvent(b)
		_, _ = policyUseTime(b)
		if len(b) >= sizeUsersaInfo {
			_ = saInfo(b[:sizeUsersaInfo]).sel()
		}
	})
}

func FuzzRtMessages(f *testing.F) {
	link := make([]byte, sizeIfInfoMsg)
	native.PutUint32(link[4:], 2)
	link = append(link, attrBytes(iflaIfname, []byte("eth0\x00"))...)
	addr := []byte{afInet, 24, 0, 0, 2, 0, 0, 0}
	addr = append(addr, attrBytes(ifaLocal, []byte{192, 168, 0, 1})...)
	route := []byte{afInet, 16, 0, 0, 254, 4, 0, rtnUnicast, 0, 0, 0, 0}
	route = append(route, attrBytes(rtaDst, []byte{10, 2, 0, 0})...)
	route = append(route, attrBytes(rtaGateway, []byte{192, 168, 0, 2})...)
	route = append(route, attrBytes(rtaOif, u32(2))...)
	route = append(route, attrBytes(rtaTable, u32(220))...)
	for _, s := range [][]byte{link, addr, route} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = parseLink(b)
		_, _ = parseAddr(b)
		if r, err := parseRoute(b); err == nil {
			_ = r.usable(true)
			_ = routeContains(r, netip.MustParsePrefix("10.2.0.1/32"))
		}
		_, _ = parseRuleTable(b)
	})
}
