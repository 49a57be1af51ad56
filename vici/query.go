package vici

import (
	"fmt"
	"strings"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/internal/version"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
)

// The query commands and the SA events (vici_query.c).

func (p *Plugin) registerQuery() {
	for _, ev := range []string{"list-sa", "list-policy", "list-conn", "list-cert", "ike-updown", "ike-rekey",
		"ike-update", "child-updown", "child-rekey"} {
		p.srv.Event(ev)
	}
	p.srv.Command("list-sas", p.listSAs)
	p.srv.Command("list-policies", p.listPolicies)
	p.srv.Command("list-conns", p.listConns)
	p.srv.Command("list-certs", p.listCerts)
	p.srv.Command("get-algorithms", p.getAlgorithms)
	p.srv.Command("get-counters", p.getCounters)
	p.srv.Command("reset-counters", p.resetCounters)
	p.srv.Command("version", p.version)
	p.srv.Command("stats", p.stats)
}

func (p *Plugin) now() time.Time { return p.deps.Env.Clock.Now() }

func (p *Plugin) listSAs(r *Request) []byte {
	_, noblock := r.Msg.Str("noblock")
	ike, hasIKE := r.Msg.Str("ike")
	ikeID := uint32(r.Msg.Int("ike-id", 0))
	child, hasChild := r.Msg.Str("child")
	childID := uint32(r.Msg.Int("child-id", 0))
	p.deps.Env.Manager.Each(0, !noblock, func(s *sa.IKESA) {
		if (hasIKE && ike != s.Name()) || (ikeID != 0 && ikeID != s.UniqueID()) {
			return
		}
		now := p.now()
		b := NewBuilder()
		b.BeginSection(s.Name())
		listIKE(b, s, now)
		b.BeginSection("child-sas")
		for _, c := range s.Children() {
			if (hasChild && child != c.Name()) || (childID != 0 && childID != c.UniqueID()) {
				continue
			}
			b.BeginSection(childSectionName(c))
			listChild(b, c, now)
			b.EndSection()
		}
		b.EndSection()
		b.EndSection()
		p.srv.Raise("list-sa", r.Client, p.finish(b))
	})
	return empty()
}

// raisePolicy is raise_policy and raise_policy_cfg: one list-policy
// event, named "ike/child" (or "child" for a shunt without namespace).
func (p *Plugin) raisePolicy(client uint32, ike, child, mode string, local, remote []selectors.TS) {
	b := NewBuilder()
	name := child
	if ike != "" {
		name = ike + "/" + child
	}
	b.BeginSection(name)
	b.KV("child", child)
	if ike != "" {
		b.KV("ike", ike)
	}
	b.KV("mode", mode)
	tsList(b, "local-ts", local)
	tsList(b, "remote-ts", remote)
	b.EndSection()
	p.srv.Raise("list-policy", client, p.finish(b))
}

func (p *Plugin) listPolicies(r *Request) []byte {
	_, drop := r.Msg.Str("drop")
	_, pass := r.Msg.Str("pass")
	_, trap := r.Msg.Str("trap")
	child, hasChild := r.Msg.Str("child")
	ike, hasIKE := r.Msg.Str("ike")
	if trap {
		for _, t := range p.deps.Traps.Traps() {
			c := t.Child
			if (hasIKE && ike != t.Peer.Name) || (hasChild && child != c.Name()) {
				continue
			}
			p.raisePolicy(r.Client, t.Peer.Name, c.Name(), modeName(c.Mode(), c.Config()), c.TS(true), c.TS(false))
		}
	}
	if drop || pass {
		for _, s := range p.deps.Shunts.Shunts() {
			cfg := s.Config
			if (hasIKE && ike != s.Namespace) || (hasChild && child != cfg.Name) {
				continue
			}
			if (cfg.Mode == kernel.ModeDrop && drop) || (cfg.Mode == kernel.ModePass && pass) {
				local, _ := cfg.TrafficSelectors(true, nil, nil)
				remote, _ := cfg.TrafficSelectors(false, nil, nil)
				p.raisePolicy(r.Client, s.Namespace, cfg.Name, modeName(cfg.Mode, cfg), local, remote)
			}
		}
	}
	return empty()
}

// authClassName is auth_class_names.
func authClassName(c config.AuthClass) string {
	if c <= config.AuthClassXAuth {
		return c.String()
	}
	return fmt.Sprintf("(%d)", c)
}

// buildAuthCfgs is build_auth_cfgs: one section per round, "local-1",
// "remote-2", with the rules in the order a config built from swanctl.conf
// adds them.
func buildAuthCfgs(b *Builder, auths []*config.AuthCfg, local bool) {
	side := "remote"
	if local {
		side = "local"
	}
	for i, a := range auths {
		b.BeginSection(fmt.Sprintf("%s-%d", side, i+1))
		// Neither stroke nor vici adds a class rule for "any".
		if a.Class != config.AuthClassAny {
			b.KV("class", authClassName(a.Class))
		}
		if a.Class == config.AuthClassEAP && a.EAPType != 0 {
			b.KV("eap-type", config.EAPTypeName(a.EAPType))
			if a.EAPVendor != 0 {
				b.KVf("eap-vendor", "%d", a.EAPVendor)
			}
		}
		if a.Class == config.AuthClassXAuth && a.XAuthBackend != "" {
			b.KV("xauth", a.XAuthBackend)
		}
		for _, v := range a.CRLValidation {
			b.KV("revocation", v.String())
		}
		if a.Identity != nil {
			b.KV("id", a.Identity.String())
		}
		for _, id := range a.CAIdentities {
			b.KV("ca_id", id.String())
		}
		if a.AAAIdentity != nil {
			b.KV("aaa_id", a.AAAIdentity.String())
		}
		if a.EAPIdentity != nil {
			b.KV("eap_id", a.EAPIdentity.String())
		}
		if a.XAuthIdentity != nil {
			b.KV("xauth_id", a.XAuthIdentity.String())
		}
		b.BeginList("groups")
		for _, g := range a.Groups {
			b.Item(g.String())
		}
		b.EndList()
		b.BeginList("cert_policy")
		for _, cp := range a.CertPolicies {
			b.Item(cp)
		}
		b.EndList()
		b.BeginList("certs")
		for _, c := range a.SubjectCerts {
			b.Item(c.Subject().String())
		}
		b.EndList()
		b.BeginList("cacerts")
		for _, c := range a.CACerts {
			b.Item(c.Subject().String())
		}
		b.EndList()
		b.EndSection()
	}
}

// addrTokens splits an address list as enumerator_create_token(s, ",", " ").
func addrTokens(s string) []string {
	var out []string
	for _, t := range strings.Split(s, ",") {
		if t = strings.Trim(t, " "); t != "" {
			out = append(out, t)
		}
	}
	return out
}

func ikeVersionName(v config.IKEVersion) string {
	switch v {
	case config.IKEAny:
		return "IKEv1/2"
	case config.IKEv1:
		return "IKEv1"
	case config.IKEv2:
		return "IKEv2"
	}
	return fmt.Sprintf("(%d)", v)
}

var uniqueNames = [...]string{"UNIQUE_NEVER", "UNIQUE_NO", "UNIQUE_REPLACE", "UNIQUE_KEEP"}

func uniqueName(u config.UniquePolicy) string {
	if int(u) < len(uniqueNames) {
		return uniqueNames[u]
	}
	return fmt.Sprintf("(%d)", u)
}

// actionName is action_names, a flag set.
func actionName(a config.Action) string {
	switch a {
	case config.ActionNone, config.ActionTrap, config.ActionStart:
		return a.String()
	case config.ActionTrap | config.ActionStart:
		return "trap|start"
	}
	return fmt.Sprintf("(0x%X)", uint8(a))
}

// listConn builds the list-conn event of one peer config.
func listConn(b *Builder, peer *config.PeerCfg) {
	b.BeginSection(peer.Name)
	var local, remote string
	version := config.IKEAny
	if peer.IKE != nil {
		local, remote, version = peer.IKE.Local, peer.IKE.Remote, peer.IKE.Version
	}
	b.BeginList("local_addrs")
	for _, t := range addrTokens(local) {
		b.Item(t)
	}
	b.EndList()
	b.BeginList("remote_addrs")
	for _, t := range addrTokens(remote) {
		b.Item(t)
	}
	b.EndList()
	b.KV("version", ikeVersionName(version))
	b.KVf("reauth_time", "%d", peer.ReauthTime)
	b.KVf("rekey_time", "%d", peer.RekeyTime)
	b.KV("unique", uniqueName(peer.Unique))
	if peer.DPDDelay != 0 {
		b.KVf("dpd_delay", "%d", peer.DPDDelay)
	}
	if peer.DPDTimeout != 0 {
		b.KVf("dpd_timeout", "%d", peer.DPDTimeout)
	}
	buildAuthCfgs(b, peer.LocalAuth, true)
	buildAuthCfgs(b, peer.RemoteAuth, false)
	b.BeginSection("children")
	for _, c := range peer.Children() {
		b.BeginSection(c.Name)
		b.KV("mode", modeName(c.Mode, c))
		b.KVf("rekey_time", "%d", c.Lifetime.Time.Rekey)
		b.KVf("rekey_bytes", "%d", c.Lifetime.Bytes.Rekey)
		b.KVf("rekey_packets", "%d", c.Lifetime.Packets.Rekey)
		b.KV("dpd_action", actionName(c.DPDAction))
		b.KV("close_action", actionName(c.CloseAction))
		local, _ := c.TrafficSelectors(true, nil, nil)
		remote, _ := c.TrafficSelectors(false, nil, nil)
		tsList(b, "local-ts", local)
		tsList(b, "remote-ts", remote)
		if c.Interface != "" {
			b.KV("interface", c.Interface)
		}
		if c.ManualPrio != 0 {
			b.KVf("priority", "%d", c.ManualPrio)
		}
		b.EndSection()
	}
	b.EndSection()
	b.EndSection()
}

func (p *Plugin) listConns(r *Request) []byte {
	ike, hasIKE := r.Msg.Str("ike")
	for _, peer := range p.deps.Env.Backends.Peers() {
		if hasIKE && ike != peer.Name {
			continue
		}
		b := NewBuilder()
		listConn(b, peer)
		p.srv.Raise("list-conn", r.Client, p.finish(b))
	}
	return empty()
}

func (p *Plugin) version(*Request) []byte {
	b := NewBuilder()
	b.KV("daemon", "charon")
	b.KV("version", version.StrongSwan)
	if sys, rel, machine, ok := version.Uname(); ok {
		b.KV("sysname", sys)
		b.KV("release", rel)
		b.KV("machine", machine)
	}
	return p.finish(b)
}

// priorityNames is job_priority_names.
var priorityNames = [processing.NumPriorities]string{"critical", "high", "medium", "low"}

func (p *Plugin) stats(*Request) []byte {
	st := p.deps.Daemon.Stats()
	now := p.now()
	b := NewBuilder()
	b.BeginSection("uptime")
	b.KV("running", sa.FormatDuration(time.Duration(seconds(st.Started, now))*time.Second))
	b.KV("since", bus.FormatTime(st.StartedWall, false))
	b.EndSection()
	b.BeginSection("workers")
	b.KVf("total", "%d", st.Workers.Threads)
	b.KVf("idle", "%d", st.Workers.Idle)
	b.BeginSection("active")
	for i, n := range priorityNames {
		b.KVf(n, "%d", st.Workers.Working[i])
	}
	b.EndSection()
	b.EndSection()
	b.BeginSection("queues")
	for i, n := range priorityNames {
		b.KVf(n, "%d", st.Workers.Queued[i])
	}
	b.EndSection()
	b.KVf("scheduled", "%d", st.Scheduled)
	m := p.deps.Env.Manager
	b.BeginSection("ikesas")
	b.KVf("total", "%d", m.Count())
	b.KVf("half-open", "%d", m.HalfOpen())
	b.EndSection()
	b.BeginList("plugins")
	// The daemon's own features count as plugin "charon", first.
	b.Item("charon")
	for _, pl := range st.Plugins {
		b.Item(pl)
	}
	b.EndList()
	if mi := st.Mallinfo; mi != nil {
		b.BeginSection("mallinfo")
		b.KVf("sbrk", "%d", mi[0])
		b.KVf("mmap", "%d", mi[1])
		b.KVf("used", "%d", mi[2])
		b.KVf("free", "%d", mi[3])
		b.EndSection()
	}
	return p.finish(b)
}

func (p *Plugin) getAlgorithms(*Request) []byte {
	b := NewBuilder()
	for _, s := range p.deps.Daemon.Algorithms() {
		b.BeginSection(s.Name)
		for _, a := range s.Algs {
			name := a.Name
			if s.Name == "nonce-gen" {
				name = "NONCE_GEN"
			}
			b.KV(name, a.Provider)
		}
		b.EndSection()
	}
	return p.finish(b)
}

// finish finalizes a response or event; a builder error (a bug) is logged
// and nothing is sent, as in charon.
func (p *Plugin) finish(b *Builder) []byte {
	m, err := b.Finalize()
	if err != nil {
		p.log.Logf(bus.ENC, bus.Control, "%v", err)
		return nil
	}
	return m
}

// addCounters is add_counters: one section of every counter by name.
func addCounters(b *Builder, name string, values []uint64) {
	b.BeginSection(name)
	for i, n := range counterNames {
		var v uint64
		if i < len(values) {
			v = values[i]
		}
		b.KVf(n, "%d", v)
	}
	b.EndSection()
}

func (p *Plugin) getCounters(r *Request) []byte {
	b := NewBuilder()
	errmsg := ""
	if c := p.deps.Counters; c != nil {
		name, _ := r.Msg.Str("name")
		b.BeginSection("counters")
		if r.Msg.Bool("all", false) {
			for _, n := range c.Names() {
				if v, ok := c.Get(n); ok {
					addCounters(b, n, v)
				}
			}
		} else if v, ok := c.Get(name); ok {
			addCounters(b, name, v)
		} else {
			errmsg = "no counters found for this connection"
		}
		b.EndSection()
	} else {
		errmsg = "no counters available (plugin missing?)"
	}
	b.KV("success", yesNo(errmsg == ""))
	if errmsg != "" {
		b.KV("errmsg", errmsg)
	}
	return p.finish(b)
}

func (p *Plugin) resetCounters(r *Request) []byte {
	c := p.deps.Counters
	if c == nil {
		return reply("no counters available (plugin missing?)")
	}
	name, _ := r.Msg.Str("name")
	if r.Msg.Bool("all", false) {
		c.ResetAll()
	} else {
		c.Reset(name)
	}
	return reply("")
}
