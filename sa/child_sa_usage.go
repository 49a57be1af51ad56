package sa

import (
	"time"

	"github.com/goswan/goswan/kernel"
)

// UsageStats reports traffic counters and the last use of a direction,
// refreshed from the kernel.
func (c *ChildSA) UsageStats(inbound bool) (bytes, packets uint64, last time.Time) {
	c.updateUsage(inbound)
	u := c.dir(inbound).use
	return u.bytes, u.packets, u.last
}

// UseTime is the last time traffic used a direction (for DPD and
// inactivity), from the cached counters and policy use times.
func (c *ChildSA) UseTime(inbound bool) time.Time {
	c.updateUsage(inbound)
	return c.dir(inbound).use.last
}

// updateUsage refreshes a direction's counters from its kernel SA; when
// there was traffic since, the last use comes from the policies.
func (c *ChildSA) updateUsage(inbound bool) {
	if c.env.Kernel == nil || !c.saInstalled(inbound) {
		return
	}
	d := c.dir(inbound)
	u, err := c.env.Kernel.QuerySA(c.saID(inbound))
	if err != nil || u.Bytes == d.use.bytes {
		return
	}
	d.use.bytes, d.use.packets = u.Bytes, u.Packets
	if !u.LastUse.IsZero() {
		d.use.last = u.LastUse
	}
	c.updateUseTime(inbound)
}

// updateUseTime takes the last use from the policies when there was
// traffic: XFRM reports when an SA was first used, the policies when they
// last matched (child_sa.c update_usetime).
func (c *ChildSA) updateUseTime(inbound bool) {
	var last time.Time
	query := func(id kernel.PolicyID) {
		if t, err := c.env.Kernel.QueryPolicy(id); err == nil && t.After(last) {
			last = t
		}
	}
	for _, p := range c.policyPairs() {
		if inbound {
			query(kernel.PolicyID{Dir: kernel.DirIn, Src: p[1], Dst: p[0], Mark: c.in.mark, IfID: c.in.ifID})
			if c.mode != kernel.ModeTransport {
				query(kernel.PolicyID{Dir: kernel.DirFwd, Src: p[1], Dst: p[0], Mark: c.in.mark, IfID: c.in.ifID})
			}
		} else {
			query(kernel.PolicyID{Dir: kernel.DirOut, Src: p[0], Dst: p[1], Mark: c.out.mark, IfID: c.out.ifID,
				Interface: c.cfg.Interface})
		}
	}
	if !last.IsZero() {
		c.dir(inbound).use.last = last
	}
}
