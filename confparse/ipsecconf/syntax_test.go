package ipsecconf

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

func parse(t *testing.T, src string) (*Config, error) {
	t.Helper()
	return Parse("/etc/ipsec.conf", []byte(src), &Options{FS: files.Map{}, NetDB: testNetDB})
}

func TestScannerRules(t *testing.T) {
	cfg, err := parse(t, ""+
		"version 2\n"+ // eaten whole
		"conn a #comment\n"+
		"\tleftid=\"x \\\"y\\\" \\n\\t\\q\"\n"+ // escapes
		"  rightid=one   two\tthree\n"+ // joined by one space
		"\tleftgroups=a#b\n"+ // '#' starts a comment anywhere
		"\tleftca=@#01#x\n"+ // "@#" may start a word
		"\tleftcert=\"joined \\\nline\"\n"+
		"    \n"+ // blank line with indentation
		"\t# indented comment\n"+
		"\tversion=ignored\n"+ // an indented version line is eaten too
		"\tauto=add\n")
	if err != nil {
		t.Fatal(err)
	}
	c := cfg.Conns[0]
	for _, tc := range []struct{ got, want Str }{
		{c.Left.ID, S("x \"y\" \n\tq")},
		{c.Right.ID, S("one two three")},
		{c.Left.Groups, S("a")},
		{c.Left.CA, S("@#01")},
		{c.Left.Cert, S("joined line")},
	} {
		if tc.got != tc.want {
			t.Errorf("got %v, want %v", tc.got, tc.want)
		}
	}
	if len(c.Settings) != 6 {
		t.Errorf("settings %+v", c.Settings)
	}
}

func TestSectionKeywordsAtLineStart(t *testing.T) {
	cfg, err := parse(t, "config setup\n\tuniqueids=no\nconn x\n\tleft=1.2.3.4\n\tauto=add\nca y\n\tcacert=c.pem\n\tauto=add\n")
	if err != nil || len(cfg.Conns) != 1 || len(cfg.CAs) != 1 || cfg.Setup.UniqueIDs != UniqueNo {
		t.Fatalf("err %v conns %d cas %d", err, len(cfg.Conns), len(cfg.CAs))
	}
	// "connx" is a word, not a section.
	if _, err := parse(t, "connx\n"); err == nil {
		t.Error("connx accepted")
	}
}

func TestSyntaxErrors(t *testing.T) {
	for _, tc := range []struct {
		src      string
		line     int
		col      int
		contains string
	}{
		{"conn a\nleft=1.2.3.4\n", 2, 1, "settings must be indented"},
		{"conn a\n\tleft\n", 2, 2, "missing value for setting 'left'"},
		{"conn a\n\tleft=a=b\n", 2, 8, "unexpected '='"},
		{"conn\n", 1, 1, "section name missing"},
		{"conn a b\n", 1, 8, "unexpected \"b\""},
		{"conn=a\n", 1, 5, "unexpected '='"},
		{"conn a\n\tleftid=\"open\n", 2, 9, "unterminated string"},
		{"conn a\n\t\"\"=x\n", 2, 2, "setting name can't be empty"},
		{"=x\n", 1, 1, "unexpected '='"},
	} {
		cfg, err := parse(t, tc.src)
		if err == nil {
			t.Errorf("%q: accepted", tc.src)
			continue
		}
		fatal := cfg.Problems.Filter(confparse.Fatal)
		e := fatal[0]
		if e.Pos.Line != tc.line || e.Pos.Column != tc.col || !strings.Contains(e.Msg, tc.contains) {
			t.Errorf("%q: got %v, want %d:%d ...%s...", tc.src, e, tc.line, tc.col, tc.contains)
		}
	}
}

func TestCRLF(t *testing.T) {
	cfg, err := parse(t, "conn a\r\n\tleft=1.2.3.4\r\n\tauto=add\r\n\r\n")
	if err == nil {
		t.Fatal("a CR alone on a line is a syntax error for starter")
	}
	if !strings.Contains(cfg.Problems[0].Msg, "carriage return") {
		t.Errorf("message does not explain the CR: %v", cfg.Problems[0])
	}
}

// TestAlsoLinearization uses conf_parser.c's two examples: D{also=C,
// also=B} with B and C both including A linearizes to D B C A, and the
// ambiguous E{also=C, also=D} to E D C B A.
func TestAlsoLinearization(t *testing.T) {
	cfg, err := parse(t, ""+
		"conn A\n\tleftid=A\n\tleftcert=A\n\tleftca=A\n\tleftgroups=A\n"+
		"conn B\n\talso=A\n\tleftid=B\n\tleftcert=B\n"+
		"conn C\n\talso=A\n\tleftid=C\n\tleftca=C\n"+
		"conn D\n\talso=C\n\talso=B\n\tauto=add\n")
	if err != nil {
		t.Fatal(err)
	}
	d := connByName(t, cfg, "D")
	// D B C A: B is searched before C.
	if d.Left.ID != S("B") || d.Left.Cert != S("B") || d.Left.CA != S("C") || d.Left.Groups != S("A") {
		t.Errorf("D: id %v cert %v ca %v groups %v", d.Left.ID, d.Left.Cert, d.Left.CA, d.Left.Groups)
	}
	var from []string
	for _, s := range d.Settings {
		from = append(from, s.Key+"<"+s.From)
	}
	want := "auto<,leftcert<conn B,leftid<conn B,leftca<conn C,leftgroups<conn A"
	if strings.Join(from, ",") != want {
		t.Errorf("settings order %s, want %s", strings.Join(from, ","), want)
	}

	cfg, err = parse(t, ""+
		"conn A\n\tleftid=A\n"+
		"conn B\n\tleftid=B\n\tleftca=B\n"+
		"conn C\n\talso=A\n\talso=B\n\tleftcert=C\n"+
		"conn D\n\talso=B\n\talso=A\n\tleftcert=D\n\tleftgroups=D\n"+
		"conn E\n\talso=C\n\talso=D\n\tauto=add\n")
	if err != nil {
		t.Fatal(err)
	}
	e := connByName(t, cfg, "E")
	// E D C B A: D's leftcert, A before B for leftid (as D has it).
	if e.Left.Cert != S("D") || e.Left.ID != S("B") || e.Left.Groups != S("D") {
		t.Errorf("E: cert %v id %v groups %v", e.Left.Cert, e.Left.ID, e.Left.Groups)
	}
}

func TestAlsoErrors(t *testing.T) {
	for _, src := range []string{
		"conn a\n\talso=missing\n",
		"conn a\n\talso=b\nconn b\n\talso=a\n",
		"conn a\n\talso=a\n",
		"ca a\n\talso=conn-not-ca\nconn conn-not-ca\n",
	} {
		cfg, err := parse(t, src)
		if err == nil {
			t.Errorf("%q accepted", src)
			continue
		}
		if l := cfg.Problems[0].Pos.Line; l != 2 && l != 4 {
			t.Errorf("%q: %v should point at the also= line", src, cfg.Problems[0])
		}
	}
	// also=%default and also= are ignored.
	if _, err := parse(t, "conn a\n\talso=%default\n\talso=\n"); err != nil {
		t.Error(err)
	}
}

func TestDefaultMaskingAndEmpty(t *testing.T) {
	cfg, err := parse(t, "conn %default\n\tleftid=d\n\tlifetime=5m\nconn a\n\tleftid=\n\tlifetime=\n\trightid=\"\"\n\tauto=add\n")
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Conns[0]
	if a.Left.ID.Set || a.Lifetime != 3600 || a.Right.ID != S("") {
		t.Errorf("leftid %v lifetime %d rightid %v", a.Left.ID, a.Lifetime, a.Right.ID)
	}
}

func TestIncludes(t *testing.T) {
	fsys := files.Map{
		"/etc/ipsec.conf":            "include ipsec.d/*.conf\nconn main\n\talso=inc\n\tauto=add\n\tinclude \"sub dir/x.conf\"\n",
		"/etc/ipsec.d/a.conf":        "conn inc\n\tleftid=from-a\n",
		"/etc/ipsec.d/b.conf":        "conn inc\n\tleftid=from-b\n\trightid=b\n",
		"/etc/ipsec.d/.hidden.conf":  "conn hidden\n\tauto=add\n",
		"/etc/ipsec.d/c.txt":         "this is not included\n",
		"/etc/sub dir/x.conf":        "\tleftcert=x.pem\n",
		"/etc/loop/one.conf":         "include two.conf\n",
		"/etc/loop/two.conf":         "include one.conf\nconn looped\n\tauto=add\n",
		"/etc/loop/main.conf":        "include one.conf\n",
		"/etc/empty/ipsec.conf":      "include nothing-here/*.conf\ninclude \n",
		"/etc/ipsec.d/sub/deep.conf": "",
	}
	cfg, err := Load("/etc/ipsec.conf", &Options{FS: fsys})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Conns) != 2 || cfg.Conns[0].Name != "inc" || cfg.Conns[1].Name != "main" {
		t.Fatalf("conns %+v (a hidden file must not match *)", cfg.Conns)
	}
	m := cfg.Conns[1]
	// b.conf is read after a.conf (glob sorts), and "include" inside a
	// section goes on with that section.
	if m.Left.ID != S("from-b") || m.Right.ID != S("b") || m.Left.Cert != S("x.pem") {
		t.Errorf("main: %v %v %v", m.Left.ID, m.Right.ID, m.Left.Cert)
	}
	want := []string{"/etc/ipsec.conf", "/etc/ipsec.d/a.conf", "/etc/ipsec.d/b.conf", "/etc/sub dir/x.conf"}
	if strings.Join(cfg.Files, "|") != strings.Join(want, "|") {
		t.Errorf("files %q", cfg.Files)
	}

	cfg, err = Load("/etc/loop/main.conf", &Options{FS: fsys})
	if err == nil || !strings.Contains(err.Error(), "include loop") {
		t.Errorf("loop: %v", err)
	} else if e := cfg.Problems.Filter(confparse.Fatal)[0]; e.Pos.File != "/etc/loop/two.conf" || e.Pos.Line != 1 {
		t.Errorf("loop reported at %v", e.Pos)
	}

	cfg, err = Load("/etc/empty/ipsec.conf", &Options{FS: fsys})
	if err != nil || len(cfg.Problems) != 2 {
		t.Errorf("includes matching nothing are warnings: %v %v", err, cfg.Problems)
	}

	if _, err := Load("/nonexistent", &Options{FS: fsys}); err == nil {
		t.Error("a missing main file must be fatal")
	}
}

func TestSettingBeforeSection(t *testing.T) {
	cfg, err := parse(t, "\tleft=1.2.3.4\nconn a\n")
	if err != nil || len(cfg.Problems) != 1 || cfg.Problems[0].Severity != confparse.Warning {
		t.Errorf("%v %v", err, cfg.Problems)
	}
}

func TestValueConversions(t *testing.T) {
	for _, tc := range []struct {
		kv    string
		check func(c *Conn) bool
	}{
		{"lifetime=2d", func(c *Conn) bool { return c.Lifetime == 172800 }},
		{"lifetime=", func(c *Conn) bool { return c.Lifetime == 3600 }},
		{"lifetime=\"\"", func(c *Conn) bool { return c.Lifetime == 0 }},
		{"margintime=h", func(c *Conn) bool { return c.Margin == 0 }},
		{"rekeyfuzz=150%", func(c *Conn) bool { return c.RekeyFuzz == 150 }},
		{"replay_window=-1", func(c *Conn) bool { return c.ReplayWindow == 0xffffffff }},
		{"reqid=4294967297", func(c *Conn) bool { return c.ReqID == 1 }},
		{"ikedscp=101110", func(c *Conn) bool { return c.IKEDSCP == 46 }},
		{"mark=0x12/0xf0", func(c *Conn) bool { return c.MarkIn == (Mark{0x10, 0xf0}) && c.MarkOut == c.MarkIn }},
		{"mark_in=%unique-dir/7", func(c *Conn) bool { return c.MarkIn == (Mark{MarkUniqueDir, 7}) }},
		{"tfc=%mtu", func(c *Conn) bool { return c.TFC == 0xffffffff }},
		{"keyingtries=%forever", func(c *Conn) bool { return c.KeyingTries == 0 }},
		{"leftprotoport=tcp/http", func(c *Conn) bool { return c.Left.Protocol == 6 && c.Left.FromPort == 80 && c.Left.ToPort == 80 }},
		{"leftprotoport=udp/1000-2000", func(c *Conn) bool { return c.Left.Protocol == 17 && c.Left.FromPort == 1000 && c.Left.ToPort == 2000 }},
		{"leftprotoport=%any/%opaque", func(c *Conn) bool { return c.Left.FromPort == 0xffff && c.Left.ToPort == 0 }},
		{"left=%defaultroute", func(c *Conn) bool { return c.Left.Host == S("%any") && !c.Left.AllowAny }},
		{"left=%10.0.0.1", func(c *Conn) bool { return c.Left.Host == S("10.0.0.1") && c.Left.AllowAny }},
		{"leftsendcert=yes", func(c *Conn) bool { return c.Left.SendCert == SendCertAlways }},
		{"leftsendcert=no", func(c *Conn) bool { return c.Left.SendCert == SendCertNever }},
		{"type=transport_proxy", func(c *Conn) bool { return c.Mode == ModeTransport && c.ProxyMode }},
		{"type=reject", func(c *Conn) bool { return c.Mode == ModeDrop }},
		{"rekey=no", func(c *Conn) bool { return c.Options&OptDontRekey != 0 }},
		{"compress=yes", func(c *Conn) bool { return c.Options&OptCompress != 0 }},
	} {
		cfg, err := parse(t, "conn a\n\t"+tc.kv+"\n")
		if err != nil || len(cfg.Conns) != 1 {
			t.Errorf("%s: %v, dropped %v", tc.kv, err, cfg.Problems)
			continue
		}
		if !tc.check(cfg.Conns[0]) {
			t.Errorf("%s: wrong result %+v", tc.kv, cfg.Conns[0])
		}
	}
}

func TestBadValuesDropTheConn(t *testing.T) {
	for _, kv := range []string{
		"lifetime=1.5h", "lifetime=5w", "rekeyfuzz=50", "rekeyfuzz=%", "ikedscp=102",
		"mark=%same", "mark=1/x", "mark=%uniquex", "keyingtries=many", "tfc=big",
		"leftprotoport=tcp/70000", "leftprotoport=nosuchproto", "leftprotoport=tcp/80-x",
		"leftprotoport=-1", "type=tunnel2", "mobike=on", "auto=always", "authby=cert",
		"reqid=x", "leftsendcert=sometimes", "uniqueids=no", "cacert=x.pem",
		"leftikeport=500x", "fragmentation=maybe",
	} {
		cfg, err := parse(t, "conn a\n\t"+kv+"\nconn b\n")
		if err != nil {
			t.Errorf("%s: must drop the conn, not the file: %v", kv, err)
			continue
		}
		if len(cfg.Conns) != 1 || cfg.Conns[0].Name != "b" || len(cfg.Dropped) != 1 {
			t.Errorf("%s: conns %d dropped %v", kv, len(cfg.Conns), cfg.Dropped)
			continue
		}
		e := cfg.Problems.Filter(confparse.Dropped)[0]
		if e.Pos.Line != 2 || e.Section != "conn a" || !strings.Contains(e.Msg, "expected") && !strings.Contains(e.Msg, "unsupported") {
			t.Errorf("%s: %v", kv, e)
		}
	}
}

func TestSetupErrorsAreFatal(t *testing.T) {
	for _, kv := range []string{"uniqueids=sometimes", "left=1.2.3.4", "cachecrls=1"} {
		if _, err := parse(t, "config setup\n\t"+kv+"\n"); err == nil {
			t.Errorf("%s in config setup accepted", kv)
		}
	}
	cfg, err := parse(t, "config setup\n\tcachecrls=yes\n\tuniqueids=yes\n")
	if err != nil || cfg.Setup.CacheCRLs {
		t.Errorf("uniqueids= must clear cachecrls as in starter: %v %+v", err, cfg.Setup)
	}
}

func TestCharonDebugArgs(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"ike 2, knl 1", "--debug-ike 2 --debug-knl 1"},
		{"  cfg 3,net -1", "--debug-cfg 3 --debug-net -1"},
		{"ike2", "--debug-ike 2"},
		{"ike 2, bad, knl 1", "--debug-ike 2"},
		{"ikex 2", ""},
		{"", ""},
	} {
		s := Setup{CharonDebug: S(tc.in)}
		if got := strings.Join(s.CharonDebugArgs(), " "); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestAutoName(t *testing.T) {
	cfg, err := parse(t, "conn x\n\tauto=add\nconn %auto\n\tauto=route\n")
	if err != nil {
		t.Fatal(err)
	}
	msgs := cfg.StartupMessages(1)
	if len(msgs) != 3 || msgs[1].Name != "conn_2" || msgs[2].Type != MsgRoute || msgs[2].Name != "conn_2" {
		t.Errorf("%+v", msgs)
	}
}
