package sa

import (
	"time"

	"github.com/goswan/goswan/kernel"
)

// UsageStats reports traffic counters and the last use of a direction,
// refreshed from the kernel.
func (c *ChildSA) UsageStats(inbound bool) (bytes, packets uint64, last time.Time) {
	c.updateUsage(inbound)
	if inbound {
		return c.myUseBytes, c.myUsePackets, c.myUseTime
	}
	return c.otherUseBytes, c.otherUsePackets, c.otherUseTime
}

// UseTime is the last time traffic used a direction (for DPD and
// inactivity), from the cached counters and policy use times.
func (c *ChildSA) UseTime(inbound bool) time.Time {
	c.updateUsage(inbound)
	if inbound {
		return c.myUseTime
	}
	return c.otherUseTime
}

func (c *ChildSA) updateUsage(inbound bool) {
	if c.env.Kernel == nil {
		return
	}
	if inbound {
		if c.mySPI == 0 || !c.inboundInstalled {
			return
		}
		u, err := c.env.Kernel.QuerySA(kernel.SAID{Src: c.otherAddr, Dst: c.myAddr, SPI: c.mySPI,
			Proto: c.protocol, Mark: c.markInSA(), IfID: c.ifIDIn})
		if err == nil && u.Bytes != c.myUseBytes {
			c.myUseBytes, c.myUsePackets = u.Bytes, u.Packets
			if !u.LastUse.IsZero() {
				c.myUseTime = u.LastUse
			}
			c.updateUseTime(true)
		}
		return
	}
	if c.otherSPI == 0 || c.outbound&OutboundSA == 0 {
		return
	}
	u, err := c.env.Kernel.QuerySA(kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.otherSPI,
		Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut})
	if err == nil && u.Bytes != c.otherUseBytes {
		c.otherUseBytes, c.otherUsePackets = u.Bytes, u.Packets
		if !u.LastUse.IsZero() {
			c.otherUseTime = u.LastUse
		}
		c.updateUseTime(false)
	}
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
			query(kernel.PolicyID{Dir: kernel.DirIn, Src: p[1], Dst: p[0], Mark: c.markIn, IfID: c.ifIDIn})
			if c.mode != kernel.ModeTransport {
				query(kernel.PolicyID{Dir: kernel.DirFwd, Src: p[1], Dst: p[0], Mark: c.markIn, IfID: c.ifIDIn})
			}
		} else {
			query(kernel.PolicyID{Dir: kernel.DirOut, Src: p[0], Dst: p[1], Mark: c.markOut, IfID: c.ifIDOut,
				Interface: c.cfg.Interface})
		}
	}
	if last.IsZero() {
		return
	}
	if inbound {
		c.myUseTime = last
	} else {
		c.otherUseTime = last
	}
}
