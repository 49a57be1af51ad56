package kernel_netlink

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Decoders of the XFRM events charon listens to. They take the message
// payload (after the netlink header) and never panic: a malformed message
// is an error.

var attrNames = [...]string{"XFRMA_UNSPEC", "XFRMA_ALG_AUTH", "XFRMA_ALG_CRYPT", "XFRMA_ALG_COMP",
	"XFRMA_ENCAP", "XFRMA_TMPL", "XFRMA_SA", "XFRMA_POLICY", "XFRMA_SEC_CTX", "XFRMA_LTIME_VAL",
	"XFRMA_REPLAY_VAL", "XFRMA_REPLAY_THRESH", "XFRMA_ETIMER_THRESH", "XFRMA_SRCADDR",
	"XFRMA_COADDR", "XFRMA_LASTUSED", "XFRMA_POLICY_TYPE", "XFRMA_MIGRATE", "XFRMA_ALG_AEAD",
	"XFRMA_KMADDRESS", "XFRMA_ALG_AUTH_TRUNC", "XFRMA_MARK", "XFRMA_TFCPAD",
	"XFRMA_REPLAY_ESN_VAL", "XFRMA_SA_EXTRA_FLAGS", "XFRMA_PROTO", "XFRMA_ADDRESS_FILTER",
	"XFRMA_PAD", "XFRMA_OFFLOAD_DEV"}

// attrName is %N of xfrm_attr_type_names.
func attrName(t uint16) string {
	if int(t) < len(attrNames) {
		return attrNames[t]
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// acquireEvent is a decoded XFRM_MSG_ACQUIRE.
type acquireEvent struct {
	proto    uint8
	reqid    uint32
	src, dst selectors.TS
	hasTS    bool
	attrs    []uint16
}

func parseAcquire(m []byte) (acquireEvent, error) {
	var ev acquireEvent
	if len(m) < sizeUserAcquire {
		return ev, errShort
	}
	ev.proto = m[20] // id.proto
	attrs, err := attrsAfter(m, sizeUserAcquire)
	if err != nil {
		return ev, err
	}
	for _, a := range attrs {
		ev.attrs = append(ev.attrs, a.typ)
		if a.typ == attrTmpl && len(a.data) >= sizeUserTmpl {
			// the reqid of the (last) template, as strongSwan
			ev.reqid = native.Uint32(a.data[44:])
		}
	}
	sel := getSel(m[40:])
	src, okS := selToTS(sel, true)
	dst, okD := selToTS(sel, false)
	ev.src, ev.dst, ev.hasTS = src, dst, okS && okD
	return ev, nil
}

// wanted reports whether charon handles the acquire: ESP and AH only, not
// IPComp.
func (ev acquireEvent) wanted() bool {
	return ev.proto == 0 || ev.proto == kernel.ProtoESP || ev.proto == kernel.ProtoAH
}

// expireEvent is a decoded XFRM_MSG_EXPIRE.
type expireEvent struct {
	proto uint8
	spi   uint32
	dst   netip.Addr
	hard  bool
}

func parseExpire(m []byte) (expireEvent, error) {
	if len(m) < sizeUserExpire {
		return expireEvent{}, errShort
	}
	info := saInfo(m[:sizeUsersaInfo])
	ev := expireEvent{proto: info.proto(), spi: info.spi(), hard: m[sizeUsersaInfo] != 0}
	var ok bool
	ev.dst, ok = addrFrom(info.family(), info.daddr())
	if !ok {
		return ev, errors.New("xfrm: expire for unknown address family")
	}
	return ev, nil
}

// migrateEvent is a decoded XFRM_MSG_MIGRATE.
type migrateEvent struct {
	src, dst      selectors.TS
	hasTS         bool
	dir           kernel.PolicyDir
	local, remote netip.Addr
	reqid         uint32
	migrations    []migration
	attrs         []uint16
}

type migration struct {
	oldSrc, oldDst, newSrc, newDst netip.Addr
	reqid                          uint32
}

func parseMigrate(m []byte) (migrateEvent, error) {
	var ev migrateEvent
	if len(m) < sizeUserpolID {
		return ev, errShort
	}
	sel := getSel(m[0:])
	src, okS := selToTS(sel, true)
	dst, okD := selToTS(sel, false)
	ev.src, ev.dst, ev.hasTS = src, dst, okS && okD
	ev.dir = kernel.PolicyDir(m[60])
	attrs, err := attrsAfter(m, sizeUserpolID)
	if err != nil {
		return ev, err
	}
	for _, a := range attrs {
		ev.attrs = append(ev.attrs, a.typ)
		switch {
		case a.typ == attrKmAddress && len(a.data) >= sizeKmAddress:
			fam := native.Uint16(a.data[36:])
			ev.local, _ = addrFrom(fam, a.data[0:])
			ev.remote, _ = addrFrom(fam, a.data[16:])
		case a.typ == attrMigrate && len(a.data) >= sizeUserMigrate:
			oldFam, newFam := native.Uint16(a.data[72:]), native.Uint16(a.data[74:])
			var mg migration
			mg.oldDst, _ = addrFrom(oldFam, a.data[0:])
			mg.oldSrc, _ = addrFrom(oldFam, a.data[16:])
			mg.newDst, _ = addrFrom(newFam, a.data[32:])
			mg.newSrc, _ = addrFrom(newFam, a.data[48:])
			mg.reqid = native.Uint32(a.data[68:])
			ev.reqid = mg.reqid
			ev.migrations = append(ev.migrations, mg)
		}
	}
	return ev, nil
}

// mappingEvent is a decoded XFRM_MSG_MAPPING: the peer's NAT mapping of an
// ESP-in-UDP SA changed.
type mappingEvent struct {
	proto uint8
	spi   uint32
	dst   netip.Addr
	new   netip.AddrPort
}

func parseMapping(m []byte) (mappingEvent, error) {
	if len(m) < sizeUserMapping {
		return mappingEvent{}, errShort
	}
	fam := native.Uint16(m[20:])
	ev := mappingEvent{proto: m[22], spi: binary.BigEndian.Uint32(m[16:])}
	dst, ok := addrFrom(fam, m[0:])
	if !ok {
		return ev, errors.New("xfrm: mapping for unknown address family")
	}
	ev.dst = dst
	newAddr, _ := addrFrom(fam, m[44:])
	ev.new = netip.AddrPortFrom(newAddr, binary.BigEndian.Uint16(m[62:]))
	return ev, nil
}
