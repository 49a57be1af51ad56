package starter

import (
	"github.com/goswan/goswan/confparse/ipsecconf"
)

// sectionState is starter_state_t: where a conn or ca stands with the
// daemon.
type sectionState int

const (
	stateIgnore   sectionState = iota // auto=ignore: never sent
	stateToAdd                        // to be sent at the next chance
	stateAdded                        // the daemon has it
	stateReplaced                     // superseded by an identical section of a newer file
)

type connEntry struct {
	conn  *ipsecconf.Conn
	state sectionState
	// id numbers the conn for its %auto name; 0 until it is first added,
	// and kept across updates that leave the conn as it was.
	id uint64
}

type caEntry struct {
	ca    *ipsecconf.CA
	state sectionState
}

// loadedConfig is an ipsec.conf as starter holds it: the sections with
// their states.
type loadedConfig struct {
	cfg   *ipsecconf.Config
	conns []*connEntry
	cas   []*caEntry
}

func newLoadedConfig(cfg *ipsecconf.Config) *loadedConfig {
	lc := &loadedConfig{cfg: cfg}
	for _, ca := range cfg.CAs {
		e := &caEntry{ca: ca}
		if ca.Auto != ipsecconf.AutoIgnore {
			e.state = stateToAdd
		}
		lc.cas = append(lc.cas, e)
	}
	for _, c := range cfg.Conns {
		e := &connEntry{conn: c}
		if c.Auto != ipsecconf.AutoIgnore {
			e.state = stateToAdd
		}
		lc.conns = append(lc.conns, e)
	}
	return lc
}

func (e *connEntry) name() string { return e.conn.StrokeName(e.id) }

// daemonLink is what the core needs from the outside world: whether the
// daemon runs (starter checks before every message, since the daemon may
// die while it sends), and a way to send it a message.
type daemonLink interface {
	running() bool
	send(message)
}

// core is the part of starter's main loop that decides what to send. It
// does no I/O of its own: messages go out through the daemonLink, in
// starter's order.
type core struct {
	cfg *loadedConfig
	// nextID is starter's counter of conn ids, 1 for the first conn added.
	nextID uint64
}

func newCore(cfg *ipsecconf.Config) *core {
	return &core{cfg: newLoadedConfig(cfg), nextID: 1}
}

// deleteAll is FLAG_ACTION_RELOAD (SIGUSR1): every conn and ca the daemon
// has is deleted from it (a routed conn unrouted first) and marked to be
// added again.
func (c *core) deleteAll(d daemonLink) {
	if !d.running() {
		return
	}
	for _, e := range c.cfg.conns {
		if e.state != stateAdded {
			continue
		}
		if d.running() {
			if e.conn.Auto == ipsecconf.AutoRoute {
				d.send(unrouteMsg(e.name()))
			}
			d.send(delConnMsg(e.name()))
		}
		e.state = stateToAdd
	}
	for _, e := range c.cfg.cas {
		if e.state != stateAdded {
			continue
		}
		if d.running() {
			d.send(delCAMsg(e.ca.Name))
		}
		e.state = stateToAdd
	}
}

// update is FLAG_ACTION_UPDATE once the new file has been read: a loaded
// conn or ca whose new version is identical stays as it is (keeping its
// id); every other one the daemon has is deleted (unrouted first if it was
// routed); the new file becomes the current one, and addPending then adds
// what is new or changed.
func (c *core) update(newCfg *ipsecconf.Config, d daemonLink) {
	next := newLoadedConfig(newCfg)
	// sameConn compares names too, so only a new conn of the old one's
	// name can be the same: looked up by name, not compared with every
	// conn of the file (with 10 000 conns that pairwise comparison took
	// seconds).
	byName := map[string][]*connEntry{}
	for _, e := range next.conns {
		byName[e.conn.Name] = append(byName[e.conn.Name], e)
	}
	for _, old := range c.cfg.conns {
		if old.state != stateAdded {
			continue
		}
		for _, e := range byName[old.conn.Name] {
			if e.state == stateToAdd && sameConn(old.conn, e.conn) {
				old.state = stateReplaced
				e.state = stateAdded
				e.id = old.id
				break
			}
		}
	}
	for _, old := range c.cfg.conns {
		if old.state == stateAdded && d.running() {
			if old.conn.Auto == ipsecconf.AutoRoute {
				d.send(unrouteMsg(old.name()))
			}
			d.send(delConnMsg(old.name()))
		}
	}
	for _, old := range c.cfg.cas {
		if old.state != stateAdded {
			continue
		}
		for _, e := range next.cas {
			if e.state == stateToAdd && sameCA(old.ca, e.ca) {
				old.state = stateReplaced
				e.state = stateAdded
				break
			}
		}
	}
	for _, old := range c.cfg.cas {
		if old.state == stateAdded && d.running() {
			d.send(delCAMsg(old.ca.Name))
		}
	}
	c.cfg = next
}

// configure is starter_stroke_configure, sent after every attempt to start
// the daemon (whether or not it came up): the global options, if
// cachecrls=yes.
func (c *core) configure(d daemonLink) {
	if c.cfg.cfg.Setup.CacheCRLs {
		d.send(configMsg())
	}
}

// markAllToAdd makes addPending send everything again, for a daemon that
// (re)started and has nothing.
func (c *core) markAllToAdd() {
	for _, e := range c.cfg.cas {
		if e.state == stateAdded {
			e.state = stateToAdd
		}
	}
	for _, e := range c.cfg.conns {
		if e.state == stateAdded {
			e.state = stateToAdd
		}
	}
}

// addPending sends what is marked to be added, if the daemon runs: every
// ca, then every conn (each numbered when first added) followed at once by
// its route or initiate for auto=route and auto=start.
func (c *core) addPending(d daemonLink) {
	if !d.running() {
		return
	}
	setup := &c.cfg.cfg.Setup
	for _, e := range c.cfg.cas {
		if e.state != stateToAdd {
			continue
		}
		if d.running() {
			d.send(addCAMsg(e.ca))
		}
		e.state = stateAdded
	}
	for _, e := range c.cfg.conns {
		if e.state != stateToAdd {
			continue
		}
		if e.id == 0 {
			e.id = c.nextID
			c.nextID++
		}
		if d.running() {
			d.send(addConnMsg(setup, e.conn, e.id))
		}
		e.state = stateAdded
		switch e.conn.Auto {
		case ipsecconf.AutoStart:
			if d.running() {
				d.send(initiateMsg(e.name()))
			}
		case ipsecconf.AutoRoute:
			if d.running() {
				d.send(routeMsg(e.name()))
			}
		}
	}
}
