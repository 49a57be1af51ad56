package settings

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// debianEtc is a copy of Debian's /etc/strongswan.conf and
// /etc/strongswan.d (testdata/debian/README.md): the tests read it, never
// the machine's /etc, whose files depend on the packages installed.
const debianEtc = "../testdata/debian/etc"

var debianConf = filepath.Join(debianEtc, "strongswan.conf")

func loadDebian(t *testing.T) *Settings {
	t.Helper()
	s, err := Load(debianConf, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func names(plugins []Plugin) string {
	var out []string
	for _, p := range plugins {
		out = append(out, p.Name)
	}
	return strings.Join(out, " ")
}

// TestDebianConfig loads Debian's strongswan.conf with every file of
// strongswan.d it includes.
func TestDebianConfig(t *testing.T) {
	s := loadDebian(t)
	want, _ := filepath.Glob(filepath.Join(debianEtc, "strongswan.d", "*.conf"))
	more, _ := filepath.Glob(filepath.Join(debianEtc, "strongswan.d", "charon", "*.conf"))
	if len(s.Files) != 1+len(want)+len(more) {
		t.Errorf("read %d files, want %d", len(s.Files), 1+len(want)+len(more))
	}
	if !s.Bool("charon.load_modular", false) {
		t.Error("charon.load_modular is not yes")
	}
	if !s.Bool("charon.plugins.stroke.load", false) || s.Bool("charon.plugins.kernel-libipsec.load", true) {
		t.Error("stroke must load and kernel-libipsec not")
	}
	c := s.Charon("charon")
	if c.StrokeSocket != "unix:///var/run/charon.ctl" || c.DeleteRekeyedDelay != 5 || c.RetransmitTries != 5 {
		t.Errorf("%+v", c)
	}
	if len(s.FileLoggers("charon")) != 0 || len(s.SyslogLoggers("charon")) != 0 {
		t.Error("Debian configures no loggers (only commented examples)")
	}
	// The golden list: the plugins Debian's charon tried to load, in
	// order, with this configuration (testdata/debian/README.md).
	golden, err := os.ReadFile("../testdata/debian/charon-plugin-attempts.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got := names(s.Plugins("charon", DebianPlugins)); got != strings.TrimSpace(string(golden)) {
		t.Errorf("plugin order\n got: %s\nwant: %s", got, golden)
	}
}

// TestDebianCharonPluginOrder starts Debian's charon in a host whose /etc
// holds Debian's configuration (testing/nshost) and compares the order in
// which it tries to load its plugins with goswan's: once with that
// configuration, once with plugin priorities and plugins charon does not
// know added on top of it.
func TestDebianCharonPluginOrder(t *testing.T) {
	charon := testenv.RequireCommand(t, "/usr/lib/ipsec/charon")
	nshost.Require(t)
	const extra = `
charon {
	plugins {
		zzz-unknown { load = yes }
		aaa-unknown { load = yes }
		sha1 { load = 5 }
		nonce { load = 20 }
		x509 { load = no }
	}
}
`
	absConf, err := filepath.Abs(debianConf)
	if err != nil {
		t.Fatal(err)
	}
	custom := filepath.Join(t.TempDir(), "strongswan.conf")
	if err := os.WriteFile(custom, []byte("include "+absConf+extra), 0o644); err != nil {
		t.Fatal(err)
	}
	files := append(nshost.DirFiles(t, debianEtc, "/etc"),
		nshost.File{Path: "/etc/goswan-custom.conf", Mode: 0o644, Data: []byte("include /etc/strongswan.conf" + extra)})
	host := nshost.NewHost(t, nshost.Spec{Name: "charon", Files: files})
	for _, c := range []struct{ here, inHost string }{{debianConf, "/etc/strongswan.conf"}, {custom, "/etc/goswan-custom.conf"}} {
		s, err := Load(c.here, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := names(s.Plugins("charon", DebianPlugins))
		if got := charonPluginAttempts(t, host, charon, c.inHost); got != want {
			t.Errorf("%s: charon tried\n  %s\ngoswan computed\n  %s", c.inHost, got, want)
		}
	}
}

// charonPluginAttempts runs charon in host with conf and returns the
// plugins it tried to load, in order. charon logs to stdout in the
// foreground, buffered when that is not a terminal: the script stops it
// (SIGINT) once it has written its pid file, which it does after loading
// its plugins, and the log is read after it exited.
func charonPluginAttempts(t *testing.T, host *nshost.Host, charon, conf string) string {
	t.Helper()
	r := host.Exec(context.Background(), 60*time.Second, nil, "sh", "-c", `
		STRONGSWAN_CONF="$1" "$0" --debug-lib 2 & pid=$!
		while [ ! -e /run/charon.pid ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
		kill -INT $pid
		wait $pid`, charon, conf)
	if r.Err != nil || r.ExitCode != 0 {
		t.Fatalf("running charon: exit %d %v\n%s%s", r.ExitCode, r.Err, r.Stdout, r.Stderr)
	}
	out := string(r.Stdout) + string(r.Stderr)
	re := regexp.MustCompile(`plugin '([^']*)'(: loaded successfully|: failed to load)`)
	var tried []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		tried = append(tried, m[1])
	}
	if len(tried) == 0 {
		t.Fatalf("charon logged no plugin loads:\n%s", out)
	}
	return strings.Join(tried, " ")
}
