package daemon

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/internal/version"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/stroke"
)

// This file renders `ipsec status` and `ipsec statusall` line for line as
// charon 5.9.8's stroke plugin does (stroke_list.c status()); the format is
// documented in reference/strongswan/status_format.md and the test suite
// greps it.

// printer writes to the client and remembers the first write error: once
// the client is gone, nothing more is written and the IKE_SA loop stops, as
// charon's does on ferror(out).
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) print(s string) {
	if p.err != nil {
		return
	}
	_, p.err = io.WriteString(p.w, s)
}

func (p *printer) printf(format string, args ...any) {
	if p.err != nil {
		return
	}
	_, p.err = fmt.Fprintf(p.w, format, args...)
}

// WriteStatus writes the answer to `ipsec status` (all false) or `ipsec
// statusall` (all true) to w. wait false is statusall-nb: IKE_SAs in use by
// another job are skipped instead of waited for. A valid name restricts
// the output to the connections, IKE_SAs and CHILD_SAs of that name (an
// IKE_SA is shown if it or one of its CHILD_SAs has the name, with only
// the matching CHILD_SAs). The error is the first write error.
func WriteStatus(w io.Writer, src StatusSource, all, wait bool, name stroke.Str) error {
	p := &printer{w: w}
	now := src.Now()
	match := func(s string) bool { return !name.Valid || name.Value == s }
	if all {
		writeHeader(p, src, now, match)
		p.print("Listening IP addresses:\n")
		for _, a := range src.ListenAddresses() {
			p.printf("  %s\n", formatHost(a))
		}
		p.print("Connections:\n")
		for _, peer := range src.Peers() {
			if match(peer.Name) {
				writePeerCfg(p, peer)
			}
		}
	}

	first := true
	for _, c := range src.Shunts() {
		if !match(c.Name) {
			continue
		}
		if first {
			p.print("Shunted Connections:\n")
			first = false
		}
		local, _ := c.TrafficSelectors(true, nil, nil)
		remote, _ := c.TrafficSelectors(false, nil, nil)
		p.printf("%s:  %s === %s %s\n", name12(c.Name), selectors.List(local), selectors.List(remote),
			modeName(c.Mode))
	}

	first = true
	for _, r := range src.Routed() {
		if !match(r.Name) {
			continue
		}
		if first {
			p.print("Routed Connections:\n")
			first = false
		}
		writeChildHead(p, r.Name, r.UniqueID, r.State, r.Mode, r.Proxy, r.ReqID)
		writeChildTS(p, r.Name, r.UniqueID, r.LocalTS, r.RemoteTS)
	}

	total, halfOpen := src.IKESACount()
	// charon subtracts unsigned counters; keep a racy snapshot from
	// wrapping around.
	up := max(total-halfOpen, 0)
	p.printf("Security Associations (%d up, %d connecting):\n", up, halfOpen)
	found := false
	each := src.EachIKESA
	if n, ok := src.(namedSource); ok && name.Valid {
		each = func(wait bool, fn func(*sa.IKESA)) { n.EachIKESANamed(wait, name.Value, fn) }
	}
	each(wait, func(ike *sa.IKESA) {
		if p.err != nil {
			return
		}
		printed := false
		if match(ike.Name()) {
			writeIKESA(p, ike, all, now)
			found, printed = true, true
		}
		for _, c := range ike.Children() {
			if !match(c.Name()) {
				continue
			}
			if !printed {
				writeIKESA(p, ike, all, now)
				found, printed = true, true
			}
			writeChildSA(p, c, all, now)
		}
	})
	if !found {
		if name.Valid {
			p.print("  no match\n")
		} else {
			p.print("  none\n")
		}
	}
	return p.err
}

// namedSource is a StatusSource that can list only the IKE_SAs that may
// match a name, without looking at the others (sa.Manager.EachNamed).
type namedSource interface {
	EachIKESANamed(wait bool, name string, fn func(*sa.IKESA))
}

// writeHeader writes statusall's daemon block and the pools.
func writeHeader(p *printer, src StatusSource, now time.Time, match func(string) bool) {
	d := src.Daemon()
	swan := "strong"
	if d.WeakSwan {
		swan = "weak"
	}
	p.printf("Status of IKE charon daemon (%sSwan %s", swan, version.StrongSwan)
	if u := d.Uname; u != nil {
		p.printf(", %s %s, %s", u.Sysname, u.Release, u.Machine)
	}
	p.printf("):\n  uptime: %s, since %s\n", formatDelta(now, d.Started), formatTime(d.Started, false))
	if m := d.Memory; m != nil {
		p.printf("  malloc: sbrk %d, mmap %d, used %d, free %d\n", m.Sbrk, m.Mmap, m.Used, m.Free)
	}
	p.printf("  worker threads: %d of %d idle, %s working, job queue: %s, scheduled: %d\n",
		d.Workers.Idle, d.Workers.Threads, joinInts(d.Workers.Working[:]), joinInts(d.Workers.Queued[:]),
		d.Scheduled)
	names := make([]string, 0, 32)
	for _, pl := range src.Plugins() {
		names = append(names, pl.Name)
	}
	p.printf("  loaded plugins: %s\n", strings.Join(names, " "))

	first := true
	for _, pool := range src.Pools() {
		if !match(pool.Name) {
			continue
		}
		if first {
			p.print("Virtual IP pools (size/online/offline):\n")
			first = false
		}
		p.printf("  %s: %d/%d/%d\n", pool.Name, pool.Size, pool.Online, pool.Offline)
	}
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = strconv.Itoa(n)
	}
	return strings.Join(s, "/")
}

// ikeVersionName is ike_version_names; IKEAny is keyexchange=ike.
func ikeVersionName(v config.IKEVersion) string {
	switch v {
	case config.IKEAny:
		return "IKEv1/2"
	case config.IKEv1:
		return "IKEv1"
	case config.IKEv2:
		return "IKEv2"
	}
	return "(" + strconv.Itoa(int(v)) + ")"
}

// modeName is ipsec_mode_names, which has no name for 0.
func modeName(m kernel.Mode) string {
	if m == kernel.ModeNone || m > kernel.ModeDrop {
		return "(" + strconv.Itoa(int(m)) + ")"
	}
	return m.String()
}

// actionName is action_names, a flag set: "none", "trap", "start" and, in
// theory, "trap|start".
func actionName(a config.Action) string {
	switch a {
	case config.ActionNone:
		return "none"
	case config.ActionTrap:
		return "trap"
	case config.ActionStart:
		return "start"
	case config.ActionTrap | config.ActionStart:
		return "trap|start"
	}
	return fmt.Sprintf("(0x%X)", uint8(a))
}

// writePeerCfg writes a connection of statusall's "Connections:" section.
func writePeerCfg(p *printer, peer *config.PeerCfg) {
	var local, remote string
	version := config.IKEv2
	if peer.IKE != nil {
		local, remote, version = peer.IKE.Local, peer.IKE.Remote, peer.IKE.Version
	}
	p.printf("%s:  %s...%s  %s", name12(peer.Name), local, remote, ikeVersionName(version))
	if version == config.IKEv1 && peer.Aggressive {
		p.print(" Aggressive")
	}
	if peer.DPDDelay != 0 {
		p.printf(", dpddelay=%ds", peer.DPDDelay)
	}
	p.print("\n")
	writeAuthCfgs(p, peer.Name, peer.LocalAuth, true)
	writeAuthCfgs(p, peer.Name, peer.RemoteAuth, false)
	for _, c := range peer.Children() {
		localTS, _ := c.TrafficSelectors(true, nil, nil)
		remoteTS, _ := c.TrafficSelectors(false, nil, nil)
		p.printf("%s:   child:  %s === %s %s", name12(c.Name), selectors.List(localTS),
			selectors.List(remoteTS), modeName(c.Mode))
		if peer.DPDDelay != 0 {
			p.printf(", dpdaction=%s", actionName(c.DPDAction))
		}
		p.print("\n")
	}
}
