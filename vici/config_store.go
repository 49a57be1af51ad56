package vici

import (
	"context"
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
)

// connStore is the backend of the conns loaded over vici: a table by name
// that keeps the order of loading (a reloaded conn keeps its place), as
// charon's insertion-ordered hashtable.
type connStore struct {
	p *Plugin

	mu    sync.RWMutex
	peers []*config.PeerCfg

	// actions serializes loading and unloading with the start actions they
	// run, which charon runs with its table lock released.
	actions sync.Mutex
}

var _ config.Backend = (*connStore)(nil)

func newConnStore(p *Plugin) *connStore { return &connStore{p: p} }

// PeerCfgs implements config.Backend.
func (s *connStore) PeerCfgs() []*config.PeerCfg {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return slices.Clone(s.peers)
}

// PeerCfgByName implements config.Backend: the conn of that name.
func (s *connStore) PeerCfgByName(name string) *config.PeerCfg {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, p := range s.peers {
		if p.Name == name {
			return p
		}
	}
	return nil
}

func (s *connStore) index(name string) int {
	return slices.IndexFunc(s.peers, func(p *config.PeerCfg) bool { return p.Name == name })
}

// merge is merge_config: a new conn is added, a conn with equal IKE and
// peer parameters gets the new children, any other replaces the old one;
// start actions follow what changed.
func (s *connStore) merge(peer *config.PeerCfg) {
	s.actions.Lock()
	defer s.actions.Unlock()
	s.mu.Lock()
	i := s.index(peer.Name)
	var found *config.PeerCfg
	if i >= 0 {
		found = s.peers[i]
	}
	switch {
	case found != nil && peer.Equal(found) && found.IKE.Equal(peer.IKE):
		s.mu.Unlock()
		s.p.logf(bus.Control, "updated vici connection: %s", peer.Name)
		removed, added := found.ReplaceChildren(peer)
		for _, c := range removed {
			s.clearStartAction(found.Name, c)
		}
		for _, c := range added {
			s.runStartAction(found, c)
		}
	case found != nil:
		s.peers[i] = peer
		s.mu.Unlock()
		s.p.logf(bus.Control, "replaced vici connection: %s", peer.Name)
		for _, c := range found.Children() {
			s.clearStartAction(found.Name, c)
		}
		for _, c := range peer.Children() {
			s.runStartAction(peer, c)
		}
	default:
		s.peers = append(s.peers, peer)
		s.mu.Unlock()
		s.p.logf(bus.Control, "added vici connection: %s", peer.Name)
		for _, c := range peer.Children() {
			s.runStartAction(peer, c)
		}
	}
}

// remove unloads a conn and undoes its start actions.
func (s *connStore) remove(name string) bool {
	s.actions.Lock()
	defer s.actions.Unlock()
	s.mu.Lock()
	i := s.index(name)
	if i < 0 {
		s.mu.Unlock()
		return false
	}
	peer := s.peers[i]
	s.peers = slices.Delete(s.peers, i, i+1)
	s.mu.Unlock()
	for _, c := range peer.Children() {
		s.clearStartAction(peer.Name, c)
	}
	return true
}

// runStartAction is run_start_action.
func (s *connStore) runStartAction(peer *config.PeerCfg, c *config.ChildCfg) {
	d := s.p.deps
	if c.StartAction&config.ActionTrap != 0 {
		s.p.logf(bus.Control, "installing '%s'", c.Name)
		switch c.Mode {
		case kernel.ModePass, kernel.ModeDrop:
			d.Shunts.Install(peer.Name, c)
			return
		default:
			d.Traps.Install(0, peer, c)
		}
	}
	if c.StartAction&config.ActionStart != 0 {
		s.p.logf(bus.Control, "initiating '%s'", c.Name)
		d.Control.Initiate(context.Background(), peer, c, nil, 0, false)
	}
}

// clearStartAction is clear_start_action: unroute, or close what the start
// action brought up (the whole IKE_SA when nothing else lives on it).
func (s *connStore) clearStartAction(peerName string, c *config.ChildCfg) {
	d := s.p.deps
	name := c.Name
	if c.StartAction&config.ActionTrap != 0 {
		s.p.logf(bus.Control, "uninstalling '%s'", name)
		switch c.Mode {
		case kernel.ModePass, kernel.ModeDrop:
			d.Shunts.Uninstall(peerName, name)
			return
		default:
			d.Traps.Uninstall(peerName, name)
		}
	}
	if c.StartAction&config.ActionStart == 0 {
		return
	}
	var childIDs, ikeIDs []uint32
	d.Env.Manager.Each(0, true, func(ike *sa.IKESA) {
		if ike.Name() != peerName {
			return
		}
		var id uint32
		others := 0
		children := ike.Children()
		for _, ch := range children {
			if st := ch.State(); st != sa.ChildDeleting && st != sa.ChildDeleted {
				if ch.Name() == name {
					id = ch.UniqueID()
				} else {
					others++
				}
			}
		}
		if len(children) == 0 || (id != 0 && others == 0) {
			ikeIDs = append(ikeIDs, ike.UniqueID())
			return
		}
		for _, ch := range children {
			if ch.Name() == name {
				childIDs = append(childIDs, ch.UniqueID())
			}
		}
	})
	for _, id := range childIDs {
		s.p.logf(bus.Control, "closing '%s' #%d", name, id)
		d.Control.TerminateChild(context.Background(), id, nil, 0)
	}
	for _, id := range ikeIDs {
		s.p.logf(bus.Control, "closing IKE_SA #%d", id)
		d.Control.TerminateIKE(context.Background(), id, false, nil, 0)
	}
}
