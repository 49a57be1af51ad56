package kernel_netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// The XFRM structures of <linux/xfrm.h>, encoded and decoded by hand. Every
// integer is in host byte order except SPIs and ports, which are in network
// byte order (the "__be" fields). Sizes and offsets are the kernel's on every
// Linux architecture (the structs have no pointer-sized members).

var native = binary.NativeEndian

const (
	afInet  = 2
	afInet6 = 10

	xfrmInf = ^uint64(0)

	// message types (XFRM_MSG_*)
	msgNewSA       = 0x10
	msgDelSA       = 0x11
	msgGetSA       = 0x12
	msgNewPolicy   = 0x13
	msgDelPolicy   = 0x14
	msgGetPolicy   = 0x15
	msgAllocSPI    = 0x16
	msgAcquire     = 0x17
	msgExpire      = 0x18
	msgUpdPolicy   = 0x19
	msgUpdSA       = 0x1a
	msgFlushSA     = 0x1c
	msgFlushPolicy = 0x1d
	msgNewAE       = 0x1e
	msgGetAE       = 0x1f
	msgMigrate     = 0x21
	msgNewSPDInfo  = 0x24
	msgGetSPDInfo  = 0x25
	msgMapping     = 0x26

	// attributes (XFRMA_*)
	attrAlgAuth      = 1
	attrAlgCrypt     = 2
	attrAlgComp      = 3
	attrEncap        = 4
	attrTmpl         = 5
	attrLtimeVal     = 9
	attrReplayVal    = 10
	attrMigrate      = 17
	attrAlgAEAD      = 18
	attrKmAddress    = 19
	attrAlgAuthTrunc = 20
	attrMark         = 21
	attrTFCPad       = 22
	attrReplayESNVal = 23
	attrSAExtraFlags = 24
	attrOffloadDev   = 28
	attrSetMark      = 29
	attrSetMarkMask  = 30
	attrIfID         = 31

	// XFRM_MODE_*
	xmodeTransport = 0
	xmodeTunnel    = 1
	xmodeBEET      = 4

	// state flags (XFRM_STATE_*)
	stateNoECN      = 1
	stateDecapDSCP  = 2
	stateNoPMTUDisc = 4
	stateAFUnspec   = 32
	stateAlign4     = 64
	stateESN        = 128
	// XFRM_SA_XFLAG_DONT_ENCAP_DSCP
	saXflagDontEncapDSCP = 1

	// XFRM_POLICY_* actions and directions
	policyAllow = 0
	policyBlock = 1
	dirIn       = 0
	dirOut      = 1
	dirFwd      = 2
	shareAny    = 0

	// XFRM_AE_RVAL
	aeRVal = 1
	// XFRM_OFFLOAD_INBOUND
	offloadInbound = 2
	// UDP_ENCAP_ESPINUDP
	udpEncapESPInUDP = 2

	// XFRMNLGRP_*
	grpAcquire = 1
	grpExpire  = 2
	grpMigrate = 7
	grpMapping = 8

	// XFRMA_SPD_IPV4_HTHRESH, XFRMA_SPD_IPV6_HTHRESH (NEWSPDINFO attributes)
	spdIPv4HThresh = 3
	spdIPv6HThresh = 4
)

// Structure sizes.
const (
	sizeLifetimeCur  = 32
	sizeUsersaInfo   = 224
	sizeUserSPIInfo  = 232
	sizeUsersaID     = 24
	sizeUserpolInfo  = 168
	sizeUserpolID    = 64
	sizeUserTmpl     = 64
	sizeUserAcquire  = 280
	sizeUserExpire   = 232
	sizeUserMapping  = 64
	sizeKmAddress    = 40
	sizeUserMigrate  = 76
	sizeAeventID     = 48
	sizeReplayState  = 12
	sizeReplayESN    = 24
	sizeAlgoHeader   = 68 // name[64] + key_len
	sizeAlgoAuthHdr  = 72 // + trunc_len
	sizeEncapTmpl    = 24
	sizeUserOffload  = 8
	sizeXfrmMark     = 8
	algoNameLen      = 64
	sizeSPDHThresh   = 2
	maxReplayBmpLen  = 4096 / 32 // the kernel's XFRMA_REPLAY_ESN_MAX, in u32s
	sizeNetlinkAlign = 4
)

// errShort is returned for a message too short for its structure.
var errShort = errors.New("xfrm: message too short")

// xsel is struct xfrm_selector with ports in host byte order.
type xsel struct {
	daddr, saddr           [16]byte
	dport, dportMask       uint16
	sport, sportMask       uint16
	family                 uint16
	prefixlenD, prefixlenS uint8
	proto                  uint8
	ifindex                int32
	user                   uint32
}

func putAddr(b []byte, a netip.Addr) {
	clear(b[:16])
	if a.IsValid() {
		copy(b, a.Unmap().AsSlice())
	}
}

func familyOf(a netip.Addr) uint16 {
	if a.Unmap().Is4() {
		return afInet
	}
	return afInet6
}

// addrFrom reads an xfrm_address_t of the given family.
func addrFrom(family uint16, b []byte) (netip.Addr, bool) {
	switch family {
	case afInet:
		return netip.AddrFrom4([4]byte(b[:4])), true
	case afInet6:
		return netip.AddrFrom16([16]byte(b[:16])), true
	}
	return netip.Addr{}, false
}

func (s *xsel) put(b []byte) {
	copy(b[0:16], s.daddr[:])
	copy(b[16:32], s.saddr[:])
	binary.BigEndian.PutUint16(b[32:], s.dport)
	binary.BigEndian.PutUint16(b[34:], s.dportMask)
	binary.BigEndian.PutUint16(b[36:], s.sport)
	binary.BigEndian.PutUint16(b[38:], s.sportMask)
	native.PutUint16(b[40:], s.family)
	b[42] = s.prefixlenD
	b[43] = s.prefixlenS
	b[44] = s.proto
	native.PutUint32(b[48:], uint32(s.ifindex))
	native.PutUint32(b[52:], s.user)
}

func getSel(b []byte) xsel {
	var s xsel
	copy(s.daddr[:], b[0:16])
	copy(s.saddr[:], b[16:32])
	s.dport = binary.BigEndian.Uint16(b[32:])
	s.dportMask = binary.BigEndian.Uint16(b[34:])
	s.sport = binary.BigEndian.Uint16(b[36:])
	s.sportMask = binary.BigEndian.Uint16(b[38:])
	s.family = native.Uint16(b[40:])
	s.prefixlenD = b[42]
	s.prefixlenS = b[43]
	s.proto = b[44]
	s.ifindex = int32(native.Uint32(b[48:]))
	s.user = native.Uint32(b[52:])
	return s
}

// saInfo is a struct xfrm_usersa_info held as its bytes, so that UpdateSA
// can copy a state from the kernel and change only what it must, as
// strongSwan does with memcpy.
type saInfo []byte

func newSAInfo() saInfo { return make(saInfo, sizeUsersaInfo) }

func (s saInfo) sel() xsel               { return getSel(s[0:]) }
func (s saInfo) setSel(x xsel)           { x.put(s[0:]) }
func (s saInfo) daddr() []byte           { return s[56:72] }
func (s saInfo) spi() uint32             { return binary.BigEndian.Uint32(s[72:]) }
func (s saInfo) setSPI(v uint32)         { binary.BigEndian.PutUint32(s[72:], v) }
func (s saInfo) proto() uint8            { return s[76] }
func (s saInfo) setProto(p uint8)        { s[76] = p }
func (s saInfo) saddr() []byte           { return s[80:96] }
func (s saInfo) lft() []byte             { return s[96:160] }
func (s saInfo) curBytes() uint64        { return native.Uint64(s[160:]) }
func (s saInfo) curPackets() uint64      { return native.Uint64(s[168:]) }
func (s saInfo) setReqid(v uint32)       { native.PutUint32(s[208:], v) }
func (s saInfo) family() uint16          { return native.Uint16(s[212:]) }
func (s saInfo) setFamily(f uint16)      { native.PutUint16(s[212:], f) }
func (s saInfo) setMode(m uint8)         { s[214] = m }
func (s saInfo) setReplayWindow(w uint8) { s[215] = w }
func (s saInfo) setFlags(f uint8)        { s[216] = f }

// setLifetime writes struct xfrm_lifetime_cfg.
func (s saInfo) setLifetime(softBytes, hardBytes, softPackets, hardPackets, softAdd, hardAdd uint64) {
	l := s.lft()
	for i, v := range []uint64{softBytes, hardBytes, softPackets, hardPackets, softAdd, hardAdd, 0, 0} {
		native.PutUint64(l[i*8:], v)
	}
}

// usersaID builds struct xfrm_usersa_id.
func usersaID(dst netip.Addr, spi uint32, proto uint8) []byte {
	b := make([]byte, sizeUsersaID)
	putAddr(b, dst)
	binary.BigEndian.PutUint32(b[16:], spi)
	native.PutUint16(b[20:], familyOf(dst))
	b[22] = proto
	return b
}

// polInfo builds struct xfrm_userpolicy_info with infinite lifetimes.
func polInfo(sel xsel, dir uint8, prio uint32, action uint8) []byte {
	b := make([]byte, sizeUserpolInfo)
	sel.put(b)
	l := b[56:120]
	for i := 0; i < 4; i++ { // byte and packet limits; the times stay 0
		native.PutUint64(l[i*8:], xfrmInf)
	}
	native.PutUint32(b[152:], prio)
	b[160] = dir
	b[161] = action
	b[163] = shareAny
	return b
}

// polID builds struct xfrm_userpolicy_id.
func polID(sel xsel, dir uint8) []byte {
	b := make([]byte, sizeUserpolID)
	sel.put(b)
	b[60] = dir
	return b
}

// tmpl is struct xfrm_user_tmpl.
type tmpl struct {
	daddr, saddr netip.Addr // zero for transport mode
	spi          uint32
	proto        uint8
	family       uint16
	reqid        uint32
	mode         uint8
	optional     bool
}

func (t tmpl) put(b []byte) {
	putAddr(b[0:], t.daddr)
	binary.BigEndian.PutUint32(b[16:], t.spi)
	b[20] = t.proto
	native.PutUint16(b[24:], t.family)
	putAddr(b[28:], t.saddr)
	native.PutUint32(b[44:], t.reqid)
	b[48] = t.mode
	if t.optional {
		b[50] = 1
	}
	native.PutUint32(b[52:], ^uint32(0))
	native.PutUint32(b[56:], ^uint32(0))
	native.PutUint32(b[60:], ^uint32(0))
}

// algo builds struct xfrm_algo (extra=nil), xfrm_algo_auth or xfrm_algo_aead
// (extra = the truncation or ICV length in bits).
func algo(name string, key []byte, extra *uint32) []byte {
	hdr := sizeAlgoHeader
	if extra != nil {
		hdr = sizeAlgoAuthHdr
	}
	b := make([]byte, hdr+len(key))
	copy(b[:algoNameLen-1], name)
	native.PutUint32(b[64:], uint32(len(key)*8))
	if extra != nil {
		native.PutUint32(b[68:], *extra)
	}
	copy(b[hdr:], key)
	return b
}

func encapTmpl(sport, dport uint16) []byte {
	b := make([]byte, sizeEncapTmpl)
	native.PutUint16(b[0:], udpEncapESPInUDP)
	binary.BigEndian.PutUint16(b[2:], sport)
	binary.BigEndian.PutUint16(b[4:], dport)
	return b
}

func u32(v uint32) []byte {
	b := make([]byte, 4)
	native.PutUint32(b, v)
	return b
}

func markAttr(value, mask uint32) []byte {
	b := make([]byte, sizeXfrmMark)
	native.PutUint32(b[0:], value)
	native.PutUint32(b[4:], mask)
	return b
}

// userSPIInfo builds struct xfrm_userspi_info for ALLOCSPI.
func userSPIInfo(src, dst netip.Addr, proto uint8, lo, hi uint32) []byte {
	info := newSAInfo()
	putAddr(info.saddr(), src)
	putAddr(info.daddr(), dst)
	info.setProto(proto)
	info.setMode(xmodeTunnel)
	info.setFamily(familyOf(src))
	b := make([]byte, sizeUserSPIInfo)
	copy(b, info)
	native.PutUint32(b[224:], lo)
	native.PutUint32(b[228:], hi)
	return b
}

// aeventID builds struct xfrm_aevent_id asking for the replay values.
func aeventID(dst netip.Addr, spi uint32, proto uint8) []byte {
	b := make([]byte, sizeAeventID)
	copy(b, usersaID(dst, spi, proto))
	native.PutUint32(b[40:], aeRVal)
	return b
}

// replayESN builds struct xfrm_replay_state_esn with an empty bitmap big
// enough for window packets.
func replayESN(window uint32) []byte {
	bmpBytes := (window + 31) / 32 * 4
	b := make([]byte, sizeReplayESN+int(bmpBytes))
	native.PutUint32(b[0:], bmpBytes/4)
	native.PutUint32(b[20:], window)
	return b
}

// attr is one netlink attribute of a received message.
type attr struct {
	typ  uint16
	data []byte
}

// parseAttrs splits a run of netlink attributes. Nested and byte-order
// flags are masked off the type, as the kernel's nla_type() does.
func parseAttrs(b []byte) ([]attr, error) {
	var out []attr
	for len(b) >= 4 {
		l := int(native.Uint16(b[0:]))
		t := native.Uint16(b[2:]) & 0x3fff
		if l < 4 || l > len(b) {
			return out, fmt.Errorf("xfrm: attribute %d: bad length %d", t, l)
		}
		out = append(out, attr{typ: t, data: b[4:l]})
		al := (l + sizeNetlinkAlign - 1) &^ (sizeNetlinkAlign - 1)
		if al >= len(b) {
			break
		}
		b = b[al:]
	}
	return out, nil
}

// attrsAfter parses the attributes that follow a fixed-size header of hdr
// bytes in a message payload.
func attrsAfter(payload []byte, hdr int) ([]attr, error) {
	if len(payload) < hdr {
		return nil, errShort
	}
	off := (hdr + sizeNetlinkAlign - 1) &^ (sizeNetlinkAlign - 1)
	if off >= len(payload) {
		return nil, nil
	}
	return parseAttrs(payload[off:])
}
