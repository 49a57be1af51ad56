package ipsecconf

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// TestStarterCapturesAreCurrent runs testing/capture/starter-capture.sh
// again on a copy of the corpus, with the starter installed here, and
// checks that it sends exactly the committed messages: the corpus test
// compares against these, so they must not go stale when a .conf file is
// edited without capturing it again. The script runs in a host
// (testing/nshost) whose /etc has Debian's strongswan.conf and netbase, as
// the machine had where the captures were made, whatever this one has.
func TestStarterCapturesAreCurrent(t *testing.T) {
	testenv.RequireCommand(t, "/usr/lib/ipsec/starter")
	testenv.RequireCommand(t, "python3")
	testenv.Short(t)
	host := nshost.NewHost(t, nshost.Spec{Name: "starter",
		Files: append(nshost.Netbase(), nshost.DirFiles(t, "../testdata/debian/etc", "/etc")...)})
	script, err := filepath.Abs("../../testing/capture/starter-capture.sh")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	if out, err := exec.Command("cp", "-r", "../testdata/starter", tmp).CombinedOutput(); err != nil {
		t.Fatalf("copying the corpus: %v %s", err, out)
	}
	dir := filepath.Join(tmp, "starter")
	confs, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// Four captures at a time, each in its own namespaces; the fake charon
	// waits 1 s for further messages instead of the script's default.
	const workers = 4
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		var mine []string
		for i := w; i < len(confs); i += workers {
			mine = append(mine, confs[i])
		}
		go func() {
			r := host.Exec(ctx, 5*time.Minute, nil, append([]string{"env", "FAKE_CHARON_IDLE=1.0", script}, mine...)...)
			var err error
			if r.Err != nil || r.ExitCode != 0 {
				err = fmt.Errorf("capture: exit %d %v\n%s%s", r.ExitCode, r.Err, r.Stdout, r.Stderr)
			}
			errs <- err
		}()
	}
	for w := 0; w < workers; w++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	for _, conf := range confs {
		base := strings.TrimSuffix(filepath.Base(conf), ".conf")
		fresh, _ := filepath.Glob(filepath.Join(dir, base+".[0-9][0-9]_STR_*.bin"))
		committed, _ := filepath.Glob(filepath.Join("../testdata/starter", base+".[0-9][0-9]_STR_*.bin"))
		if len(fresh) != len(committed) {
			t.Errorf("%s: starter now sends %d messages, %d are committed", base, len(fresh), len(committed))
			continue
		}
		for i := range fresh {
			a, _ := os.ReadFile(fresh[i])
			b, _ := os.ReadFile(committed[i])
			if filepath.Base(fresh[i]) != filepath.Base(committed[i]) || !bytes.Equal(a, b) {
				t.Errorf("%s: %s differs from the committed %s", base, filepath.Base(fresh[i]), filepath.Base(committed[i]))
			}
		}
		// The lines about the config itself (errors, warnings, refusal)
		// must be the same; timing lines may come in another order.
		if a, b := configLines(t, filepath.Join(dir, base+".starter.log")), configLines(t, filepath.Join("../testdata/starter", base+".starter.log")); a != b {
			t.Errorf("%s: starter's log differs:\n%s\ncommitted:\n%s", base, a, b)
		}
	}
}

func configLines(t *testing.T, path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var keep []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "#") || strings.Contains(l, "fatal errors") || strings.Contains(l, ": syntax error") ||
			strings.HasPrefix(l, "Loading ") || strings.HasPrefix(l, "fake charon: got") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
