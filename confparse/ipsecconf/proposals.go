package ipsecconf

import (
	"github.com/goswan/goswan/confparse"
)

// ProposalValidator checks a proposal list as written in ike=, esp= or ah=
// (proto is "ike", "esp" or "ah"; the value keeps its trailing '!'). The
// crypto package's config.ParseProposals is meant to be wired in here:
// starter passes these strings on unchecked, and charon rejects a conn whose
// proposals it cannot parse.
type ProposalValidator func(proto, value string) error

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
			if err := validate(p.proto, p.val.Value); err != nil {
				pos := c.Pos
				for _, s := range c.Settings {
					if s.Key == p.proto {
						pos = s.Pos
					}
				}
				out = append(out, &confparse.Error{Pos: pos, Severity: confparse.Dropped, Section: "conn " + c.Name,
					Msg: "charon rejects the conn: invalid " + p.proto + " proposal '" + p.val.Value + "': " + err.Error()})
			}
		}
	}
	return out
}
