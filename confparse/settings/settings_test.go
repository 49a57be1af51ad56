package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

func parse(t *testing.T, src string, more files.Map) (*Settings, error) {
	t.Helper()
	fsys := files.Map{}
	for k, v := range more {
		fsys[k] = v
	}
	fsys["/etc/strongswan.conf"] = src
	return Load("/etc/strongswan.conf", &Options{FS: fsys})
}

func mustParse(t *testing.T, src string, more files.Map) *Settings {
	t.Helper()
	s, err := parse(t, src, more)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSyntax(t *testing.T) {
	s := mustParse(t, `
# comment
charon {   # comment after a brace
	a = one two   "  three  "  four#comment
	b = x=y:z,w.v{   # any character but #, } and quotes in a value
	c =
	d = "multi
line"
	e = "esc \"q\" \n \\ \
joined"
	nested { deep { k = v } } # several on a line
	f = last }
charon {
	a = replaced
	g = 1
}
`, nil)
	for _, tc := range []struct{ key, want string }{
		{"charon.a", "replaced"},
		{"charon.b", "x=y:z,w.v{"},
		{"charon.d", "multi\nline"},
		{"charon.e", "esc \"q\" \n \\ joined"},
		{"charon.nested.deep.k", "v"},
		{"charon.f", "last"},
		{"charon.g", "1"},
	} {
		if got, ok := s.Value(tc.key); !ok || got != tc.want {
			t.Errorf("%s = %q (%v), want %q", tc.key, got, ok, tc.want)
		}
	}
	if kv := s.Find("charon.c"); kv == nil || kv.HasValue {
		t.Errorf("charon.c: %+v, want a key without a value", kv)
	}
	var keys []string
	for _, kv := range s.Root.Child("charon").KVs() {
		keys = append(keys, kv.Key)
	}
	if got := strings.Join(keys, " "); got != "a b c d e f g" {
		t.Errorf("key order %q", got)
	}

	s = mustParse(t, "a = one two   \"  three  \"  four#comment\n", nil)
	if v, _ := s.Value("a"); v != "one two   three   four" {
		t.Errorf("joined value %q", v)
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		src       string
		line, col int
		contains  string
	}{
		{"a b = c\n", 1, 3, "unexpected"},
		{"a.b = c\n", 1, 2, "unexpected"},
		{"a {\n b = c\n", 3, 1, "unexpected"},
		{"a = b }\n", 1, 7, "unexpected"},
		{"\"a\" = b\n", 1, 1, "unexpected string"},
		{"a = \"b\n", 1, 5, "unterminated"},
		{"a : b = c\n", 1, 7, "unexpected"},
		{"a, b { }\n", 1, 2, "unexpected"},
	} {
		s, err := parse(t, tc.src, nil)
		if err == nil {
			t.Errorf("%q accepted", tc.src)
			continue
		}
		e := s.Problems.Filter(confparse.Fatal)[0]
		if e.Pos.Line != tc.line || e.Pos.Column != tc.col || !strings.Contains(e.Msg, tc.contains) {
			t.Errorf("%q: %v, want %d:%d %s", tc.src, e, tc.line, tc.col, tc.contains)
		}
		// libstrongswan discards a file that does not parse.
		if len(s.Root.Children()) != 0 || len(s.Root.KVs()) != 0 {
			t.Errorf("%q: settings kept after an error", tc.src)
		}
	}
}

func TestReferences(t *testing.T) {
	s := mustParse(t, `
base {
	x = from-base
	y = from-base
	masked = from-base
	sub { k = base-sub }
	list { one = 1 }
}
other {
	z = from-other
}
derived : base, other {
	y = own
	masked =
	list { two = 2 }
}
chain : derived {
}
loop1 : loop2 {
	a = 1
}
loop2 : loop1 {
}
`, nil)
	// One table of cases; its rows share a shape with other tables of string
	// pairs, not logic.
	for _, tc := range []struct {
		key, want string
		ok        bool
	}{
		{"derived.x", "from-base", true},
		{"derived.y", "own", true},
		{"derived.z", "from-other", true},
		{"derived.masked", "", false},
		{"derived.sub.k", "base-sub", true},
		{"chain.x", "from-base", true},
		{"chain.z", "from-other", true},
		{"loop2.a", "1", true},
		{"loop2.nothing", "", false},
	} {
		got, ok := s.Value(tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s = %q %v, want %q %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	if got := strings.Join(s.Sections("derived"), " "); got != "list sub" {
		t.Errorf("sections of derived: %q", got)
	}
	var kvs []string
	for _, kv := range s.KeyValues("derived.list") {
		kvs = append(kvs, kv.Key+"="+kv.Value)
	}
	if got := strings.Join(kvs, " "); got != "two=2 one=1" {
		t.Errorf("derived.list: %q", got)
	}
}

func TestIncludes(t *testing.T) {
	s := mustParse(t, "charon {\n\tplugins {\n\t\tinclude conf.d/*.conf\n\t}\n\tafter = yes\n}\ninclude top.conf # comment\n",
		files.Map{
			"/etc/conf.d/b.conf": "bee { load = 2 }\n",
			"/etc/conf.d/a.conf": "aye {\n load = yes\n}\n",
			"/etc/top.conf":      "charon { top = 1 }\n",
		})
	if got := strings.Join(s.Sections("charon.plugins"), " "); got != "aye bee" {
		t.Errorf("plugins %q", got)
	}
	if !s.Bool("charon.after", false) || s.Int("charon.top", 0) != 1 {
		t.Errorf("values around includes lost")
	}
	if len(s.Files) != 4 {
		t.Errorf("files %q", s.Files)
	}
}

func TestTypedLookups(t *testing.T) {
	s := mustParse(t, `
b1 = Yes
b2 = disabled
b3 = maybe
i1 = 0x1f
i2 = -1
i3 = 12abc
i4 = " 7"
d1 = 1.5
d2 = 2e1
d3 = x
t1 = 5 minutes
t2 = 2h
t3 = 10
t4 = 3w
`, nil)
	if !s.Bool("b1", false) || s.Bool("b2", true) || !s.Bool("b3", true) || s.Bool("missing", false) {
		t.Error("bool")
	}
	if s.Int("i1", 0) != 31 || s.Int("i2", 0) != -1 || s.Int("i3", 9) != 9 || s.Int("i4", 0) != 7 {
		t.Errorf("int %d %d %d %d", s.Int("i1", 0), s.Int("i2", 0), s.Int("i3", 9), s.Int("i4", 0))
	}
	if s.Double("d1", 0) != 1.5 || s.Double("d2", 0) != 20 || s.Double("d3", 4) != 4 {
		t.Error("double")
	}
	if s.Time("t1", 0) != 300 || s.Time("t2", 0) != 7200 || s.Time("t3", 0) != 10 || s.Time("t4", 9) != 9 {
		t.Errorf("time %d %d %d %d", s.Time("t1", 0), s.Time("t2", 0), s.Time("t3", 0), s.Time("t4", 9))
	}
}

func TestStrongswanConfEnv(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "custom.conf")
	if err := os.WriteFile(p, []byte("charon { delete_rekeyed_delay = 9 }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STRONGSWAN_CONF", p)
	if Path() != p {
		t.Fatalf("Path() = %q", Path())
	}
	s, err := LoadDefault(nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Charon("charon").DeleteRekeyedDelay; got != 9 {
		t.Errorf("delete_rekeyed_delay %d", got)
	}
	t.Setenv("STRONGSWAN_CONF", "")
	if s, err := LoadDefault(nil); err != nil || len(s.Root.Children()) != 0 {
		t.Errorf("an empty STRONGSWAN_CONF means no file: %v", err)
	}
	if s, err := Load(filepath.Join(dir, "missing.conf"), nil); err == nil || s.Charon("charon").DeleteRekeyedDelay != 5 {
		t.Errorf("a missing file: %v", err)
	}
}

// TestSeedStrongswanConf: moon's strongswan.conf of seeds/000 shortens
// delete_rekeyed_delay to 2 s and raises the syslog knl level.
func TestSeedStrongswanConf(t *testing.T) {
	s, err := Load("../testdata/seeds/000-net2net-rekey/moon/strongswan.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Charon("charon")
	if c.DeleteRekeyedDelay != 2 || c.RetransmitTries != 5 || c.RetransmitTimeout != 4.0 || c.RetransmitBase != 1.8 {
		t.Errorf("%+v", c)
	}
	var names []string
	for _, p := range s.Plugins("charon", DebianPlugins) {
		names = append(names, p.Name)
	}
	want := "random nonce aes sha1 sha2 pem pkcs1 curve25519 gmp x509 curl revocation hmac stroke kernel-netlink socket-default updown"
	if strings.Join(names, " ") != want {
		t.Errorf("plugins %q", names)
	}
	sys := s.SyslogLoggers("charon")
	if len(sys) != 1 || sys[0].Facility != "daemon" || sys[0].Levels[bus.KNL] != 2 || sys[0].Levels[bus.IKE] != 1 {
		t.Errorf("syslog %+v", sys)
	}
}

// TestReferenceStrongswanConf reads the live capture's strongswan.conf.
func TestReferenceStrongswanConf(t *testing.T) {
	s, err := Load("../testdata/reference/live/strongswan.conf", nil)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Charon("charon")
	if c.RetransmitTries != 2 || c.RetransmitTimeout != 1.0 || c.RetransmitBase != 1 || s.Bool("charon.multiple_authentication", true) {
		t.Errorf("%+v", c)
	}
	fl := s.FileLoggers("charon")
	if len(fl) != 1 {
		t.Fatalf("file loggers %+v", fl)
	}
	l := fl[0]
	if l.Section != "charonlog" || l.Path != "/run/charon.log" || l.TimeFormat != "%b %e %T" || l.Append || !l.FlushLine ||
		l.Default != 1 || l.Levels[bus.KNL] != 2 || l.Levels[bus.CFG] != 1 {
		t.Errorf("%+v", l)
	}
	var names []string
	for _, p := range s.Plugins("charon", DebianPlugins) {
		names = append(names, p.Name)
	}
	if !strings.Contains(strings.Join(names, " "), "stroke kernel-libipsec kernel-netlink socket-default updown") {
		t.Errorf("plugins %q", names)
	}
}

func TestPluginOrder(t *testing.T) {
	s := mustParse(t, `
charon {
	load_modular = yes
	plugins {
		zeta { load = yes }
		aes { load = yes }
		random { load = 10 }
		sha1 { load = no }
		nonce { }
		x509 { load = yes }
		crit! { load = yes }
	}
}`, nil)
	var got []string
	for _, p := range s.Plugins("charon", "nonce x509 aes sha1 random") {
		n := p.Name
		if p.Critical {
			n += "!"
		}
		got = append(got, n)
	}
	// random first (priority 10). Then plugin_priority_cmp's default
	// order: a plugin missing from the list ranks with the first one of
	// the list (the same default priority), ahead of all others, by name.
	if strings.Join(got, " ") != "random crit! zeta x509 aes" {
		t.Errorf("order %q", got)
	}
	s = mustParse(t, "charon { load = b 'c d' a\n plugins { a { load = no } } }", nil)
	got = nil
	for _, p := range s.Plugins("charon", DebianPlugins) {
		got = append(got, p.Name)
	}
	if strings.Join(got, "|") != "b|c d" {
		t.Errorf("explicit list %q", got)
	}
}

// TestCRLF: unlike ipsec.conf, strongswan.conf tolerates DOS line endings;
// carriage returns are dropped even inside quoted strings.
func TestCRLF(t *testing.T) {
	s := mustParse(t, "charon {\r\n\tload_modular = yes\r\n\tx = \"a\r\nb\"\r\n}\r\n", nil)
	if !s.Bool("charon.load_modular", false) {
		t.Error("load_modular")
	}
	if v, _ := s.Value("charon.x"); v != "a\nb" {
		t.Errorf("x = %q", v)
	}
}
