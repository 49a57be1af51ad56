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
	if !transportProxy && c.state != ChildRouted && (me.Addr() != c.myAddr || other.Addr() != c.otherAddr ||
		me.Port() != c.myPort || other.Port() != c.otherPort || encap != c.encap) {
		if c.mySPI != 0 && c.inboundInstalled {
			if err := c.env.Kernel.UpdateSA(kernel.SAID{Src: c.otherAddr, Dst: c.myAddr, SPI: c.mySPI,
				Proto: c.protocol, Mark: c.markInSA(), IfID: c.ifIDIn},
				kernel.UpdateSA{CPI: c.myCPI, NewSrc: other.Addr(), NewDst: me.Addr(),
					NewSrcPort: other.Port(), NewDstPort: me.Port(), Encap: c.encap, NewEncap: encap}); err != nil {
				c.SetState(old)
				return NotFound
			}
		}
		if c.otherSPI != 0 && c.outbound&OutboundSA != 0 {
			if err := c.env.Kernel.UpdateSA(kernel.SAID{Src: c.myAddr, Dst: c.otherAddr, SPI: c.otherSPI,
				Proto: c.protocol, Mark: c.markOut, IfID: c.ifIDOut},
				kernel.UpdateSA{CPI: c.otherCPI, NewSrc: me.Addr(), NewDst: other.Addr(),
					NewSrcPort: me.Port(), NewDstPort: other.Port(), Encap: c.encap, NewEncap: encap}); err != nil {
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
