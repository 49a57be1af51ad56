package config

import (
	"net/netip"
	"slices"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// Action is action_t: what to do on start (auto=), on DPD timeout and on
// close by the peer.
type Action uint8

const (
	ActionNone  Action = iota
	ActionTrap         // install a trap policy (auto=route, dpdaction=hold)
	ActionStart        // initiate (auto=start, dpdaction=restart)
)

func (a Action) String() string {
	return [...]string{"none", "trap", "start"}[a]
}

// ChildOption is child_cfg_option_t.
type ChildOption uint32

const (
	OptNoPolicies ChildOption = 1 << iota
	OptFwdOutPolicies
	OptHostAccess
	OptProxyMode
	OptIPComp
	OptSHA256_96
	OptMarkInSA
	OptNoCopyDF
	OptNoCopyECN
)

// ChildCfg is the configuration of a CHILD_SA, child_cfg_t.
type ChildCfg struct {
	Name      string
	Proposals []*Proposal
	// LocalTS and RemoteTS as configured (leftsubnet/rightsubnet; dynamic
	// when unset).
	LocalTS, RemoteTS []selectors.TS
	Updown            string
	Lifetime          kernel.Lifetime
	Mode              kernel.Mode
	StartAction       Action
	DPDAction         Action
	CloseAction       Action
	Inactivity        uint32 // seconds
	ReqID             uint32 // 0: allocate
	MarkIn, MarkOut   kernel.Mark
	SetMarkIn         kernel.Mark
	SetMarkOut        kernel.Mark
	IfIDIn, IfIDOut   uint32
	TFC               uint32
	ManualPrio        uint32
	Interface         string
	ReplayWindow      uint32
	Options           ChildOption
	HWOffload         kernel.HWOffload
	CopyDSCP          kernel.DSCPCopy
}

// DefaultReplayWindow is charon.replay_window's default.
const DefaultReplayWindow = 32

// Has reports whether an option is set.
func (c *ChildCfg) Has(o ChildOption) bool { return c.Options&o != 0 }

// ProposalsForNegotiation returns the configured proposals without
// duplicates; with stripKE the key exchange transforms are removed (for
// CHILD_SAs created in IKE_AUTH, which has no KE payload).
func (c *ChildCfg) ProposalsForNegotiation(stripKE bool) []*Proposal {
	var out []*Proposal
	for _, p := range c.Proposals {
		q := p
		if stripKE {
			q = p.WithoutKE()
		} else {
			q = p.Clone()
		}
		if slices.ContainsFunc(out, func(x *Proposal) bool { return x.Equal(q) }) {
			continue
		}
		out = append(out, q)
	}
	return out
}

// SelectProposal picks from the peer's proposals.
func (c *ChildCfg) SelectProposal(supplied []*Proposal, flags SelectFlags) *Proposal {
	return SelectProposal(c.Proposals, supplied, flags)
}

// TrafficSelectors computes the selectors to propose or to accept, as
// child_cfg_t.get_traffic_selectors: dynamic selectors (and in transport
// mode, as initiator, all of them) are replaced by the hosts; with
// supplied selectors from the peer the result is the intersection of each
// configured one with each supplied one, in configured order; redundant
// selectors contained in others are removed. narrowed reports whether the
// result differs from what was configured (charon raises TS_NARROWED).
func (c *ChildCfg) TrafficSelectors(local bool, supplied []selectors.TS, hosts []netip.Addr) (result []selectors.TS, narrowed bool) {
	cfg := c.RemoteTS
	if local {
		cfg = c.LocalTS
	}
	var derived []selectors.TS
	for _, ts := range cfg {
		if len(hosts) > 0 {
			dynamic := ts.IsDynamic()
			if dynamic || (c.Mode == kernel.ModeTransport && !c.Has(OptProxyMode) && supplied == nil) {
				for _, h := range hosts {
					if !dynamic && !h.IsUnspecified() && !ts.Includes(h) {
						continue // transport mode: skip selectors not covering the host
					}
					t := ts
					if dynamic || !h.IsUnspecified() {
						t = ts.SetAddress(h)
					}
					derived = append(derived, t)
				}
				continue
			}
		}
		derived = append(derived, ts)
	}
	if supplied == nil {
		result = derived
	} else {
		for _, d := range derived {
			for _, s := range supplied {
				if sub, ok := d.Subset(s); ok {
					result = append(result, sub)
				}
			}
		}
		for i, d := range derived {
			if i >= len(result) || !d.Equal(result[i]) {
				narrowed = true
				break
			}
		}
	}
	return removeRedundant(result), narrowed
}

// removeRedundant drops selectors contained in another one of the list.
func removeRedundant(in []selectors.TS) []selectors.TS {
	out := slices.Clone(in)
	for i := 0; i < len(out); i++ {
		for j := 0; j < len(out); j++ {
			if i == j {
				continue
			}
			if out[j].ContainedIn(out[i]) {
				out = slices.Delete(out, j, j+1)
				i = -1 // start over, as charon resets its enumerator
				break
			}
		}
	}
	return out
}

// LifetimeWithJitter returns the lifetime to install, with a random value
// up to the jitter subtracted from each rekey limit (get_lifetime with
// jitter). rnd(n) returns a uniform value in [0, n).
func (c *ChildCfg) LifetimeWithJitter(jitter bool, rnd func(n uint64) uint64) kernel.Lifetime {
	lt := c.Lifetime
	apply := func(l *kernel.LifetimeLimit) {
		j := l.Jitter
		if !jitter {
			j = 0
		}
		if j != 0 && rnd != nil {
			if j != ^uint64(0) {
				j++
			}
			l.Rekey -= rnd(j)
		}
	}
	apply(&lt.Time)
	apply(&lt.Bytes)
	apply(&lt.Packets)
	return lt
}

// Equal compares the fields that make two child configs the same
// (child_cfg_t.equals). The name is not one of them: two conns that differ
// only in their names are the same CHILD_SA to charon, so an up of the
// second one finds the first one's CHILD_SA a duplicate, and a reload
// that renames a conn keeps its CHILD_SAs.
func (c *ChildCfg) Equal(o *ChildCfg) bool {
	if c == o {
		return true
	}
	return c.sameNegotiation(o) && c.sameLifecycle(o) && c.sameKernelState(o)
}

// sameNegotiation compares what is proposed to the peer.
func (c *ChildCfg) sameNegotiation(o *ChildCfg) bool {
	return slices.EqualFunc(c.Proposals, o.Proposals, func(a, b *Proposal) bool { return a.Equal(b) }) &&
		slices.EqualFunc(c.LocalTS, o.LocalTS, selectors.TS.Equal) &&
		slices.EqualFunc(c.RemoteTS, o.RemoteTS, selectors.TS.Equal) &&
		c.Mode == o.Mode
}

// sameLifecycle compares when the CHILD_SA starts, is rekeyed and ends.
func (c *ChildCfg) sameLifecycle(o *ChildCfg) bool {
	return c.Updown == o.Updown && c.Lifetime == o.Lifetime && c.StartAction == o.StartAction &&
		c.DPDAction == o.DPDAction && c.CloseAction == o.CloseAction && c.Inactivity == o.Inactivity
}

// sameKernelState compares what goes into the SAs and policies.
func (c *ChildCfg) sameKernelState(o *ChildCfg) bool {
	return c.ReqID == o.ReqID && c.MarkIn == o.MarkIn && c.MarkOut == o.MarkOut &&
		c.SetMarkIn == o.SetMarkIn && c.SetMarkOut == o.SetMarkOut && c.IfIDIn == o.IfIDIn && c.IfIDOut == o.IfIDOut &&
		c.TFC == o.TFC && c.ManualPrio == o.ManualPrio && c.Interface == o.Interface &&
		c.ReplayWindow == o.ReplayWindow && c.Options == o.Options && c.HWOffload == o.HWOffload && c.CopyDSCP == o.CopyDSCP
}
