package sa

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
)

// ShuntManager installs the PASS and DROP policies of type=passthrough and
// type=drop connections (strongSwan's shunt_manager.c). A shunt has no SA:
// its policies only let traffic by or discard it.
type ShuntManager struct {
	env *Env

	mu     sync.Mutex
	shunts []shunt
}

type shunt struct {
	ns  string // the backend that installed it; stroke uses the peer name
	cfg *config.ChildCfg
}

// ShuntInfo describes an installed shunt for status output.
type ShuntInfo struct {
	Namespace string
	Config    *config.ChildCfg
}

// NewShuntManager creates the shunt manager of env.
func NewShuntManager(env *Env) *ShuntManager { return &ShuntManager{env: env} }

func (s *ShuntManager) log(format string, args ...any) {
	s.env.Bus.Log(0, nil, bus.CFG, bus.Control, format, args...)
}

func modeName(m kernel.Mode) string {
	if m == kernel.ModeDrop {
		return "DROP"
	}
	return "PASS"
}

// Install installs cfg's shunt policies under namespace ns.
func (s *ShuntManager) Install(ns string, cfg *config.ChildCfg) bool {
	if ns == "" {
		s.log("missing namespace for shunt policy '%s'", cfg.Name)
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.shunts {
		if e.ns == ns && e.cfg.Name == cfg.Name {
			s.log("shunt %s policy '%s' already installed", modeName(cfg.Mode), cfg.Name)
			return true
		}
	}
	if err := s.manage(cfg, true); err != nil {
		_ = s.manage(cfg, false)
		return false
	}
	s.shunts = append(s.shunts, shunt{ns, cfg})
	return true
}

// Uninstall removes the shunt called name (in namespace ns, if not empty).
func (s *ShuntManager) Uninstall(ns, name string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, e := range s.shunts {
		if (ns == "" || ns == e.ns) && e.cfg.Name == name {
			s.shunts = slices.Delete(s.shunts, i, i+1)
			if err := s.manage(e.cfg, false); err != nil {
				s.log("uninstalling shunt %s 'policy %s' failed", modeName(e.cfg.Mode), name)
			}
			return true
		}
	}
	return false
}

// Shunts lists the installed shunts.
func (s *ShuntManager) Shunts() []ShuntInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ShuntInfo, len(s.shunts))
	for i, e := range s.shunts {
		out[i] = ShuntInfo{e.ns, e.cfg}
	}
	return out
}

// Flush removes every shunt.
func (s *ShuntManager) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.shunts {
		_ = s.manage(e.cfg, false)
	}
	s.shunts = nil
}

// manage adds or deletes the policies: out (and fwd with
// fwd_out_policies), in and fwd for each pair of local and remote
// selectors of one family and compatible protocol. Dynamic selectors
// become "any" of both families.
func (s *ShuntManager) manage(cfg *config.ChildCfg, add bool) error {
	var typ kernel.PolicyType
	var prio kernel.PolicyPriority
	switch cfg.Mode {
	case kernel.ModePass:
		typ, prio = kernel.PolicyPass, kernel.PriorityPass
	case kernel.ModeDrop:
		typ, prio = kernel.PolicyDrop, kernel.PriorityFallback
	default:
		return nil
	}
	hosts := []netip.Addr{netip.IPv4Unspecified(), netip.IPv6Unspecified()}
	mine, _ := cfg.TrafficSelectors(true, nil, hosts)
	others, _ := cfg.TrafficSelectors(false, nil, hosts)
	pol := kernel.ManagePolicy{Type: typ, Prio: prio, ManualPrio: cfg.ManualPrio,
		Src: netip.IPv4Unspecified(), Dst: netip.IPv4Unspecified(),
		SA: kernel.SAConfig{Mode: kernel.ModeTransport}}
	var firstErr error
	do := func(id kernel.PolicyID) {
		var err error
		if add {
			err = s.env.Kernel.AddPolicy(id, pol)
		} else {
			err = s.env.Kernel.DelPolicy(id, pol)
		}
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for _, m := range mine {
		for _, o := range others {
			if m.Is4() != o.Is4() {
				continue
			}
			if m.Protocol() != 0 && o.Protocol() != 0 && m.Protocol() != o.Protocol() {
				continue
			}
			out := kernel.PolicyID{Dir: kernel.DirOut, Src: m, Dst: o, Mark: cfg.MarkOut, Interface: cfg.Interface}
			do(out)
			if cfg.Has(config.OptFwdOutPolicies) {
				out.Dir = kernel.DirFwd
				do(out)
			}
			in := kernel.PolicyID{Dir: kernel.DirIn, Src: o, Dst: m, Mark: cfg.MarkIn, Interface: cfg.Interface}
			do(in)
			in.Dir = kernel.DirFwd
			do(in)
		}
	}
	return firstErr
}
