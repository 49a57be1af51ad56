package secrets

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
	"github.com/goswan/goswan/credentials"
)

func mustLoad(t *testing.T, path string) *Secrets {
	t.Helper()
	s, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestFivePSKForms(t *testing.T) {
	s := mustLoad(t, "../testdata/secrets/five-psk-forms.secrets")
	if len(s.Entries) != 5 {
		t.Fatalf("%d entries", len(s.Entries))
	}
	want := []struct {
		owners string // as charon prints them (%Y)
		key    string
	}{
		{"gw-a.example.net gw-b.example.net", "secret for both gateways"},
		{"gw-a.example.net %any", "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67"},
		{"gw-b.example.net", "only the peer's name matches"},
		{"%any", `Nobody "named" at all`},
		{"192.0.2.1", "an address owns this one"},
	}
	for i, w := range want {
		e := s.Entries[i]
		var owners []string
		for _, o := range e.Owners {
			owners = append(owners, o.String())
		}
		if strings.Join(owners, " ") != w.owners || string(e.Key) != w.key || e.Kind != PSK || e.Type() != credentials.SharedIKE {
			t.Errorf("entry %d: owners %q key %q kind %v", i, owners, e.Key, e.Kind)
		}
	}
	if e := s.Entries[0]; e.Owners[0].Type() != credentials.IDFQDN || e.Owners[1].Type() != credentials.IDFQDN {
		t.Errorf("@names are FQDNs: %v %v", e.Owners[0].Type(), e.Owners[1].Type())
	}
	if e := s.Entries[4]; e.Owners[0].Type() != credentials.IDIPv4Addr {
		t.Errorf("an address owner is ID_IPV4_ADDR: %v", e.Owners[0].Type())
	}
}

// TestPSKMatching: the secret whose owners best match the peer wins, then
// the one that best matches us; %any owners match anything, but less well.
func TestPSKMatching(t *testing.T) {
	s := mustLoad(t, "../testdata/secrets/five-psk-forms.secrets")
	id := credentials.ParseIdentity
	const (
		perfect = credentials.MatchPerfect
		anyID   = credentials.MatchAny
		none    = credentials.MatchNone
	)
	for _, tc := range []struct {
		me, other string
		want      string
		matchMe   credentials.MatchLevel
		matchPeer credentials.MatchLevel
	}{
		// Both names on one line: perfect for both.
		{"@gw-a.example.net", "@gw-b.example.net", "secret for both gateways", perfect, perfect},
		// The other way round the same line matches, too.
		{"@gw-b.example.net", "@gw-a.example.net", "secret for both gateways", perfect, perfect},
		// An unknown peer of gw-a: the %any owner of line 2 matches it
		// (better than line 4's %any, which matches us only with %any).
		{"@gw-a.example.net", "@stranger.example.net", "\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67", perfect, anyID},
		// A stranger talking to gw-b: line 3 names gw-b perfectly as our
		// id, but the peer match decides first and only %any owners match
		// the peer. Lines 4 (no owner) and 2 (gw-a and %any) tie, for the
		// peer and for us; line 4 comes first (later lines are tried
		// first) and a later candidate must be strictly better.
		{"@gw-b.example.net", "@stranger.example.net", `Nobody "named" at all`, anyID, anyID},
		// A peer at 192.0.2.1.
		{"@gw-a.example.net", "192.0.2.1", "an address owns this one", none, perfect},
		// Nobody we know: the owner-less line.
		{"@x", "@y", `Nobody "named" at all`, anyID, anyID},
	} {
		c, ok := s.Lookup(credentials.SharedIKE, id(tc.me), id(tc.other))
		if !ok || string(c.Key) != tc.want || c.MatchMe != tc.matchMe || c.MatchOther != tc.matchPeer {
			t.Errorf("%s - %s: %v %q (%d, %d), want %q (%d, %d)", tc.me, tc.other, ok, c.Key, c.MatchMe, c.MatchOther, tc.want, tc.matchMe, tc.matchPeer)
		}
	}
	// gw-b's peer stranger: the candidates in the order charon tries them
	// when verifying: later lines first, lines matching neither id left
	// out (line 5).
	var order []string
	for _, c := range s.Candidates(credentials.SharedIKE, id("@gw-b.example.net"), id("@stranger.example.net")) {
		order = append(order, string(c.Key[:4]))
	}
	if got, want := strings.Join(order, "|"), "Nobo|only|\x01\x23\x45\x67|secr"; got != want {
		t.Errorf("candidate order %q, want %q", got, want)
	}
	if _, ok := s.Lookup(credentials.SharedEAP, id("@gw-a.example.net"), id("@gw-b.example.net")); ok {
		t.Error("no EAP secret should be found")
	}
}

func TestAllKinds(t *testing.T) {
	s, err := Load("../testdata/secrets/all-kinds.secrets", nil)
	if err == nil {
		t.Fatal("the malformed line in conf.d/b.secrets must be reported")
	}
	bad := s.Problems.Filter(confparse.Dropped)
	if len(bad) != 1 || bad[0].Pos.Line != 2 || !strings.HasSuffix(bad[0].Pos.File, "conf.d/b.secrets") ||
		!strings.Contains(bad[0].Msg, "missing ' : ' separator") {
		t.Fatalf("problems %v", s.Problems)
	}
	type want struct {
		kind  Kind
		file  string
		key   string
		pass  []string
		prmpt bool
		sc    string
	}
	wants := []want{
		{kind: RSA, file: "/etc/ipsec.d/private/gwKey.pem"},
		{kind: RSA, file: "/etc/keys/with space.pem", pass: []string{"pass phrase"}},
		{kind: ECDSA, file: "/etc/ipsec.d/private/ecKey.pem", prmpt: true},
		{kind: BLISS, file: "/etc/ipsec.d/private/blissKey.der", pass: []string{"pass"}},
		{kind: PKCS8, file: "/etc/ipsec.d/private/any.p8", pass: []string{"single quoted"}},
		{kind: P12, file: "/etc/ipsec.d/private/bundle.p12", pass: []string{"enc-pass", "mac-pass"}},
		{kind: PIN, sc: "%smartcard1@opensc:45", key: "1234"},
		{kind: PIN, sc: "%smartcard:0a0b", prmpt: true},
		{kind: EAP, key: "carol's password"},
		{kind: XAUTH, key: "dave"},
		{kind: NTLM, key: "secret#notacomment"},
		{kind: PSK, key: "included"},
		{kind: PSK, key: "b"},
		{kind: PSK, key: "last-line-wins"},
	}
	if len(s.Entries) != len(wants) {
		t.Fatalf("%d entries, want %d", len(s.Entries), len(wants))
	}
	for i, w := range wants {
		e := s.Entries[i]
		var pass []string
		for _, p := range e.Passphrases {
			pass = append(pass, string(p))
		}
		if e.Kind != w.kind || e.File != w.file || string(e.Key) != w.key || strings.Join(pass, "|") != strings.Join(w.pass, "|") ||
			e.Prompt != w.prmpt || e.Smartcard != w.sc {
			t.Errorf("entry %d: %+v", i, e)
		}
	}
	ntlm := s.Entries[10]
	if len(ntlm.Owners) != 2 || !ntlm.Owners[0].Equals(credentials.ParseIdentity("eve with space")) ||
		!ntlm.Owners[1].Equals(credentials.ParseIdentity("tab\tid")) {
		t.Errorf("NTLM owners %v", ntlm.Owners)
	}
	if s.Entries[9].Type() != credentials.SharedEAP || s.Entries[10].Type() != credentials.SharedNTHash {
		t.Error("XAUTH secrets are EAP secrets, NTLM ones NT hashes")
	}
	if r := s.Entries[8].Redacted(); strings.Contains(r, "password") || !strings.Contains(r, "<16 bytes>") {
		t.Errorf("redacted %q", r)
	}
	if len(s.Files) != 3 {
		t.Errorf("files %q", s.Files)
	}
}

func TestLineErrors(t *testing.T) {
	for _, tc := range []struct {
		line     string
		col      int
		contains string
	}{
		{"no separator here", 1, "missing ' : ' separator"},
		{": PSK", 2, "missing token"},
		{":  #comment", 2, "missing token"},
		{": FOO bar", 3, "token must be either"},
		{": PSK #x", 2, "missing secret"},
		{": PSK \"open", 7, "missing second delimiter"},
		{": RSA \"\"", 7, "empty filename"},
		{": PIN nocard 1", 7, "smartcard specifier is not supported"},
		{": PIN %smartcard:ab", 7, "expected PIN"},
		{"a #b : PSK x", 3, "cannot start with '#'"},
		{"'open : PSK x", 1, "missing second delimiter"},
	} {
		s, err := Parse("/etc/ipsec.secrets", []byte("  "+tc.line+"\n: PSK never-read\n"), &Options{FS: files.Map{}})
		if err == nil || len(s.Entries) != 0 {
			t.Errorf("%q: accepted (%v)", tc.line, s.Entries)
			continue
		}
		e := s.Problems[0]
		if e.Pos.Line != 1 || e.Pos.Column != tc.col+2 || !strings.Contains(e.Msg, tc.contains) {
			t.Errorf("%q: %v, want column %d ...%s...", tc.line, e, tc.col+2, tc.contains)
		}
	}
}

func TestIncludes(t *testing.T) {
	fsys := files.Map{
		"/etc/ipsec.secrets":       "include ipsec.d/*.secrets trailing\ninclude /etc/loop.secrets\n",
		"/etc/ipsec.d/x.secrets":   ": PSK x\n",
		"/etc/loop.secrets":        ": PSK loop\ninclude loop.secrets\n",
		"/etc/deep/1.secrets":      "include 2.secrets\n",
		"/etc/deep/2.secrets":      "include 1.secrets\n",
		"/etc/nomatch.secrets":     "include missing/*.secrets\n",
		"/etc/include-tab.secrets": "include\tx\n",
	}
	s, err := Load("/etc/ipsec.secrets", &Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Entries) != 2 || string(s.Entries[0].Key) != "x" || string(s.Entries[1].Key) != "loop" {
		t.Errorf("entries %v", s.Entries)
	}
	if len(s.Problems) != 1 || !strings.Contains(s.Problems[0].Msg, "include loop") {
		t.Errorf("problems %v", s.Problems)
	}
	if s, _ := Load("/etc/nomatch.secrets", &Options{FS: fsys}); len(s.Problems) != 1 || s.Problems[0].Severity != confparse.Warning {
		t.Errorf("a pattern matching nothing is a warning: %v", s.Problems)
	}
	// "include" must be followed by a space, not a tab: then it is an
	// ordinary line, without a separator.
	if _, err := Load("/etc/include-tab.secrets", &Options{FS: fsys}); err == nil {
		t.Error("include<TAB> accepted")
	}
	if _, err := Load("/etc/none", &Options{FS: fsys}); err == nil {
		t.Error("a missing file must be reported")
	}
}

func TestDuplicateLinesCollapse(t *testing.T) {
	s, err := Parse("/x", []byte("a : PSK one\nb : PSK two\na : PSK one\n"), &Options{FS: files.Map{}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, c := range s.Candidates(credentials.SharedAny, nil, nil) {
		keys = append(keys, string(c.Key))
	}
	if strings.Join(keys, " ") != "one two" {
		t.Errorf("credential set order %q", keys)
	}
}

// TestReferenceSecrets reads the secrets of the live charon capture: one
// base64 PSK for the two gateways.
func TestReferenceSecrets(t *testing.T) {
	for _, host := range []string{"moon", "sun"} {
		s := mustLoad(t, "../testdata/reference/live/"+host+"/ipsec.secrets")
		c, ok := s.Lookup(credentials.SharedIKE, credentials.ParseIdentity("@moon.strongswan.org"), credentials.ParseIdentity("@sun.strongswan.org"))
		if !ok || len(c.Key) != 24 || !bytes.HasPrefix(c.Key, []byte{0xbf, 0xe3}) {
			t.Errorf("%s: %v %x", host, ok, c.Key)
		}
	}
}

// TestOwners: the identities before the separator, split as the stroke
// plugin's extract_value splits them, each parsed as charon parses ids.
func TestOwners(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string // as charon prints them
		err  string
	}{
		{"", []string{"%any"}, ""},
		{"   \t ", []string{"%any"}, ""},
		{"@moon.strongswan.org @sun.strongswan.org", []string{"moon.strongswan.org", "sun.strongswan.org"}, ""},
		{"@moon\t%any", []string{"moon", "%any"}, ""},
		{"  @a   @b  ", []string{"a", "b"}, ""},
		{`"C=CH, O=strongSwan, CN=moon" @sun`, []string{"C=CH, O=strongSwan, CN=moon", "sun"}, ""},
		{`'CN=a b'"CN=c"`, []string{"CN=a b", "CN=c"}, ""},
		{`"" @x`, []string{"x"}, ""},
		{"192.168.0.1 %any6 10.0.0.0/8", []string{"192.168.0.1", "%any", "10.0.0.0/8"}, ""},
		{"@#0102 keyid:#0a0b", []string{"01:02", "0a:0b"}, ""},
		{"a#b", []string{"a#b"}, ""},
		{`"C=CH`, nil, "missing second delimiter"},
		// charon loops forever on an owner starting with '#'
		{"@a #comment", nil, "cannot start with '#'"},
	} {
		s, err := Parse("/x", []byte(tc.in+" : PSK x\n"), &Options{FS: files.Map{}})
		if tc.err != "" {
			if err == nil || len(s.Entries) != 0 || !strings.Contains(s.Problems[0].Msg, tc.err) {
				t.Errorf("%q: %v, want an error with %q", tc.in, s.Problems, tc.err)
			}
			continue
		}
		if err != nil || len(s.Entries) != 1 {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		var got []string
		for _, o := range s.Entries[0].Owners {
			got = append(got, o.String())
		}
		if strings.Join(got, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%q: owners %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestBase64(t *testing.T) {
	for in, want := range map[string]string{
		"v+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL": "bfe364c58f4b2d9bf08f8a820b6a3f806ad60c5d9ddb58cb",
		"YQ==":                             "61",
		"YWI=":                             "6162",
		"YWJj-_":                           "616263", // the partial group is dropped
		"-_-_":                             "fbffbf",
		"":                                 "",
		"abc":                              "",
		"YW!j":                             "617fe3", // '!' decodes as 0xff, as in charon
		"YWJjZA==":                         "61626364",
	} {
		if got := hex.EncodeToString(fromBase64(in)); got != want {
			t.Errorf("fromBase64(%q) = %s, want %s", in, got, want)
		}
	}
}

// TestSharedKeys hands the shared secrets to the credential store, which
// then picks what Lookup picks.
func TestSharedKeys(t *testing.T) {
	s, _ := Load("../testdata/secrets/all-kinds.secrets", nil) // one bad line, tested above
	keys := s.SharedKeys()
	var got []string
	for _, k := range keys {
		got = append(got, k.Type.String()+" "+k.OwnersText()+" "+string(k.Secret))
	}
	want := []string{"EAP carol carol's password", "EAP dave@example.net dave",
		`NTLM "eve with space" 'tab	id' secret#notacomment`, "IKE @from-include included", "IKE @also-included b", "IKE %any last-line-wins"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("shared keys\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	keys[0].Wipe()
	if string(s.Entries[8].Key) != "carol's password" {
		t.Error("wiping a handed-out key touched the entry")
	}
	if s.Entries[0].SharedKey() != nil {
		t.Error("an RSA line is no shared key")
	}

	s = mustLoad(t, "../testdata/secrets/five-psk-forms.secrets")
	store := credentials.NewStore()
	store.Replace(s.SharedKeys())
	for _, ids := range [][2]string{{"@gw-a.example.net", "@gw-b.example.net"}, {"@gw-b.example.net", "@stranger"},
		{"@gw-a.example.net", "192.0.2.1"}, {"@x", "@y"}} {
		me, other := credentials.ParseIdentity(ids[0]), credentials.ParseIdentity(ids[1])
		c, _ := s.Lookup(credentials.SharedIKE, me, other)
		k, _ := store.Shared(credentials.SharedIKE, me, other)
		if k == nil || string(k.Secret) != string(c.Key) {
			t.Errorf("%v: store picked %v, Lookup %q", ids, k, c.Key)
		}
	}
}

func TestRedacted(t *testing.T) {
	s, err := Parse("/x", []byte("  \"C=CH, CN=a b\"  @b  : PSK x\n: RSA k.pem\n"), &Options{FS: files.Map{}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{`"C=CH, CN=a b"  @b : PSK <1 bytes>`, `%any : RSA "/etc/ipsec.d/private/k.pem"`} {
		if got := s.Entries[i].Redacted(); got != want {
			t.Errorf("Redacted() = %q, want %q", got, want)
		}
	}
}

// The selector text reaches the store as written, for charon's load line.
func TestSharedKeySelectorText(t *testing.T) {
	s, err := Parse("/x", []byte("@a\t @b  : PSK x\n: EAP y\n"), &Options{FS: files.Map{}})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"loaded IKE secret for @a\t @b ", "loaded EAP secret for %any"} {
		if got := "loaded " + s.Entries[i].SharedKey().String(); got != want {
			t.Errorf("%q, want %q", got, want)
		}
	}
}
