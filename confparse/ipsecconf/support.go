package ipsecconf

import (
	"fmt"
	"reflect"

	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/confparse"
)

// Refusal is one value of a conn that needs a feature goswan does not do
// yet (the keyword table's support column).
type Refusal struct {
	Key     string // as ipsec.conf writes it: "keyexchange", "leftauth"
	Value   string
	Feature *feature.Feature
	// Refused: charon does not load the conn. Otherwise it loads it
	// without the feature.
	Refused bool
	// Default: the value is the keyword's default, not written (charon
	// cannot tell; checkconf can).
	Default bool
}

// Reason says what is not supported, for the log and checkconf.
func (r Refusal) Reason() string {
	what := r.Key + "=" + r.Value
	if r.Default && r.Refused {
		what += " (the default)"
	}
	return fmt.Sprintf("%s needs %s, which goswan does not do yet", what, r.Feature)
}

// matches says whether the rule applies to a value (set says the keyword
// has one at all).
func (r *supportRule) matches(v string, set bool) *feature.Feature {
	if !set {
		return nil
	}
	var f *feature.Feature
	switch {
	case r.classify != nil:
		f = r.classify(v)
	case r.values == nil:
		if v != "" {
			f = r.feature
		}
	default:
		for _, w := range r.values {
			if v == w {
				f = r.feature
			}
		}
	}
	if f == nil || f.Supported {
		return nil
	}
	return f
}

// refusals applies a row's support rules to one value.
func (sp *kwSpec) refusals(key, v string, set bool) []Refusal {
	var out []Refusal
	for i := range sp.support {
		r := &sp.support[i]
		if f := r.matches(v, set); f != nil {
			out = append(out, Refusal{Key: key, Value: v, Feature: f, Refused: r.mode == refuseConn, Default: v == sp.def})
		}
	}
	return out
}

// sent formats the message field carrying a row's value as ipsec.conf
// writes it.
func (sp *kwSpec) sent(f reflect.Value) (string, bool) {
	switch x := f.Interface().(type) {
	case Str:
		return x.Value, x.Set
	case bool:
		return boolNames[b2i(x)], true
	case uint8:
		return fmt.Sprintf("%06b", x), true
	case int32:
		switch sp.arg {
		case argFlag:
			if Option(x)&sp.bit != 0 {
				return sp.list[0], true
			}
			return sp.list[1], true
		case argBool:
			return boolNames[b2i(x != 0)], true
		}
		return enumName(sp.list, int(x)), true
	}
	panic(fmt.Sprintf("ipsecconf: no format for %s in an add_conn message", f.Type()))
}

// isShunt: pass and drop conns install policies only, no IKE_SA
// negotiates them, so nothing else in them matters.
func isShunt(mode int32) bool { return mode == int32(ModePass) || mode == int32(ModeDrop) }

// Refusals lists what an add_conn message asks for that goswan does not
// do, as charon sees it: from the message alone, left being "me" as
// starter sends it. Authentication defaults to public keys when neither
// side's auth nor authby= is given, as in stroke_config.c.
func (m *AddConnMsg) Refusals() []Refusal {
	if isShunt(m.Mode) {
		return nil
	}
	var out []Refusal
	mv := reflect.ValueOf(m).Elem()
	for i := range specs {
		sp := &specs[i]
		if sp.msg == "" {
			continue
		}
		if sp.tok < kwEndFirst || sp.tok > kwEndLast {
			v, set := sp.sent(mv.FieldByName(sp.msg))
			out = append(out, sp.refusals(sp.names[0], v, set)...)
			continue
		}
		for _, side := range []struct {
			name string
			e    *AddConnEnd
		}{{"left", &m.Me}, {"right", &m.Other}} {
			v, set := sp.sent(reflect.ValueOf(side.e).Elem().FieldByName(sp.msg))
			def := false
			switch sp.tok {
			case kwAuth1:
				v, set, def = m.auth(side.e == &m.Me, false, v, set)
			case kwAuth2:
				v, set, _ = m.auth(side.e == &m.Me, true, v, set)
			}
			for _, r := range sp.refusals(side.name+sp.names[0], v, set) {
				r.Default = def
				out = append(out, r)
			}
		}
	}
	return out
}

// auth is an end's authentication method as charon reads it: the end's
// own, else starter's authby= expansion, else, for the first round,
// charon's default of public keys.
func (m *AddConnMsg) auth(me, second bool, v string, set bool) (string, bool, bool) {
	if set {
		return v, true, false
	}
	exp := m.Authby.OtherAuth
	switch {
	case me && second:
		exp = m.Authby.MeAuth2
	case me:
		exp = m.Authby.MeAuth
	case second:
		exp = m.Authby.OtherAuth2
	}
	if exp.Set {
		return exp.Value, true, false
	}
	if second {
		return "", false, false
	}
	return "pubkey", true, true
}

// Unsupported reports, at the settings concerned, every value of the
// loaded conns, ca sections and config setup that needs a feature goswan
// does not do yet: what charon refuses (whether written or defaulted) and,
// where the file writes them, the values charon goes on without.
func (cfg *Config) Unsupported() confparse.Errors {
	var out confparse.Errors
	report := func(pos confparse.Position, section string, r Refusal) {
		effect := "charon loads it without that"
		if r.Refused {
			effect = "charon does not load the conn"
		}
		out = append(out, &confparse.Error{Pos: pos, Severity: confparse.Unsupported, Section: section,
			Msg: r.Reason() + "; " + effect})
	}
	for _, s := range cfg.Setup.Settings {
		if kw, ok := keywords[s.Key]; ok && kw <= kwSetupLast {
			for _, r := range spec(kw).refusals(s.Key, s.Value, true) {
				r.Refused = false
				report(s.Pos, "config setup", r)
			}
		}
	}
	for _, ca := range cfg.CAs {
		if ca.Auto != AutoIgnore && !feature.Certificates.Supported {
			out = append(out, &confparse.Error{Pos: ca.Pos, Severity: confparse.Unsupported, Section: "ca " + ca.Name,
				Msg: fmt.Sprintf("ca sections need %s, which goswan does not do yet; charon ignores this one", feature.Certificates)})
		}
	}
	for _, c := range cfg.Conns {
		if isShunt(int32(c.Mode)) {
			continue
		}
		label := "conn " + c.Name
		reported := map[*feature.Feature]bool{}
		for _, s := range c.Settings {
			kw, ok := keywords[s.Key]
			if !ok || kw == kwAuthby && (c.Left.Auth.Set || c.Right.Auth.Set) {
				// starter ignores authby= when leftauth or rightauth is set
				continue
			}
			for _, r := range spec(kw).refusals(s.Key, s.Value, true) {
				reported[r.Feature] = true
				report(s.Pos, label, r)
			}
		}
		// What charon refuses without the file saying it: the default
		// authentication.
		m := c.AddConn(&cfg.Setup, 0)
		for _, r := range m.Refusals() {
			if r.Refused && !reported[r.Feature] {
				reported[r.Feature] = true
				report(c.Pos, label, r)
			}
		}
	}
	return out
}
