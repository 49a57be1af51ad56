package settings

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/testenv"
)

const debianConf = "/etc/strongswan.conf"

func loadDebian(t *testing.T) *Settings {
	t.Helper()
	if _, err := os.Stat(debianConf); err != nil {
		testenv.Unavailable(t, "needs Debian's "+debianConf+" (package strongswan)")
	}
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

// TestDebianConfig loads the real /etc/strongswan.conf with every file of
// /etc/strongswan.d it includes.
func TestDebianConfig(t *testing.T) {
	s := loadDebian(t)
	want, _ := filepath.Glob("/etc/strongswan.d/*.conf")
	more, _ := filepath.Glob("/etc/strongswan.d/charon/*.conf")
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

// TestDebianCharonPluginOrder starts Debian's charon in private mount and
// network namespaces and compares the order in which it tries to load its
// plugins with goswan's: once with Debian's configuration, once with plugin
// priorities and plugins charon does not know added on top of it.
func TestDebianCharonPluginOrder(t *testing.T) {
	testenv.RequireRoot(t)
	charon := testenv.RequireCommand(t, "/usr/lib/ipsec/charon")
	testenv.RequireCommand(t, "unshare")
	loadDebian(t)
	custom := filepath.Join(t.TempDir(), "strongswan.conf")
	if err := os.WriteFile(custom, []byte(`include /etc/strongswan.conf
charon {
	plugins {
		zzz-unknown { load = yes }
		aaa-unknown { load = yes }
		sha1 { load = 5 }
		nonce { load = 20 }
		x509 { load = no }
	}
}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, conf := range []string{debianConf, custom} {
		s, err := Load(conf, nil)
		if err != nil {
			t.Fatal(err)
		}
		want := names(s.Plugins("charon", DebianPlugins))
		if got := charonPluginAttempts(t, charon, conf); got != want {
			t.Errorf("%s: charon tried\n  %s\ngoswan computed\n  %s", conf, got, want)
		}
	}
}

// charonPluginAttempts runs charon with conf and returns the plugins it
// tried to load, in order. charon logs to stdout in the foreground,
// buffered when that is not a terminal: the script stops it (SIGINT) once
// it has written its pid file, which it does after loading its plugins, and
// the log is read after it exited.
func charonPluginAttempts(t *testing.T, charon, conf string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "unshare", "-m", "-n", "--propagation", "private", "sh", "-c", `
		mount -t tmpfs tmpfs /run || exit 1
		"$0" --debug-lib 2 & pid=$!
		while [ ! -e /run/charon.pid ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
		kill -INT $pid
		wait $pid`, charon)
	cmd.Env = append(os.Environ(), "STRONGSWAN_CONF="+conf)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("running charon: %v\n%s", err, out)
	}
	re := regexp.MustCompile(`plugin '([^']*)'(: loaded successfully|: failed to load)`)
	var tried []string
	for _, m := range re.FindAllStringSubmatch(string(out), -1) {
		tried = append(tried, m[1])
	}
	if len(tried) == 0 {
		t.Fatalf("charon logged no plugin loads:\n%s", out)
	}
	return strings.Join(tried, " ")
}
