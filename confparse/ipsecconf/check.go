package ipsecconf

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/token"
	"github.com/goswan/goswan/internal/clib"
)

// The checks here report what charon does with a loaded conn other than
// what it says: proposals it refuses (and the conn with them), subnet and
// source IP entries it skips, prefixes it shortens, addresses that are no
// addresses, lifetimes that never rekey. starter passes all of these on
// unchecked; charon reads them when the conn is added.

// ProposalValidator checks a proposal list as written in ike=, esp= or ah=
// (proto is "ike", "esp" or "ah"; the value keeps its trailing '!'). It
// returns charon's reason for refusing the value, or an *UnsupportedError
// for a value charon takes and goswan cannot run. config.ParseProposals is
// wired in by the caller: confparse does not depend on the protocol core.
type ProposalValidator func(proto, value string) error

// UnsupportedError is a value strongSwan accepts and goswan does not do
// yet.
type UnsupportedError struct{ Msg string }

func (e *UnsupportedError) Error() string { return e.Msg }

// settingPos is where a conn's key (or its alias, e.g. leftsubnetwithin)
// was written, or the conn's own position.
func (c *Conn) settingPos(keys ...string) confparse.Position {
	for _, s := range c.Settings {
		for _, k := range keys {
			if s.Key == k {
				return s.Pos
			}
		}
	}
	return c.Pos
}

// CheckProposals validates the proposal strings of every conn, returning
// one error per bad value, at the setting that supplied it, for the conns
// charon would reject.
func (cfg *Config) CheckProposals(validate ProposalValidator) confparse.Errors {
	if validate == nil {
		return nil
	}
	var out confparse.Errors
	for _, c := range cfg.Conns {
		for _, p := range []struct {
			proto string
			val   Str
		}{{"ike", c.IKE}, {"esp", c.ESP}, {"ah", c.AH}} {
			if !p.val.Set {
				continue
			}
			err := validate(p.proto, p.val.Value)
			if err == nil {
				continue
			}
			e := &confparse.Error{Pos: c.settingPos(p.proto), Severity: confparse.Dropped, Section: "conn " + c.Name,
				Msg: "charon rejects the conn: invalid " + p.proto + " proposal '" + p.val.Value + "': " + err.Error()}
			if u, ok := err.(*UnsupportedError); ok {
				e.Severity = confparse.Unsupported
				e.Msg = p.proto + "=" + p.val.Value + ": " + u.Msg + "; charon does not load the conn"
			}
			out = append(out, e)
		}
	}
	return out
}

// CheckValues reports, at the settings concerned, what charon will not
// take as written when it loads the conns: skipped subnet and source IP
// entries, shortened prefixes and invalid addresses (errors), prefixes
// with host bits (warnings, charon masks them), and margins that leave
// nothing to rekey (errors).
func (cfg *Config) CheckValues() confparse.Errors {
	var out confparse.Errors
	for _, c := range cfg.Conns {
		add := func(pos confparse.Position, sev confparse.Severity, format string, args ...any) {
			out = append(out, &confparse.Error{Pos: pos, Severity: sev, Section: "conn " + c.Name, Msg: fmt.Sprintf(format, args...)})
		}
		for _, side := range []struct {
			name string
			e    *End
		}{{"left", &c.Left}, {"right", &c.Right}} {
			subnetPos := c.settingPos(side.name+"subnet", side.name+"subnetwithin")
			_, skipped := cfg.TrafficSelectors(side.e)
			for _, msg := range skipped {
				add(subnetPos, confparse.Dropped, "charon: %s", msg)
			}
			if side.e.Subnet.Set {
				for _, tok := range token.Split(side.e.Subnet.Value, ",", " ") {
					if sev, msg := prefixProblem(tok); msg != "" {
						add(subnetPos, sev, "%s", msg)
					}
				}
			}
			for _, s := range side.e.SourceIPs(side.name == "right") {
				if s.Invalid != "" {
					add(c.settingPos(side.name+"sourceip"), confparse.Dropped,
						"charon ignores the invalid entry '%s' (expected %%config, an address, or for the remote side a pool: CIDR, FROM-TO or %%name)", s.Invalid)
				}
			}
			for _, a := range side.e.IKEAddresses() {
				if a.Range == nil && looksNumeric(a.Host) {
					if _, ok := hostFromString(a.Host, 0); !ok {
						add(c.settingPos(side.name), confparse.Dropped,
							"'%s' is not an IP address; charon tries to resolve it as a host name", a.Host)
					}
				}
			}
		}
		cfg.checkLifetimes(c, add)
	}
	return out
}

// prefixProblem checks the prefix length of one subnet entry as
// host_create_from_subnet reads it: longer than the address (or wrapping
// past 255) charon shortens it; host bits it masks off.
func prefixProblem(tok string) (confparse.Severity, string) {
	subnet, _, _ := strings.Cut(tok, "[")
	addr, bitsStr, hasBits := strings.Cut(subnet, "/")
	if !hasBits {
		return 0, ""
	}
	r, bits, ok := subnetFromString(subnet)
	if !ok {
		return 0, ""
	}
	n, _ := clib.Strtol(bitsStr, 10)
	if n < 0 || n > int64(r.From.BitLen()) {
		return confparse.Dropped, fmt.Sprintf("%s: the prefix length %s does not fit a %d-bit address; charon uses %s",
			subnet, bitsStr, r.From.BitLen(), netip.PrefixFrom(r.From, bits))
	}
	if a, ok := hostFromString(addr, 0); ok && a != r.From {
		return confparse.Warning, fmt.Sprintf("%s has host bits set; charon uses %s", subnet, netip.PrefixFrom(r.From, bits))
	}
	return 0, ""
}

// looksNumeric: an IPv6 literal (host names have no colons) or digits
// and dots only, so meant as an address rather than a host name.
func looksNumeric(s string) bool {
	if strings.Contains(s, ":") {
		return true
	}
	return strings.Contains(s, ".") && strings.Trim(s, "0123456789.") == ""
}

// checkLifetimes reports margins that are not below their lifetime:
// charon subtracts them unsigned, and the SA is never rekeyed, only
// expires.
func (cfg *Config) checkLifetimes(c *Conn, add func(confparse.Position, confparse.Severity, string, ...any)) {
	if c.Options&OptDontRekey != 0 {
		return
	}
	type limit struct {
		life, margin uint64
		lifeKeys     []string
		marginKeys   []string
		what         string
	}
	for _, l := range []limit{
		{uint64(c.Lifetime), uint64(c.Margin), []string{"lifetime", "keylife"}, []string{"margintime", "rekeymargin"}, "CHILD_SA"},
		{uint64(c.IKELifetime), uint64(c.Margin), []string{"ikelifetime"}, []string{"margintime", "rekeymargin"}, "IKE_SA"},
		{c.LifeBytes, c.MarginBytes, []string{"lifebytes"}, []string{"marginbytes"}, "CHILD_SA"},
		{c.LifePackets, c.MarginPackets, []string{"lifepackets"}, []string{"marginpackets"}, "CHILD_SA"},
	} {
		if l.life != 0 && l.margin >= l.life {
			add(c.settingPos(append(l.marginKeys, l.lifeKeys...)...), confparse.Dropped,
				"%s is not below %s: charon never rekeys the %s, it only expires",
				c.written(l.margin, l.marginKeys...), c.written(l.life, l.lifeKeys...), l.what)
		}
	}
}

// written is key=value as the conn's settings have it (the first of keys
// that is set), or the first key with the number it defaults to.
func (c *Conn) written(n uint64, keys ...string) string {
	for _, s := range c.Settings {
		for _, k := range keys {
			if s.Key == k {
				return k + "=" + s.Value
			}
		}
	}
	return fmt.Sprintf("%s=%d", keys[0], n)
}
