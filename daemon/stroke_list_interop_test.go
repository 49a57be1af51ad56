package daemon

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/nshost"
	"github.com/goswan/goswan/testing/testenv"
)

// TestStatusOverDebianIpsec serves the status of a simulated moon on a
// stroke socket and asks it with Debian's own `ipsec` script and `stroke`
// client, as the test suite does: what they print must be exactly what
// WriteStatus writes, and match charon's capture.
func TestStatusOverDebianIpsec(t *testing.T) {
	testenv.RequireCommand(t, "/usr/lib/ipsec/stroke")
	ipsec := testenv.RequireCommand(t, "/usr/sbin/ipsec")

	h := newLiveHosts(t)
	initiate(h.moon.n, h.moonPeer, h.moonConns["net-net"], 0)
	h.moon.pools = []Pool{{Name: "rw", Size: 14}}

	dir := t.TempDir()
	run := filepath.Join(dir, "run")
	if err := os.Mkdir(run, 0o755); err != nil {
		t.Fatal(err)
	}
	srv, err := stroke.Listen(stroke.ServerConfig{Path: filepath.Join(run, "charon.ctl"), UID: -1, GID: -1,
		Handlers: stroke.Handlers{List: StrokeList{Src: h.moon}}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	// `ipsec status` asks charon only if its pid file exists and answers
	// with whether the starter's pid is alive: ours is.
	pid := []byte(strconv.Itoa(os.Getpid()) + "\n")
	for _, f := range []string{"charon.pid", "starter.charon.pid"} {
		if err := os.WriteFile(filepath.Join(run, f), pid, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// The clients run in a host whose /run is this directory, so they find
	// the socket and pid files at their compiled-in defaults
	// (/var/run/charon.ctl), and whose strongswan.conf changes nothing.
	host := nshost.NewHost(t, nshost.Spec{Name: "moon", Private: []string{},
		Files: []nshost.File{{Path: "/etc/strongswan.conf", Mode: 0o644, Data: []byte("# goswan status interop test\ncharon {\n}\n")}},
		Binds: []nshost.Bind{{Source: run, Target: "/run"}}})
	client := func(args ...string) string {
		t.Helper()
		cmd, err := host.Command(nil, args...)
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%v: %v %s", args, err, stderr.String())
		}
		return string(out)
	}
	direct := func(all, wait bool, name stroke.Str) string {
		return statusOut(t, h.moon, all, wait, name)
	}

	got := client(ipsec, "status")
	wantText(t, "ipsec status", got, direct(false, true, stroke.Str{}))
	wantNormalized(t, "ipsec status vs charon", got, readCapture(t, "live/moon.04_status.txt"))

	got = client(ipsec, "statusall")
	wantText(t, "ipsec statusall", got, direct(true, true, stroke.Str{}))
	if !strings.Contains(got, "Virtual IP pools (size/online/offline):\n  rw: 14/0/0\n") {
		t.Errorf("ipsec statusall:\n%s", got)
	}

	wantText(t, "ipsec statusall net-net", client(ipsec, "statusall", "net-net"), direct(true, true, stroke.S("net-net")))
	wantText(t, "ipsec status nosuch", client(ipsec, "status", "nosuch"), readCapture(t, "live/moon.13_status_nomatch.txt"))
	wantText(t, "stroke statusall-nb", client(ipsec, "stroke", "statusall-nb"), direct(true, false, stroke.Str{}))

	var algs bytes.Buffer
	if err := WriteList(&algs, h.moon, stroke.ListAlgs, false); err != nil {
		t.Fatal(err)
	}
	wantText(t, "ipsec listalgs", client(ipsec, "listalgs"), algs.String())
	wantText(t, "ipsec listcerts", client(ipsec, "listcerts"), "")
	wantText(t, "ipsec leases", client(ipsec, "leases"), "Leases in pool 'rw', usage: 0/14, 0 online\n  no matching leases found\n")
	wantText(t, "ipsec leases nosuch", client(ipsec, "leases", "nosuch"), readCapture(t, "status/05_moon_leases_nosuch.txt"))
}
