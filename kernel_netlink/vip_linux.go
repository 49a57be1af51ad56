package kernel_netlink

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
)

// vipWait bounds how long AddIP and DelIP wait for the kernel to confirm a
// virtual IP (charon waits without limit for an add, a second at a time
// for a delete).
const vipWait = 5 * time.Second

// findAddrLocked finds ip on any interface, regular (vip=false) or ours.
func (n *Net) findAddrLocked(ip netip.Addr, vip bool) (*ifaceEntry, *addrEntry) {
	for _, i := range n.ifaces {
		for _, a := range i.addrs {
			if a.ip == ip && (a.refcount > 0) == vip {
				return i, a
			}
		}
	}
	return nil, nil
}

// waitVIPLocked waits (n.mu write-locked, released while waiting) until
// cond holds or the deadline passes.
func (n *Net) waitVIPLocked(deadline time.Time, cond func() bool) bool {
	for !cond() {
		ch := n.vipChanged
		left := time.Until(deadline)
		if left <= 0 {
			return false
		}
		n.mu.Unlock()
		t := time.NewTimer(left)
		select {
		case <-ch:
		case <-t.C:
		}
		t.Stop()
		n.mu.Lock()
	}
	return true
}

// AddIP implements kernel.Net (add_ip): install a virtual IP on iface (or
// charon.install_virtual_ip_on, or the first interface), counting users.
func (n *Net) AddIP(vip netip.Addr, prefix int, ifaceName string) error {
	if n.o.NoInstallVirtualIP {
		return nil
	}
	vip = vip.Unmap()
	n.mu.Lock()
	// an address that exists as a regular one is not tracked as virtual
	if i, _ := n.findAddrLocked(vip, false); i != nil {
		n.log.Logf(bus.KNL, bus.Diag, "virtual IP %s is already installed on %s", hostString(vip), i.name)
		n.mu.Unlock()
		return nil
	}
	if i, a := n.findAddrLocked(vip, true); i != nil {
		// being added or deleted by someone else: wait until it settles
		n.waitVIPLocked(time.Now().Add(vipWait), func() bool {
			_, a = n.findAddrLocked(vip, true)
			return a == nil || a.installed
		})
		if i, a = n.findAddrLocked(vip, true); a != nil {
			a.refcount++
			n.log.Logf(bus.KNL, bus.Diag, "virtual IP %s is already installed on %s", hostString(vip), i.name)
			n.mu.Unlock()
			return nil
		}
	}
	var iface *ifaceEntry
	if n.o.InstallVirtualIPOn != "" {
		iface = n.ifaceByName(n.o.InstallVirtualIPOn)
	}
	if iface == nil {
		iface = n.ifaceByName(ifaceName)
	}
	if iface == nil && len(n.ifaces) > 0 {
		iface = n.ifaces[0] // as charon: the first interface
	}
	if iface == nil {
		n.mu.Unlock()
		n.log.Logf(bus.KNL, bus.Control, "no interface available, unable to install virtual IP %s", hostString(vip))
		return fmt.Errorf("virtual IP %s: no interface available", vip)
	}
	iface.addrs = append(iface.addrs, &addrEntry{ip: vip, refcount: 1, scope: rtScopeUniverse})
	idx := iface.index
	n.mu.Unlock()
	err := n.manageIPAddr(rtmNewAddr, unix.NLM_F_CREATE|unix.NLM_F_EXCL, idx, vip, prefix)
	n.mu.Lock()
	if err == nil {
		n.waitVIPLocked(time.Now().Add(vipWait), func() bool {
			_, a := n.findAddrLocked(vip, true)
			return a == nil || a.installed
		})
		if i, a := n.findAddrLocked(vip, true); a != nil && a.installed {
			name := i.name
			n.mu.Unlock()
			n.log.Logf(bus.KNL, bus.Diag, "virtual IP %s installed on %s", hostString(vip), name)
			// the kernel may have dropped routes with this source meanwhile
			n.queueRouteReinstall(name)
			return nil
		}
	}
	// forget our entry again
	if i, a := n.findAddrLocked(vip, true); a != nil {
		for k, x := range i.addrs {
			if x == a {
				i.addrs = append(i.addrs[:k], i.addrs[k+1:]...)
				break
			}
		}
		n.vipsChangedLocked()
	}
	n.mu.Unlock()
	n.log.Logf(bus.KNL, bus.Control, "adding virtual IP %s failed", hostString(vip))
	if err == nil {
		err = fmt.Errorf("not confirmed by the kernel")
	}
	return fmt.Errorf("adding virtual IP %s: %w", vip, err)
}

// DelIP implements kernel.Net (del_ip).
func (n *Net) DelIP(vip netip.Addr, prefix int, wait bool) error {
	if n.o.NoInstallVirtualIP {
		return nil
	}
	vip = vip.Unmap()
	n.log.Logf(bus.KNL, bus.Diag, "deleting virtual IP %s", hostString(vip))
	n.mu.Lock()
	iface, a := n.findAddrLocked(vip, true)
	if a == nil {
		if i, _ := n.findAddrLocked(vip, false); i != nil {
			n.log.Logf(bus.KNL, bus.Diag, "not deleting existing IP %s on %s", hostString(vip), i.name)
			n.mu.Unlock()
			return nil
		}
		n.log.Logf(bus.KNL, bus.Diag, "virtual IP %s not cached, unable to delete", hostString(vip))
		n.mu.Unlock()
		return fmt.Errorf("virtual IP %s: %w", vip, kernel.ErrNotFound)
	}
	if a.refcount > 1 {
		a.refcount--
		n.log.Logf(bus.KNL, bus.Diag, "virtual IP %s used by other SAs, not deleting", hostString(vip))
		n.mu.Unlock()
		return nil
	}
	// AddIP callers wait while the address is on its way out
	a.installed = false
	idx := iface.index
	n.mu.Unlock()
	err := n.manageIPAddr(rtmDelAddr, 0, idx, vip, prefix)
	if err == nil && wait {
		n.mu.Lock()
		n.waitVIPLocked(time.Now().Add(vipWait), func() bool {
			_, a := n.findAddrLocked(vip, true)
			return a == nil
		})
		n.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("deleting virtual IP %s: %w", vip, err)
	}
	return nil
}

// manageIPAddr adds or deletes an address. IPv6 virtual IPs get an address
// label (or are marked deprecated) so that the kernel's source address
// selection does not pick them for other traffic.
func (n *Net) manageIPAddr(typ int, flags int, idx int32, ip netip.Addr, prefix int) error {
	req := n.rt.newRequest(typ, flags)
	msg := make([]byte, sizeIfAddrMsg)
	msg[0] = uint8(familyOf(ip))
	if prefix < 0 || prefix > ip.BitLen() {
		prefix = ip.BitLen()
	}
	msg[1] = uint8(prefix)
	msg[3] = rtScopeUniverse
	native.PutUint32(msg[4:], uint32(idx))
	if ip.Is6() {
		msg[2] |= ifaFNoDAD
	}
	addRaw(req, msg)
	req.AddData(nl.NewRtAttr(ifaLocal, ip.AsSlice()))
	if ip.Is6() {
		labelOp := rtmNewAddrLabel
		if typ != rtmNewAddr {
			labelOp = rtmDelAddrLabel
		}
		if n.manageAddrLabel(labelOp, ip) != nil {
			ci := make([]byte, 16) // struct ifa_cacheinfo: preferred 0, valid forever
			native.PutUint32(ci[4:], 0xffffffff)
			req.AddData(nl.NewRtAttr(ifaCacheInfo, ci))
		}
	}
	return n.rt.ack(req)
}

func (n *Net) manageAddrLabel(typ int, ip netip.Addr) error {
	flags := 0
	if typ == rtmNewAddrLabel {
		flags = unix.NLM_F_CREATE | unix.NLM_F_EXCL
	}
	req := n.rt.newRequest(typ, flags)
	msg := make([]byte, sizeIfAddrLblMs)
	msg[0] = afInet6
	msg[2] = 128
	addRaw(req, msg)
	req.AddData(nl.NewRtAttr(ifalAddress, ip.AsSlice()))
	req.AddData(nl.NewRtAttr(ifalLabel, u32(220)))
	return n.rt.ack(req)
}

var (
	_ kernel.Net   = (*Net)(nil)
	_ kernel.IPsec = (*IPsec)(nil)
)
