package sa

import (
	"net/netip"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
)

// Update moves the SA to new addresses (MOBIKE, NAT mapping change).
// NotFound means the kernel cannot update it and it must be rekeyed.
func (c *ChildSA) Update(me, other netip.AddrPort, vips []netip.Addr, encap bool) Status {
	if me.Addr() == c.myAddr && me.Port() == c.myPort && other.Addr() == c.otherAddr &&
		other.Port() == c.otherPort && encap == c.encap {
		return Success // nothing changed: no UPDATING state change either
	}
	old := c.state
	c.SetState(ChildUpdating)
	transportProxy := c.cfg.Mode == kernel.ModeTransport && c.cfg.Has(config.OptProxyMode)
	if !transportProxy {
		// Inbound, then outbound, as child_sa.c update_sas.
		for _, inbound := range []bool{true, false} {
			if !c.saInstalled(inbound) {
				continue
			}
			src, dst := me, other
			if inbound {
				src, dst = other, me
			}
			u := kernel.UpdateSA{CPI: c.dir(inbound).cpi, NewSrc: src.Addr(), NewDst: dst.Addr(),
				NewSrcPort: src.Port(), NewDstPort: dst.Port(), Encap: c.encap, NewEncap: encap}
			if err := c.env.Kernel.UpdateSA(c.saID(inbound), u); err != nil {
				c.SetState(old)
				return NotFound
			}
		}
	}
	if !transportProxy {
		c.myAddr, c.otherAddr = me.Addr(), other.Addr()
		c.myPort, c.otherPort = me.Port(), other.Port()
	}
	c.encap = encap
	c.SetState(old)
	return Success
}
