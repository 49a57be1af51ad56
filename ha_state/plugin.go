// Package ha_state is goswan's ha-state plugin: a gateway that keeps its
// IKE_SAs and pool leases in a file and takes them up again when it is
// restarted after a crash, as RFC 6311 intends for a cluster member taking
// over from a failed one.
//
// strongSwan has nothing like it: its ha plugin keeps the IKE_SAs of a
// cluster in the memory of the partner node and synchronizes message IDs
// with its own messages; neither it nor anything else in strongSwan sends
// IKEV2_MESSAGE_ID_SYNC (charon only answers it). Here the saved state is
// written when IKE_SAs and CHILD_SAs come, go or are rekeyed, not on every
// message, so the message IDs it holds are stale after a crash. Each
// restored IKE_SA therefore first synchronizes them with the peer (RFC
// 6311, tasks/ike_mid_sync.go) if the peer announced support, and then
// rekeys its CHILD_SAs, whose ESP keys and sequence numbers are not saved.
//
// The file holds IKE keys: it is written with mode 0600. An orderly
// shutdown deletes the IKE_SAs (telling the peers) and removes the file.
//
// strongswan.conf: charon.plugins.ha-state.file (the path; the plugin is
// off without it) and charon.plugins.ha-state.restore_delay (how long
// after a connection's config arrives its IKE_SAs are taken up, so that
// its children and pools arrived too; 1s).
package ha_state

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/sa"
)

// Options are the plugin's settings.
type Options struct {
	File         string
	RestoreDelay time.Duration
	// SaveDelay is how long after a change the state is written (changes
	// in between are written together); 0 writes at once.
	SaveDelay time.Duration
}

// OptionsFrom reads charon.plugins.ha-state.
func OptionsFrom(s *settings.Settings) Options {
	const p = "charon.plugins.ha-state."
	delay, ok := settings.ParseTime(s.Str(p+"restore_delay", "1"))
	if !ok {
		delay = 1
	}
	return Options{File: s.Str(p+"file", ""), RestoreDelay: time.Duration(delay) * time.Second,
		SaveDelay: 100 * time.Millisecond}
}

// Pools are the lease tables the plugin keeps (stroke's pools).
type Pools interface {
	Save() []attributes.SavedPool
	Restore(saved []attributes.SavedPool) []string
}

// Deps are what the plugin needs of the daemon.
type Deps struct {
	Env     *sa.Env
	Manager *sa.Manager
	Pools   Pools
	Log     bus.Logger
}

// State is the file's content.
type State struct {
	Version int
	Pools   []attributes.SavedPool
	IKESAs  []sa.SavedIKESA
}

// stateVersion is the file format's version.
const stateVersion = 1

// Plugin is the running plugin.
type Plugin struct {
	o Options
	d Deps

	mu sync.Mutex
	// pending are the saved IKE_SAs not yet taken up, pools the saved
	// lease tables not yet given back.
	pending []sa.SavedIKESA
	pools   []attributes.SavedPool
	// saveQueued: a save job is scheduled; stopped: no more saving.
	saveQueued, stopped bool
}

// Start reads the saved state (if any) and starts watching the IKE_SAs.
// It returns nil without a file name.
func Start(o Options, d Deps) *Plugin {
	if o.File == "" {
		logf(d.Log, "ha-state: no file configured (charon.plugins.ha-state.file), not saving IKE_SAs")
		return nil
	}
	if d.Log == nil {
		d.Log = bus.Discard
	}
	p := &Plugin{o: o, d: d}
	st, err := Load(o.File)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		logf(d.Log, "ha-state: reading %s failed: %v", o.File, err)
	default:
		p.pending, p.pools = st.IKESAs, st.Pools
		logf(d.Log, "ha-state: loaded %d IKE_SA%s and %d pool%s from %s", len(st.IKESAs), plural(len(st.IKESAs)),
			len(st.Pools), plural(len(st.Pools)), o.File)
	}
	d.Env.Events.Add(p)
	d.Env.Backends.Observe(p.configAdded)
	return p
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func logf(l bus.Logger, format string, args ...any) {
	if l != nil {
		l.Logf(bus.CFG, bus.Control, format, args...)
	}
}

// Load reads a state file.
func Load(path string) (*State, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse reads a state file's content.
func Parse(b []byte) (*State, error) {
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, err
	}
	if st.Version != stateVersion {
		return nil, fmt.Errorf("unknown state version %d", st.Version)
	}
	return &st, nil
}

// Stop ends saving; the IKE_SAs are deleted by the shutdown that
// follows, so nothing is left to take up: the file goes.
func (p *Plugin) Stop() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	p.d.Env.Events.Remove(p)
	if err := os.Remove(p.o.File); err != nil && !errors.Is(err, fs.ErrNotExist) {
		logf(p.d.Log, "ha-state: removing %s failed: %v", p.o.File, err)
	}
}

// changed schedules a save.
func (p *Plugin) changed() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.saveQueued || p.stopped {
		return
	}
	p.saveQueued = true
	p.d.Manager.Schedule(p.o.SaveDelay, "ha_state_save", func(thread int) {
		p.mu.Lock()
		p.saveQueued = false
		stopped := p.stopped
		p.mu.Unlock()
		if !stopped {
			p.Save(thread)
		}
	})
}

// Save writes the state of every established IKE_SA and the pools (what
// is still pending restoration is kept as it was).
func (p *Plugin) Save(thread int) {
	st := State{Version: stateVersion}
	p.d.Manager.Each(thread, true, func(ike *sa.IKESA) {
		if s, ok := ike.Save(); ok {
			st.IKESAs = append(st.IKESAs, s)
		}
	})
	if p.d.Pools != nil {
		st.Pools = p.d.Pools.Save()
	}
	p.mu.Lock()
	st.IKESAs = append(st.IKESAs, p.pending...)
	for _, sp := range p.pools {
		if !slices.ContainsFunc(st.Pools, func(o attributes.SavedPool) bool { return o.Name == sp.Name }) {
			st.Pools = append(st.Pools, sp)
		}
	}
	p.mu.Unlock()
	if err := write(p.o.File, &st); err != nil {
		logf(p.d.Log, "ha-state: writing %s failed: %v", p.o.File, err)
	}
}

// write replaces the file atomically, readable by root only.
func write(path string, st *State) error {
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// IKEStateChange implements sa.IKEStateListener.
func (p *Plugin) IKEStateChange(_ *sa.IKESA, _ sa.IKEState) bool {
	p.changed()
	return true
}

// ChildStateChange implements sa.ChildStateListener.
func (p *Plugin) ChildStateChange(_ *sa.IKESA, _ *sa.ChildSA, _ sa.ChildState) bool {
	p.changed()
	return true
}

// configAdded takes up, a moment later, the saved IKE_SAs of a connection
// whose config was added.
func (p *Plugin) configAdded(peer *config.PeerCfg) {
	p.mu.Lock()
	var mine []sa.SavedIKESA
	p.pending = slices.DeleteFunc(p.pending, func(s sa.SavedIKESA) bool {
		if s.PeerCfg == peer.Name {
			mine = append(mine, s)
			return true
		}
		return false
	})
	p.mu.Unlock()
	if len(mine) == 0 {
		return
	}
	p.d.Manager.Schedule(p.o.RestoreDelay, "ha_state_restore", func(thread int) {
		p.restorePools()
		for _, s := range mine {
			p.restore(thread, s)
		}
	})
}

// restorePools gives the saved lease tables to the pools that exist now.
func (p *Plugin) restorePools() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.d.Pools == nil || len(p.pools) == 0 {
		return
	}
	for _, name := range p.d.Pools.Restore(p.pools) {
		logf(p.d.Log, "ha-state: restored the leases of pool '%s'", name)
		p.pools = slices.DeleteFunc(p.pools, func(sp attributes.SavedPool) bool { return sp.Name == name })
	}
}

// restore takes up one IKE_SA: message IDs synchronized first (when the
// peer supports it), then its CHILD_SAs rekeyed.
func (p *Plugin) restore(thread int, s sa.SavedIKESA) {
	peer := p.d.Env.Backends.ByName(s.PeerCfg)
	if peer == nil {
		logf(p.d.Log, "ha-state: connection '%s' is gone, IKE_SA %.16x_i %.16x_r not restored", s.PeerCfg, s.SPIi, s.SPIr)
		return
	}
	m := p.d.Manager
	ike, err := m.Restore(s, peer, thread)
	if err != nil {
		logf(p.d.Log, "ha-state: %v", err)
		return
	}
	ike.Log(bus.IKE, bus.Control, "restored IKE_SA %s[%d] between %s[%s]...%s[%s], message IDs %d/%d",
		ike.Name(), ike.UniqueID(), ike.MyHost().Addr(), ike.MyID(), ike.OtherHost().Addr(), ike.OtherID(),
		s.InitiatingMID, s.RespondMID)
	if ike.Supports(sa.ExtIKEMessageIDSync) {
		ike.TaskManager().QueueMIDSync()
	} else {
		ike.Log(bus.IKE, bus.Control, "peer does not support IKEV2_MESSAGE_ID_SYNC, keeping the saved message IDs")
	}
	for _, c := range ike.Children() {
		ike.TaskManager().QueueChildRekey(c.Protocol(), c.SPI(true))
	}
	if st := ike.TaskManager().Initiate(); st == sa.DestroyMe || st == sa.Failed {
		m.CheckinAndDestroy(ike)
		return
	}
	m.Checkin(ike)
}
