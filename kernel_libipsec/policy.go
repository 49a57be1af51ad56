package kernel_libipsec

import (
	"fmt"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// AddPolicy implements kernel.IPsec. The shared kernel.PolicyTable decides
// whether the data plane must install, update in place or keep the policy;
// an update swaps the SPD snapshot atomically, so no packet ever sees the
// policy missing. Outbound policies also get their route into the TUN
// device (kernel_libipsec_ipsec install_route).
func (k *IPsec) AddPolicy(id kernel.PolicyID, d kernel.ManagePolicy) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.table.Add(id, d, func(op kernel.PolicyOp, cur kernel.ManagePolicy, prio uint32) error {
		return k.applyPolicyLocked(id, op, cur, prio)
	})
}

// DelPolicy implements kernel.IPsec.
func (k *IPsec) DelPolicy(id kernel.PolicyID, d kernel.ManagePolicy) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.table.Del(id, d, func(op kernel.PolicyOp, cur kernel.ManagePolicy, prio uint32) error {
		return k.applyPolicyLocked(id, op, cur, prio)
	})
}

func (k *IPsec) applyPolicyLocked(id kernel.PolicyID, op kernel.PolicyOp, d kernel.ManagePolicy, prio uint32) error {
	spd := k.spd.Load()
	switch op {
	case kernel.PolicyInstall, kernel.PolicyUpdate:
		if id.Dir == kernel.DirFwd {
			// Nothing is forwarded around the TUN device; FWD policies only
			// take part in the reference counting (libipsec ignores them).
			return nil
		}
		p := &policy{id: id, dir: id.Dir, src: id.Src, dst: id.Dst,
			proto: max(id.Src.Protocol(), id.Dst.Protocol()),
			reqid: d.SA.ReqID, prio: prio, typ: d.Type}
		if id.Dir == kernel.DirOut && d.Type == kernel.PolicyIPsec {
			// As kernel_netlink's outbound templates: the SA by its SPI.
			p.peer = d.Dst.Unmap()
			switch {
			case d.SA.ESP.Use:
				p.spi, p.saProto = d.SA.ESP.SPI, kernel.ProtoESP
			case d.SA.AH.Use:
				p.spi, p.saProto = d.SA.AH.SPI, kernel.ProtoAH
			}
		}
		if op == kernel.PolicyInstall && id.Dir == kernel.DirOut && d.Type == kernel.PolicyIPsec {
			if err := k.addRouteLocked(id, d); err != nil {
				return err
			}
		}
		k.spd.Store(spd.with(p))
	case kernel.PolicyRemove:
		if id.Dir == kernel.DirFwd {
			return nil
		}
		old := spd.find(id)
		k.spd.Store(spd.without(id))
		if old != nil && id.Dir == kernel.DirOut && old.typ == kernel.PolicyIPsec && k.router != nil {
			if err := k.router.DelRoute(id.Src, id.Dst); err != nil {
				k.opts.Logf("error uninstalling route installed with policy %s: %v", id, err)
			}
		}
	}
	return nil
}

// addRouteLocked installs the route for an outbound policy through the
// router, which also decides what a remote selector covering the IKE peer
// means (allow_peer_ts).
func (k *IPsec) addRouteLocked(id kernel.PolicyID, d kernel.ManagePolicy) error {
	if k.router == nil {
		return nil
	}
	return k.router.AddRoute(id.Src, id.Dst, d.Dst, d.Src)
}

// QueryPolicy implements kernel.IPsec: when a packet last matched it.
func (k *IPsec) QueryPolicy(id kernel.PolicyID) (time.Time, error) {
	if k.table.Users(id) == 0 {
		return time.Time{}, fmt.Errorf("policy %s: %w", id, kernel.ErrNotFound)
	}
	if p := k.spd.Load().find(id); p != nil {
		if t := p.lastUse.Load(); t != 0 {
			return time.Unix(0, t), nil
		}
	}
	return time.Time{}, nil
}

// FlushPolicies implements kernel.IPsec.
func (k *IPsec) FlushPolicies() error {
	k.mu.Lock()
	defer k.mu.Unlock()
	spd := k.spd.Load()
	if k.router != nil {
		for _, p := range spd.out {
			if p.typ == kernel.PolicyIPsec {
				if err := k.router.DelRoute(p.src, p.dst); err != nil {
					k.opts.Logf("error uninstalling route for %s: %v", p.id, err)
				}
			}
		}
	}
	k.spd.Store(&spdSnapshot{})
	k.table.Reset()
	return nil
}

// acquireInterval is how long a policy raises no second acquire: XFRM's
// larval state of an acquire lives net.xfrm.acq_expires, 30 s by default,
// and packets meanwhile raise none.
const acquireInterval = 30 * time.Second

// acquire tells the daemon that a packet hit an outbound IPsec policy
// without SA (a trap policy, auto=route or dpdaction=hold), with the
// packet's addresses, as XFRM's acquire does; charon's kernel-libipsec
// raises none (libipsec's ipsec_processor drops such packets), goswan's
// does so that trap policies work in userspace too.
func (k *IPsec) acquire(p *policy, f *flow, now int64) {
	if p.typ != kernel.PolicyIPsec || p.reqid == 0 {
		return
	}
	last := p.acquired.Load()
	if last != 0 && now-last < int64(acquireInterval) {
		return
	}
	if !p.acquired.CompareAndSwap(last, now) {
		return
	}
	k.mu.Lock()
	l := k.opts.Listener
	k.mu.Unlock()
	l.Acquire(p.reqid, selectors.FromAddr(f.src), selectors.FromAddr(f.dst))
}
