package secrets

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// expectedLog is what charon's stroke plugin logs at level 1 while it
// loads the secrets goswan read, for files whose key files do not exist.
func expectedLog(s *Secrets) []string {
	var out []string
	files := map[string]bool{}
	errs := map[string]*confparse.Error{}
	for _, p := range s.Problems.Filter(confparse.Dropped) {
		errs[p.Pos.File] = p
	}
	flushErr := func(file string) {
		if e := errs[file]; e != nil {
			out = append(out, fmt.Sprintf("line %d:", e.Pos.Line))
			delete(errs, file)
		}
	}
	cur := ""
	for _, e := range s.Entries {
		if e.Pos.File != cur {
			// An error ends its file, so it came before this entry.
			flushErr(cur)
			if !files[e.Pos.File] {
				files[e.Pos.File] = true
				out = append(out, "loading secrets from '"+e.Pos.File+"'")
			}
			cur = e.Pos.File
		}
		switch {
		case e.Kind.IsShared():
			ids := e.Selectors
			if ids == "" {
				ids = "%any"
			}
			out = append(out, fmt.Sprintf("  loaded %s secret for %s", e.Type(), ids))
		case e.Kind == P12:
			out = append(out, "  loading credentials from '"+e.File+"' failed")
		case e.Kind == PIN:
		default:
			out = append(out, "  loading private key from '"+e.File+"' failed")
		}
	}
	flushErr(cur)
	return out
}

var reSecretLog = regexp.MustCompile(`\[CFG\] (loading secrets from .*|  loaded \w+ secret for .*|  loading (private key|credentials) from .* failed|line \d+:)`)

// secretsPlugins are what the test's strongswan.conf loads into charon.
var secretsPlugins = []string{"random", "nonce", "openssl", "pem", "pkcs1", "pkcs8", "pkcs12", "x509", "stroke",
	"kernel-netlink", "socket-default"}

// TestCharonReadsSecretsAlike lets Debian's charon load every test secrets
// file (in a host of its own, testing/nshost) and compares what it logs
// about each line with what goswan read.
func TestCharonReadsSecretsAlike(t *testing.T) {
	charon := testenv.RequireCommand(t, "/usr/lib/ipsec/charon")
	testenv.RequirePlugins(t, secretsPlugins...)
	paths, _ := filepath.Glob("../testdata/secrets/*.secrets")
	if len(paths) == 0 {
		t.Fatal("no test files")
	}
	host := nshost.NewHost(t, nshost.Spec{Name: "charon",
		Files: []nshost.File{{Path: "/etc/strongswan.conf", Mode: 0o644}}})
	for _, p := range paths {
		abs, err := filepath.Abs(p)
		if err != nil {
			t.Fatal(err)
		}
		s, _ := Load(abs, nil)
		host.WriteFile(t, "/etc/strongswan.conf", []byte(`charon {
	load = `+strings.Join(secretsPlugins, " ")+`
	plugins { stroke { secrets_file = `+abs+` } }
}
`), 0o644)
		r := host.Exec(context.Background(), 60*time.Second, nil, "sh", "-c", `
			"$0" --debug-cfg 1 & pid=$!
			while [ ! -e /run/charon.pid ] && kill -0 $pid 2>/dev/null; do sleep 0.05; done
			kill -INT $pid
			wait $pid`, charon)
		out := string(r.Stdout) + string(r.Stderr)
		if r.Err != nil || r.ExitCode != 0 {
			t.Fatalf("running charon: exit %d %v\n%s", r.ExitCode, r.Err, out)
		}
		var got []string
		for _, m := range reSecretLog.FindAllStringSubmatch(out, -1) {
			line := m[1]
			if strings.HasPrefix(line, "line ") {
				line = line[:strings.IndexByte(line, ':')+1]
			}
			got = append(got, line)
		}
		want := expectedLog(s)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: charon logged\n  %s\ngoswan expects\n  %s", p, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
}
