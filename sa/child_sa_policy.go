package sa

import (
	"net/netip"
	"slices"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// SetPolicies sets the negotiated selectors, sorted as strongSwan sorts them.
func (c *ChildSA) SetPolicies(my, other []selectors.TS) {
	c.myTS = slices.Clone(my)
	slices.SortStableFunc(c.myTS, selectors.Compare)
	c.otherTS = slices.Clone(other)
	slices.SortStableFunc(c.otherTS, selectors.Compare)
}

// policyPairs lists (mine, other) selector pairs of the same family and
// compatible protocol, the policies a CHILD_SA installs.
func (c *ChildSA) policyPairs() [][2]selectors.TS { return pairsOf(c.myTS, c.otherTS) }

// pairsOf is create_policy_enumerator_internal: every local selector with
// every remote one of the same family and a compatible protocol.
func pairsOf(my, other []selectors.TS) [][2]selectors.TS {
	var out [][2]selectors.TS
	for _, m := range my {
		for _, o := range other {
			if m.Is4() != o.Is4() {
				continue
			}
			if m.Protocol() != 0 && o.Protocol() != 0 && m.Protocol() != o.Protocol() {
				continue
			}
			out = append(out, [2]selectors.TS{m, o})
		}
	}
	return out
}

// PolicyPairs is policyPairs for status output.
func (c *ChildSA) PolicyPairs() [][2]selectors.TS { return c.policyPairs() }

func (c *ChildSA) saConfigs() (my, other kernel.SAConfig) {
	my.Mode, my.ReqID = c.mode, c.reqid
	my.IPComp.Transform = crypto.IPCompTransform(c.ipcomp)
	other = my
	my.IPComp.CPI, other.IPComp.CPI = c.in.cpi, c.out.cpi
	if c.protocol == kernel.ProtoESP {
		my.ESP.Use, my.ESP.SPI = true, c.in.spi
		other.ESP.Use, other.ESP.SPI = true, c.out.spi
	} else {
		my.AH.Use, my.AH.SPI = true, c.in.spi
		other.AH.Use, other.AH.SPI = true, c.out.spi
	}
	n := uint32(len(c.policyPairs()))
	my.PolicyCount, other.PolicyCount = n, n
	return my, other
}

// policyOp says how policies are added or removed: the SA endpoints of
// their templates (the current ones, or those an update moves to), the
// type (IPsec, or the drop policies that cover an update) and priority.
type policyOp struct {
	add       bool
	me, other netip.Addr
	typ       kernel.PolicyType
	prio      kernel.PolicyPriority
	// handOver: a removal that leaves a policy nobody else holds in place
	// (kernel.ManagePolicy.HandOver).
	handOver bool
}

// ipsecPolicies is the usual operation: IPsec policies between the SA's
// endpoints.
func (c *ChildSA) ipsecPolicies(add bool, prio kernel.PolicyPriority) policyOp {
	return policyOp{add: add, me: c.myAddr, other: c.otherAddr, typ: kernel.PolicyIPsec, prio: prio}
}

func (c *ChildSA) policyFunc(o policyOp) func(kernel.PolicyID, kernel.ManagePolicy) error {
	if o.add {
		return c.env.Kernel.AddPolicy
	}
	return c.env.Kernel.DelPolicy
}

func (c *ChildSA) policiesInbound(o policyOp, my, other selectors.TS, mySA kernel.SAConfig) error {
	id := kernel.PolicyID{Dir: kernel.DirIn, Src: other, Dst: my, Mark: c.in.mark, IfID: c.in.ifID}
	d := kernel.ManagePolicy{Type: o.typ, Prio: o.prio, ManualPrio: c.cfg.ManualPrio,
		Src: o.other, Dst: o.me, SA: mySA}
	var err error
	op := c.policyFunc(o)
	if e := op(id, d); e != nil {
		err = e
	}
	if c.mode != kernel.ModeTransport {
		id.Dir = kernel.DirFwd
		if e := op(id, d); e != nil && err == nil {
			err = e
		}
	}
	return err
}

func (c *ChildSA) policiesOutbound(o policyOp, my, other selectors.TS, otherSA kernel.SAConfig) error {
	id := kernel.PolicyID{Dir: kernel.DirOut, Src: my, Dst: other, Mark: c.out.mark, IfID: c.out.ifID, Interface: c.cfg.Interface}
	// A responder's new CHILD_SA during make-before-break keeps its outbound
	// policies on standby behind the old SA's (c.standbyOut).
	d := kernel.ManagePolicy{Type: o.typ, Prio: o.prio, ManualPrio: c.cfg.ManualPrio,
		Src: o.me, Dst: o.other, SA: otherSA, Standby: c.standbyOut, HandOver: o.handOver}
	op := c.policyFunc(o)
	err := op(id, d)
	if c.mode != kernel.ModeTransport && c.cfg.Has(config.OptFwdOutPolicies) {
		// An outbound FWD policy without reqid lets forwarded traffic pass
		// a drop policy; installed with reduced priority.
		id.Dir = kernel.DirFwd
		d.SA.ReqID = 0
		if o.prio == kernel.PriorityDefault {
			d.Prio = kernel.PriorityRouted
		}
		if e := op(id, d); e != nil && err == nil {
			err = e
		}
	}
	return err
}

// InstallPolicies installs the policies for the negotiated selectors:
// inbound (in, fwd) always, outbound only if the outbound SA was not
// registered for later installation (rekeying, seeds/003). Without an
// installed SA (state CREATED) they are trap policies (auto=route).
func (c *ChildSA) InstallPolicies() error {
	if err := c.allocReqID(); err != nil {
		return err
	}
	installOut := false
	if c.outbound&OutboundRegistered == 0 {
		installOut = true
		c.outbound |= OutboundPolicies
	}
	var err error
	if !c.cfg.Has(config.OptNoPolicies) {
		mySA, otherSA := c.saConfigs()
		c.trap = c.state == ChildCreated
		prio := kernel.PriorityDefault
		if c.trap {
			prio = kernel.PriorityRouted
		}
		for _, p := range c.policyPairs() {
			op := c.ipsecPolicies(true, prio)
			if err = c.policiesInbound(op, p[0], p[1], mySA); err == nil && installOut {
				err = c.policiesOutbound(op, p[0], p[1], otherSA)
			}
			if err != nil {
				break
			}
		}
	}
	if err == nil && c.trap {
		c.SetState(ChildRouted)
	}
	return err
}
