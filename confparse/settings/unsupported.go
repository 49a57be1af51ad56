package settings

import (
	"fmt"

	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/confparse"
)

// unsupported lists the options of charon's namespace the daemon reads
// and goswan does not honour yet, with the values that would need the
// feature. The defaults need nothing: follow_redirects=yes, the default,
// is honoured by not announcing redirection support, so only a file that
// asks for it is told.
var unsupported = []struct {
	key     string
	feature *feature.Feature
	needs   func(v string) bool
}{
	{"make_before_break", feature.MakeBeforeBreak, func(v string) bool { return ParseBool(v, false) }},
	{"follow_redirects", feature.Redirect, func(v string) bool { return ParseBool(v, true) }},
	{"plugins.eap-radius.accounting", feature.RADIUSExtras, func(v string) bool { return ParseBool(v, false) }},
	{"plugins.eap-radius.dae.enable", feature.RADIUSExtras, func(v string) bool { return ParseBool(v, false) }},
	{"plugins.eap-radius.forward.ike_to_radius", feature.RADIUSExtras, func(v string) bool { return v != "" }},
	{"plugins.eap-radius.forward.radius_to_ike", feature.RADIUSExtras, func(v string) bool { return v != "" }},
	{"plugins.eap-radius.filter_id", feature.RADIUSExtras, func(v string) bool { return ParseBool(v, false) }},
	{"plugins.eap-radius.close_all_on_timeout", feature.RADIUSExtras, func(v string) bool { return ParseBool(v, false) }},
	{"tls.suites", feature.TLSAlgorithms, func(v string) bool { return v != "" }},
	{"tls.cipher", feature.TLSAlgorithms, func(v string) bool { return v != "" }},
	{"tls.mac", feature.TLSAlgorithms, func(v string) bool { return v != "" }},
	{"tls.key_exchange", feature.TLSAlgorithms, func(v string) bool { return v != "" }},
	{"tls.signature", feature.TLSAlgorithms, func(v string) bool { return v != "" }},
	{"tls.ke_group", feature.TLSAlgorithms, func(v string) bool { return v != "" }},
	{"tls.send_certreq_authorities", feature.TLSAlgorithms, func(v string) bool { return !ParseBool(v, true) }},
}

// Refusal is an option set to something goswan does not do yet.
type Refusal struct {
	Key, Value string // the full key ("charon.make_before_break")
	Pos        confparse.Position
	Feature    *feature.Feature
}

// Reason says what is not supported, for the log and checkconf.
func (r Refusal) Reason() string {
	return fmt.Sprintf("%s=%s needs %s, which goswan does not do yet", r.Key, r.Value, r.Feature)
}

// Unsupported lists the options of namespace ns ("charon") the file sets
// to a value goswan does not honour; the daemon goes on without them.
func (s *Settings) Unsupported(ns string) []Refusal {
	var out []Refusal
	for _, u := range unsupported {
		key := ns + "." + u.key
		kv := s.Find(key)
		if kv == nil || !kv.HasValue || u.feature.Supported || !u.needs(kv.Value) {
			continue
		}
		out = append(out, Refusal{Key: key, Value: kv.Value, Pos: kv.Pos, Feature: u.feature})
	}
	return out
}
