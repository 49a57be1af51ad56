package kernel_netlink

import (
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
)

// IPsec is kernel.IPsec over XFRM netlink (kernel_netlink_ipsec.c).
type IPsec struct {
	o      Options
	log    bus.Logger
	xfrm   *nlSocket
	rt     *nlSocket // for interface indexes
	routes kernel.Net

	listenerMu sync.RWMutex
	listener   kernel.Listener

	// policyMu serializes policy changes, as strongSwan's mutex and
	// per-policy condvar do, so the refcount bookkeeping, the kernel and the
	// routes change together.
	policyMu sync.Mutex
	policies kernel.PolicyTable
	// polRoutes holds the route installed with each outbound policy.
	polRoutes map[kernel.PolicyID]*routeEntry
	// polReqid is the reqid each installed policy currently points at.
	polReqid map[kernel.PolicyID]uint32

	bypassMu sync.Mutex
	bypass   []portBypass

	events *eventLoop
}

// NewIPsec opens the XFRM sockets, subscribes to the kernel's events (unless
// o.NoEvents) and writes xfrm_acq_expires. routes, if not nil, is the
// kernel.Net that outbound policies install their routes with and that
// provides interface names and source addresses (charon->kernel in
// strongSwan); usually the *Net of this package.
func NewIPsec(o Options, routes kernel.Net) (*IPsec, error) {
	o.setDefaults()
	x, err := openSocket(o.NetNS, unix.NETLINK_XFRM, o.Log)
	if err != nil {
		return nil, err
	}
	rt, err := openSocket(o.NetNS, unix.NETLINK_ROUTE, o.Log)
	if err != nil {
		x.close()
		return nil, err
	}
	ip := &IPsec{o: o, log: o.Log, xfrm: x, rt: rt, routes: routes, listener: o.Listener,
		polRoutes: map[kernel.PolicyID]*routeEntry{}, polReqid: map[kernel.PolicyID]uint32{}}
	if !o.NoXfrmAcqExpires {
		ip.writeAcqExpires()
	}
	ip.setupSPDHashThresh(spdIPv4HThresh, 32)
	ip.setupSPDHashThresh(spdIPv6HThresh, 128)
	if !o.NoEvents {
		ip.events, err = startXfrmEvents(ip)
		if err != nil {
			ip.Close()
			return nil, err
		}
	}
	return ip, nil
}

// SetListener sets where kernel events go.
func (ip *IPsec) SetListener(l kernel.Listener) {
	ip.listenerMu.Lock()
	ip.listener = l
	ip.listenerMu.Unlock()
}

func (ip *IPsec) getListener() kernel.Listener {
	ip.listenerMu.RLock()
	defer ip.listenerMu.RUnlock()
	return ip.listener
}

// Close implements kernel.IPsec: it removes port bypass policies and closes
// the sockets; SAs and policies stay in the kernel, as charon leaves them.
func (ip *IPsec) Close() error {
	ip.bypassMu.Lock()
	for _, b := range ip.bypass {
		ip.manageBypass(msgDelPolicy, dirOut, b)
		ip.manageBypass(msgDelPolicy, dirIn, b)
	}
	ip.bypass = nil
	ip.bypassMu.Unlock()
	if ip.events != nil {
		ip.events.stop()
	}
	ip.xfrm.close()
	ip.rt.close()
	return nil
}

// Features implements kernel.IPsec.
func (ip *IPsec) Features() kernel.Feature {
	return kernel.FeatureESPv3TFC | kernel.FeaturePolicySPI
}

func (ip *IPsec) allocSPI(src, dst netip.Addr, proto uint8, lo, hi uint32) (uint32, error) {
	req := ip.xfrm.newRequest(msgAllocSPI, 0)
	addRaw(req, userSPIInfo(src, dst, proto, lo, hi))
	msgs, err := ip.xfrm.query(req, msgNewSA)
	if err != nil {
		var ne *NetlinkError
		if errors.As(err, &ne) {
			ip.log.Logf(bus.KNL, bus.Control, "allocating SPI failed: %s (%d)", strerror(ne.Errno), int(ne.Errno))
		}
		return 0, err
	}
	for _, m := range msgs {
		if len(m) >= sizeUsersaInfo {
			if spi := saInfo(m[:sizeUsersaInfo]).spi(); spi != 0 {
				return spi, nil
			}
		}
	}
	return 0, errors.New("kernel returned no SPI")
}

// GetSPI implements kernel.IPsec with XFRM_MSG_ALLOCSPI in
// charon.spi_min..spi_max. Like strongSwan 5.9.8 it sends neither reqid nor
// mark: the larval state only reserves the SPI until AddSA updates it.
func (ip *IPsec) GetSPI(src, dst netip.Addr, proto uint8, reqid uint32) (uint32, error) {
	spi, err := ip.allocSPI(src, dst, proto, ip.o.SPIMin, ip.o.SPIMax)
	if err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to get SPI")
		return 0, fmt.Errorf("unable to get SPI: %w", err)
	}
	ip.log.Logf(bus.KNL, bus.Diag, "got SPI %08x", spi)
	return spi, nil
}

// GetCPI implements kernel.IPsec (CPIs 0x100-0xefff, as strongSwan).
func (ip *IPsec) GetCPI(src, dst netip.Addr, reqid uint32) (uint16, error) {
	spi, err := ip.allocSPI(src, dst, kernel.ProtoIPComp, 0x100, 0xefff)
	if err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to get CPI")
		return 0, fmt.Errorf("unable to get CPI: %w", err)
	}
	cpi := uint16(spi)
	ip.log.Logf(bus.KNL, bus.Diag, "got CPI %04x", cpi)
	return cpi, nil
}

func addIDAttrs(req *nl.NetlinkRequest, mark kernel.Mark, ifID uint32) {
	if mark.Value|mark.Mask != 0 {
		req.AddData(nl.NewRtAttr(attrMark, markAttr(mark.Value, mark.Mask)))
	}
	if ifID != 0 {
		req.AddData(nl.NewRtAttr(attrIfID, u32(ifID)))
	}
}

// statusName names an error as charon's status_t does in its log lines.
func statusName(err error) string {
	var ne *NetlinkError
	switch {
	case err == nil:
		return "SUCCESS"
	case isExists(err):
		return "ALREADY_DONE"
	case errors.As(err, &ne) && ne.Errno == unix.ESRCH:
		return "NOT_FOUND"
	}
	return "FAILED"
}

func wipe(bufs ...[]byte) {
	for _, b := range bufs {
		clear(b)
	}
}

// AddSA implements kernel.IPsec (add_sa). The lifetimes' Rekey values are
// used as given: like kernel_netlink, the backend does not apply jitter
// (charon's child_cfg did that already).
func (ip *IPsec) AddSA(id kernel.SAID, d kernel.AddSA) error {
	ipcomp, mode := d.IPComp, d.Mode
	if ipcomp != 0 && d.CPI != 0 {
		ip.addIPCompSA(id, d)
		ipcomp = 0
		mode = kernel.ModeTransport
	}
	markstr := markString(id.Mark)
	ip.log.Logf(bus.KNL, bus.Diag, "adding SAD entry with SPI %08x and reqid {%d}%s", id.SPI, d.ReqID, markstr)

	typ := msgNewSA
	if d.Update {
		typ = msgUpdSA
	}
	req := ip.xfrm.newRequest(typ, 0)
	info := ip.newSAInfo(id, d, mode)
	// sa collects the attributes in the order charon adds them.
	sa := &saAttrs{}
	defer sa.wipe()
	flags := ip.stateFlags(id, d, mode, sa)
	if err := ip.algorithmAttrs(id, d, ipcomp, sa); err != nil {
		return err
	}
	ip.idAttrs(id, d, ipcomp, mode, sa)
	if id.Proto != kernel.ProtoIPComp {
		flags |= ip.replayWindow(info, d, sa)
		ip.log.Logf(bus.KNL, bus.Diag, "  HW offload: %s", hwOffloadName(d.HWOffload))
		a, err := ip.configHWOffload(id, d)
		if err != nil {
			ip.log.Logf(bus.KNL, bus.Control, "failed to configure HW offload")
			return fmt.Errorf("SA %s: %w", id, err)
		}
		sa.add(a)
	}
	info.setFlags(flags)
	addRaw(req, info)
	for _, a := range sa.attrs {
		req.AddData(a)
	}
	err := ip.xfrm.ack(req)
	if err != nil && d.Update && errors.Is(err, kernel.ErrNotFound) {
		ip.log.Logf(bus.KNL, bus.Control, "allocated SPI not found anymore, try to add SAD entry")
		req.Type = msgNewSA
		err = ip.xfrm.ack(req)
	}
	if err != nil {
		ip.log.Logf(bus.KNL, bus.Control, "unable to add SAD entry with SPI %08x%s (%s)", id.SPI, markstr, statusName(err))
		return fmt.Errorf("unable to add SAD entry %s: %w", id, err)
	}
	return nil
}

// saAttrs are the attributes of one XFRM_MSG_NEWSA/UPDSA request and the
// buffers among them that hold keys.
type saAttrs struct {
	attrs   []*nl.RtAttr
	secrets [][]byte
}

func (s *saAttrs) add(a *nl.RtAttr) {
	if a != nil {
		s.attrs = append(s.attrs, a)
	}
}

// addKey adds an algorithm attribute that carries a key.
func (s *saAttrs) addKey(typ int, b []byte) {
	s.secrets = append(s.secrets, b)
	s.attrs = append(s.attrs, nl.NewRtAttr(typ, b))
}

func (s *saAttrs) wipe() { wipe(s.secrets...) }

// addIPCompSA adds the IPComp SA that carries the tunnel when an SA uses
// IPComp; ESP then runs in transport mode inside it.
func (ip *IPsec) addIPCompSA(id kernel.SAID, d kernel.AddSA) {
	cid := kernel.SAID{Src: id.Src, Dst: id.Dst, SPI: uint32(d.CPI), Proto: kernel.ProtoIPComp,
		Mark: id.Mark, IfID: id.IfID}
	csa := kernel.AddSA{ReqID: d.ReqID, Mode: d.Mode, SrcTS: d.SrcTS, DstTS: d.DstTS,
		TFC: d.TFC, IPComp: d.IPComp, Initiator: d.Initiator, Inbound: d.Inbound, Update: d.Update,
		Interface: d.Interface}
	_ = ip.AddSA(cid, csa)
}

// newSAInfo fills the xfrm_usersa_info of an SA: addresses, SPI, mode, the
// selector of transport and BEET mode SAs, reqid and lifetimes.
func (ip *IPsec) newSAInfo(id kernel.SAID, d kernel.AddSA, mode kernel.Mode) saInfo {
	info := newSAInfo()
	putAddr(info.saddr(), id.Src)
	putAddr(info.daddr(), id.Dst)
	info.setSPI(id.SPI)
	info.setProto(id.Proto)
	info.setFamily(familyOf(id.Src))
	info.setMode(modeToKernel(mode))
	// SAs switched to transport mode for IPComp get no selector: only one
	// could be installed and other traffic would be dropped.
	if (mode == kernel.ModeBEET || mode == kernel.ModeTransport) && d.Mode != kernel.ModeTunnel &&
		len(d.SrcTS) > 0 && len(d.DstTS) > 0 {
		sel := toXsel(kernel.SelFromTS(d.SrcTS[0], d.DstTS[0], ip.ifindex(d.Interface)))
		if !ip.o.ProtoPortTransport {
			sel.proto = 0
			sel.dport, sel.dportMask, sel.sport, sel.sportMask = 0, 0, 0, 0
		}
		info.setSel(sel)
	}
	info.setReqid(d.ReqID)
	lt := d.Lifetime
	info.setLifetime(xfrmLimit(lt.Bytes.Rekey), xfrmLimit(lt.Bytes.Life),
		xfrmLimit(lt.Packets.Rekey), xfrmLimit(lt.Packets.Life), lt.Time.Rekey, lt.Time.Life)
	return info
}

// stateFlags returns the XFRM_STATE_* flags of the SA; the DSCP copy rule of
// outbound SAs goes into an XFRMA_SA_EXTRA_FLAGS attribute instead.
func (ip *IPsec) stateFlags(id kernel.SAID, d kernel.AddSA, mode kernel.Mode, sa *saAttrs) uint8 {
	var flags uint8
	if !d.CopyDF {
		flags |= stateNoPMTUDisc
	}
	if !d.CopyECN {
		flags |= stateNoECN
	}
	if d.Inbound {
		if d.CopyDSCP == kernel.DSCPCopyYes || d.CopyDSCP == kernel.DSCPCopyInOnly {
			flags |= stateDecapDSCP
		}
	} else if d.CopyDSCP == kernel.DSCPCopyInOnly || d.CopyDSCP == kernel.DSCPCopyNo {
		sa.add(nl.NewRtAttr(attrSAExtraFlags, u32(saXflagDontEncapDSCP)))
	}
	if mode == kernel.ModeTunnel {
		flags |= stateAFUnspec
	}
	if id.Proto == kernel.ProtoAH && familyOf(id.Src) == afInet {
		// 4-byte alignment for AH over IPv4 instead of the default 8
		flags |= stateAlign4
	}
	return flags
}

// algorithmAttrs adds the encryption, integrity and compression algorithms
// under the names the algorithm table gives for XFRM. An algorithm without
// one fails the SA, as in charon.
func (ip *IPsec) algorithmAttrs(id kernel.SAID, d kernel.AddSA, ipcomp crypto.IPCompTransform, sa *saAttrs) error {
	unsupported := func(name fmt.Stringer) error {
		ip.log.Logf(bus.KNL, bus.Control, "algorithm %s not supported by kernel!", name)
		return fmt.Errorf("SA %s: algorithm %s not supported by kernel", id, name)
	}
	if enc := d.EncAlg; enc != 0 && enc != crypto.EncrUndefined {
		name := enc.KernelName()
		if name == "" {
			return unsupported(enc)
		}
		ip.log.Logf(bus.KNL, bus.Diag, "  using encryption algorithm %s with key size %d", enc, len(d.EncKey)*8)
		if enc.IsAEAD() {
			icv := uint32(enc.ICVSize() * 8)
			sa.addKey(attrAlgAEAD, algo(name, d.EncKey, &icv))
		} else {
			sa.addKey(attrAlgCrypt, algo(name, d.EncKey, nil))
		}
	}
	if integ := d.IntAlg; integ != 0 && integ != crypto.AuthUndefined {
		name := integ.KernelName()
		if name == "" {
			return unsupported(integ)
		}
		ip.log.Logf(bus.KNL, bus.Diag, "  using integrity algorithm %s with key size %d", integ, len(d.IntKey)*8)
		if trunc := uint32(integ.KernelTruncBits()); trunc != 0 {
			// the kernel would truncate SHA-256 to 96 bits by default
			sa.addKey(attrAlgAuthTrunc, algo(name, d.IntKey, &trunc))
		} else {
			sa.addKey(attrAlgAuth, algo(name, d.IntKey, nil))
		}
	}
	if ipcomp != crypto.IPCompNone {
		name := ipcomp.KernelName()
		if name == "" {
			return unsupported(ipcomp)
		}
		ip.log.Logf(bus.KNL, bus.Diag, "  using compression algorithm %s", ipcomp)
		sa.add(nl.NewRtAttr(attrAlgComp, algo(name, nil, nil)))
	}
	return nil
}

// idAttrs adds UDP encapsulation, marks, the interface ID and TFC padding.
func (ip *IPsec) idAttrs(id kernel.SAID, d kernel.AddSA, ipcomp crypto.IPCompTransform, mode kernel.Mode, sa *saAttrs) {
	if d.Encap {
		sa.add(nl.NewRtAttr(attrEncap, encapTmpl(d.EncapSrcPort, d.EncapDstPort)))
	}
	if id.Mark.Value|id.Mark.Mask != 0 {
		sa.add(nl.NewRtAttr(attrMark, markAttr(id.Mark.Value, id.Mark.Mask)))
	}
	if id.IfID != 0 {
		sa.add(nl.NewRtAttr(attrIfID, u32(id.IfID)))
	}
	if ipcomp == 0 && d.MarkOut.Value|d.MarkOut.Mask != 0 {
		sa.add(nl.NewRtAttr(attrSetMark, u32(d.MarkOut.Value)))
		sa.add(nl.NewRtAttr(attrSetMarkMask, u32(d.MarkOut.Mask)))
	}
	if d.TFC != 0 && id.Proto == kernel.ProtoESP && mode == kernel.ModeTunnel {
		// the kernel pads only tunnel mode ESP
		sa.add(nl.NewRtAttr(attrTFCPad, u32(d.TFC)))
	}
}

// replayWindow sets the replay window: in the usersa_info up to 32 packets
// without ESN, as XFRMA_REPLAY_ESN_VAL otherwise. It returns the flags that
// go with it.
func (ip *IPsec) replayWindow(info saInfo, d kernel.AddSA, sa *saAttrs) uint8 {
	window := d.ReplayWindow
	if !d.Inbound && window != 0 {
		// outbound SAs need no window, but with ESN the kernel rejects a
		// zero one
		window = 0
		if d.ESN {
			window = 1
		}
	}
	ip.log.Logf(bus.KNL, bus.Diag, "  using replay window of %d packets", window)
	if window == 0 || !d.ESN && window <= 32 {
		info.setReplayWindow(uint8(window))
		return 0
	}
	// larger windows and ESN need the bitmap of XFRMA_REPLAY_ESN_VAL
	sa.add(nl.NewRtAttr(attrReplayESNVal, replayESN(window)))
	if d.ESN {
		ip.log.Logf(bus.KNL, bus.Diag, "  using extended sequence numbers (ESN)")
		return stateESN
	}
	return 0
}

func xfrmLimit(v uint64) uint64 {
	if v == 0 {
		return xfrmInf
	}
	return v
}

func hwOffloadName(h kernel.HWOffload) string {
	switch h {
	case kernel.HWOffloadNo:
		return "no"
	case kernel.HWOffloadYes:
		return "yes"
	case kernel.HWOffloadAuto:
		return "auto"
	}
	return fmt.Sprintf("(%d)", h)
}

// getSA queries a state (XFRM_MSG_GETSA) and returns its usersa_info and
// attributes.
func (ip *IPsec) getSA(id kernel.SAID) (saInfo, []attr, error) {
	req := ip.xfrm.newRequest(msgGetSA, 0)
	addRaw(req, usersaID(id.Dst, id.SPI, id.Proto))
	addIDAttrs(req, id.Mark, id.IfID)
	msgs, err := ip.xfrm.query(req, msgNewSA)
	if err != nil {
		return nil, nil, err
	}
	for _, m := range msgs {
		if len(m) < sizeUsersaInfo {
			continue
		}
		attrs, err := attrsAfter(m, sizeUsersaInfo)
		if err != nil {
			return nil, nil, err
		}
		return saInfo(m[:sizeUsersaInfo]), attrs, nil
	}
	return nil, nil, fmt.Errorf("SA %s: %w", id, kernel.ErrNotFound)
}

// QuerySA implements kernel.IPsec. Like strongSwan it reports no last-use
// time: the kernel's SA use time is the first use; QueryPolicy has the last.
func (ip *IPsec) QuerySA(id kernel.SAID) (kernel.Usage, error) {
	markstr := markString(id.Mark)
	info, _, err := ip.getSA(id)
	if err != nil {
		var ne *NetlinkError
		if errors.As(err, &ne) {
			ip.log.Logf(bus.KNL, bus.Control, "querying SAD entry with SPI %08x%s failed: %s (%d)",
				id.SPI, markstr, strerror(ne.Errno), int(ne.Errno))
		}
		ip.log.Logf(bus.KNL, bus.Diag, "unable to query SAD entry with SPI %08x%s", id.SPI, markstr)
		return kernel.Usage{}, err
	}
	u := kernel.Usage{Bytes: info.curBytes(), Packets: info.curPackets()}
	wipe(info)
	return u, nil
}

// DelSA implements kernel.IPsec; a cpi also deletes the IPComp SA.
func (ip *IPsec) DelSA(id kernel.SAID, cpi uint16) error {
	if cpi != 0 {
		_ = ip.DelSA(kernel.SAID{Src: id.Src, Dst: id.Dst, SPI: uint32(cpi),
			Proto: kernel.ProtoIPComp, Mark: id.Mark, IfID: id.IfID}, 0)
	}
	markstr := markString(id.Mark)
	ip.log.Logf(bus.KNL, bus.Diag, "deleting SAD entry with SPI %08x%s", id.SPI, markstr)
	req := ip.xfrm.newRequest(msgDelSA, 0)
	addRaw(req, usersaID(id.Dst, id.SPI, id.Proto))
	addIDAttrs(req, id.Mark, id.IfID)
	err := ip.xfrm.ack(req)
	switch {
	case err == nil:
		ip.log.Logf(bus.KNL, bus.Diag, "deleted SAD entry with SPI %08x%s", id.SPI, markstr)
		return nil
	case errors.Is(err, kernel.ErrNotFound):
		return fmt.Errorf("SA %s: %w", id, err)
	}
	ip.log.Logf(bus.KNL, bus.Control, "unable to delete SAD entry with SPI %08x%s", id.SPI, markstr)
	return fmt.Errorf("unable to delete SAD entry %s: %w", id, err)
}

// FlushSAs implements kernel.IPsec for AH, ESP and IPComp.
func (ip *IPsec) FlushSAs() error {
	for _, p := range []struct {
		proto uint8
		name  string
	}{{kernel.ProtoAH, "AH"}, {kernel.ProtoESP, "ESP"}, {kernel.ProtoIPComp, "IPComp"}} {
		ip.log.Logf(bus.KNL, bus.Diag, "flushing all %s SAD entries", p.name)
		req := ip.xfrm.newRequest(msgFlushSA, 0)
		addRaw(req, []byte{p.proto})
		if err := ip.xfrm.ack(req); err != nil {
			ip.log.Logf(bus.KNL, bus.Control, "unable to flush %s SAD entries", p.name)
			return fmt.Errorf("unable to flush %s SAD entries: %w", p.name, err)
		}
	}
	return nil
}

// ifindex resolves an interface name in the backend's namespace (0 if
// empty or unknown), as if_nametoindex.
func (ip *IPsec) ifindex(name string) int32 {
	if name == "" {
		return 0
	}
	idx, err := linkIndex(ip.rt, name)
	if err != nil {
		return 0
	}
	return idx
}
