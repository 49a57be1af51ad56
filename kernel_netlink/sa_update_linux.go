package kernel_netlink

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/vishvananda/netlink/nl"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// replayState is what XFRM_MSG_GETAE returns for an SA: the legacy or the
// ESN replay state (with its bitmap) and the current lifetime counters.
type replayState struct {
	esn      []byte // struct xfrm_replay_state_esn with bitmap, or nil
	legacy   []byte // struct xfrm_replay_state, or nil
	lifetime []byte // struct xfrm_lifetime_cur, or nil
}

// parseAEvent decodes a XFRM_MSG_NEWAE payload.
func parseAEvent(m []byte) (replayState, error) {
	var r replayState
	attrs, err := attrsAfter(m, sizeAeventID)
	if err != nil {
		return r, err
	}
	for _, a := range attrs {
		switch {
		case a.typ == attrLtimeVal && len(a.data) == sizeLifetimeCur:
			r.lifetime = append([]byte(nil), a.data...)
		case a.typ == attrReplayVal && len(a.data) == sizeReplayState:
			r.legacy = append([]byte(nil), a.data...)
		case a.typ == attrReplayESNVal && len(a.data) >= sizeReplayESN:
			bmpLen := native.Uint32(a.data[0:])
			if bmpLen > maxReplayBmpLen || len(a.data) < sizeReplayESN+int(bmpLen)*4 {
				return r, fmt.Errorf("xfrm: replay state bitmap of %d words does not fit", bmpLen)
			}
			r.esn = append([]byte(nil), a.data[:sizeReplayESN+int(bmpLen)*4]...)
		}
	}
	return r, nil
}

// getReplayState queries the replay state and counters of an SA.
func (ip *IPsec) getReplayState(id kernel.SAID) replayState {
	req := ip.xfrm.newRequest(msgGetAE, 0)
	addRaw(req, aeventID(id.Dst, id.SPI, id.Proto))
	addIDAttrs(req, id.Mark, id.IfID)
	msgs, err := ip.xfrm.query(req, msgNewAE)
	if err != nil {
		if ne, ok := err.(*NetlinkError); ok {
			ip.log.Logf(bus.KNL, bus.Control, "querying replay state from SAD entry failed: %s (%d)",
				strerror(ne.Errno), int(ne.Errno))
		}
		return replayState{}
	}
	for _, m := range msgs {
		if r, err := parseAEvent(m); err == nil {
			return r
		}
	}
	return replayState{}
}

// hostPortString formats as charon's %#H: the address with "[port]" when a
// port is known.
func hostPortString(a netip.Addr, port uint16) string {
	s := hostString(a)
	if port != 0 && a.IsValid() {
		s += "[" + strconv.Itoa(int(port)) + "]"
	}
	return s
}

// UpdateSA implements kernel.IPsec (update_sa): the SA moves to new
// addresses or changes its encapsulation. The kernel cannot change the
// addresses of a state, so it is read, deleted and added again with the
// replay state and usage counters carried over, as strongSwan does.
func (ip *IPsec) UpdateSA(id kernel.SAID, d kernel.UpdateSA) error {
	newSrc, newDst := d.NewSrc, d.NewDst
	if !newSrc.IsValid() {
		newSrc = id.Src
	}
	if !newDst.IsValid() {
		newDst = id.Dst
	}
	if d.CPI != 0 {
		cid := kernel.SAID{Src: id.Src, Dst: id.Dst, SPI: uint32(d.CPI), Proto: kernel.ProtoIPComp,
			Mark: id.Mark, IfID: id.IfID}
		_ = ip.UpdateSA(cid, kernel.UpdateSA{NewSrc: newSrc, NewDst: newDst, NewReqID: d.NewReqID})
	}
	markstr := markString(id.Mark)
	old, oldAttrs, err := ip.getSA(id)
	if err != nil {
		if ne, ok := err.(*NetlinkError); ok {
			ip.log.Logf(bus.KNL, bus.Control, "querying SAD entry failed: %s (%d)", strerror(ne.Errno), int(ne.Errno))
		}
		ip.log.Logf(bus.KNL, bus.Control, "unable to update SAD entry with SPI %08x%s", id.SPI, markstr)
		return fmt.Errorf("unable to update SAD entry %s: %w", id, err)
	}
	info := saInfo(append([]byte(nil), old...))
	defer wipe(info, old)
	replay := ip.getReplayState(id)

	if err := ip.DelSA(id, 0); err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to delete old SAD entry with SPI %08x%s", id.SPI, markstr)
		return fmt.Errorf("unable to update SAD entry %s: %w", id, err)
	}
	ip.log.Logf(bus.KNL, bus.Diag, "updating SAD entry with SPI %08x%s from %s..%s to %s..%s", id.SPI, markstr,
		hostString(id.Src), hostString(id.Dst), hostPortString(newSrc, d.NewSrcPort), hostPortString(newDst, d.NewDstPort))

	moveSAInfo(info, id, newSrc, newDst, d.NewReqID)
	req := ip.xfrm.newRequest(msgNewSA, 0)
	addRaw(req, info)
	secrets := ip.copySAAttrs(req, oldAttrs, d, newSrc, newDst, replay)
	defer wipe(secrets...)
	ip.addReplayState(req, replay, id.SPI, markstr)
	err = ip.xfrm.ack(req)
	if err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to update SAD entry with SPI %08x%s", id.SPI, markstr)
		return fmt.Errorf("unable to update SAD entry %s: %w", id, err)
	}
	return nil
}

// moveSAInfo changes a state's usersa_info to the new addresses (and reqid);
// a host selector on an old address follows the SA.
func moveSAInfo(info saInfo, id kernel.SAID, newSrc, newDst netip.Addr, newReqID uint32) {
	info.setFamily(familyOf(newDst))
	if newReqID != 0 {
		info.setReqid(newReqID)
	}
	sel := info.sel()
	if newSrc != id.Src {
		putAddr(info.saddr(), newSrc)
		if ts, ok := selToTS(sel, true); ok && ts.IsHost(id.Src) {
			putAddr(sel.saddr[:], newSrc)
			sel.prefixlenS = uint8(newSrc.BitLen())
		}
	}
	if newDst != id.Dst {
		putAddr(info.daddr(), newDst)
		if ts, ok := selToTS(sel, false); ok && ts.IsHost(id.Dst) {
			putAddr(sel.daddr[:], newDst)
			sel.prefixlenD = uint8(newDst.BitLen())
		}
	}
	info.setSel(sel)
}

// copySAAttrs adds the old state's attributes to the new one, changed where
// the update asks for it, and returns the copies (they hold keys).
func (ip *IPsec) copySAAttrs(req *nl.NetlinkRequest, oldAttrs []attr, d kernel.UpdateSA, newSrc, newDst netip.Addr, replay replayState) [][]byte {
	haveEncap := false
	var secrets [][]byte
	for _, a := range oldAttrs {
		data := append([]byte(nil), a.data...)
		secrets = append(secrets, data)
		if !ip.updateAttr(a.typ, data, d, newSrc, newDst, replay) {
			continue
		}
		haveEncap = haveEncap || a.typ == attrEncap
		req.AddData(nl.NewRtAttr(int(a.typ), data))
	}
	if !haveEncap && d.NewEncap {
		req.AddData(nl.NewRtAttr(attrEncap, encapTmpl(d.NewSrcPort, d.NewDstPort)))
	}
	return secrets
}

// updateAttr changes one copied attribute in place for the update; false
// drops it: encapsulation that is being disabled, and the replay state and
// lifetime counters that GETAE returned fresher values for.
func (ip *IPsec) updateAttr(typ uint16, data []byte, d kernel.UpdateSA, newSrc, newDst netip.Addr, replay replayState) bool {
	switch typ {
	case attrEncap:
		if !d.NewEncap {
			return false
		}
		if len(data) >= sizeEncapTmpl {
			copy(data, encapTmpl(d.NewSrcPort, d.NewDstPort)[:6])
		}
	case attrOffloadDev:
		if len(data) >= sizeUserOffload && ip.routes != nil {
			local := newSrc
			if data[4]&offloadInbound != 0 {
				local = newDst
			}
			if name, ok := ip.routes.Interface(local); ok {
				if idx := ip.ifindex(name); idx != 0 {
					native.PutUint32(data[0:], uint32(idx))
				}
			}
		}
	case attrReplayESNVal, attrReplayVal:
		return replay.esn == nil && replay.legacy == nil
	case attrLtimeVal:
		return replay.lifetime == nil
	}
	return true
}

// addReplayState adds the replay state and usage counters GETAE returned,
// or logs that they could not be carried over.
func (ip *IPsec) addReplayState(req *nl.NetlinkRequest, replay replayState, spi uint32, markstr string) {
	switch {
	case replay.esn != nil:
		req.AddData(nl.NewRtAttr(attrReplayESNVal, replay.esn))
	case replay.legacy != nil:
		req.AddData(nl.NewRtAttr(attrReplayVal, replay.legacy))
	default:
		ip.log.Logf(bus.KNL, bus.Control, "unable to copy replay state from old SAD entry with SPI %08x%s", spi, markstr)
	}
	if replay.lifetime != nil {
		req.AddData(nl.NewRtAttr(attrLtimeVal, replay.lifetime))
	} else {
		ip.log.Logf(bus.KNL, bus.Control, "unable to copy usage stats from old SAD entry with SPI %08x%s", spi, markstr)
	}
}
