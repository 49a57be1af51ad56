package runner

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/scenario"
)

// serverKind is a daemon a scenario can ask for with test.conf's SERVERS.
// Its files come from the host's /etc (testing/hosts/<host>/etc).
type serverKind struct {
	argv []string
	port int  // port it listens on once ready
	udp  bool // the port is UDP (else TCP)
}

// serverKinds are the servers of strongSwan's winnetou, which its test
// images always run as apache2 (the CRLs under /var/www, an OCSP CGI on
// port 8880): here a real web server publishes /etc/ca/www, and openssl's
// OCSP responder answers from the CA's index with the OCSP signer's
// certificate, at the URIs the test PKI's certificates carry
// (http://crl.strongswan.org/…, http://ocsp.strongswan.org:8880).
var serverKinds = map[string]serverKind{
	"http": {argv: []string{"lighttpd", "-D", "-f", "/etc/lighttpd/lighttpd.conf"}, port: 80},
	"ocsp": {argv: []string{"openssl", "ocsp", "-port", "8880", "-index", "/etc/ca/index.txt",
		"-CA", "/etc/ca/strongswanCert.pem", "-rsigner", "/etc/ca/ocspCert.pem",
		"-rkey", "/etc/ca/ocspKey.pem", "-nmin", "5", "-ignore_err", "-text"}, port: 8880},
	// FreeRADIUS, as strongSwan's alice runs it for the RADIUSHOSTS of the
	// eap-radius scenarios: in the foreground with its debug output (-X),
	// its base configuration from testing/hosts/alice/etc/freeradius and the
	// scenario's modules and sites on top.
	"radius": {argv: []string{"freeradius", "-X"}, port: 1812, udp: true},
}

// checkServers rejects SERVERS entries of kinds the runner does not know,
// before anything is built.
func checkServers(sc *scenario.Scenario) error {
	for _, s := range sc.Conf.Servers {
		if _, ok := serverKinds[s.Kind]; !ok {
			var known []string
			for k := range serverKinds {
				known = append(known, k)
			}
			sort.Strings(known)
			return fmt.Errorf("scenario %s: test.conf: unknown server %q in SERVERS (known: %s)", sc.Name, s.Kind, strings.Join(known, " "))
		}
	}
	return nil
}

// server is one running SERVERS entry. The runner started it, so the
// leftover check does not count it; it is stopped by its PID.
type server struct {
	name string // "winnetou:http"
	cmd  *exec.Cmd
	log  string
	done chan struct{}
}

// startServers starts the scenario's SERVERS, each with its output in the
// results directory as <host>.<kind>.log, and waits until each listens.
func (t *test) startServers(ctx context.Context) error {
	if len(t.sc.Conf.Servers) > 0 {
		t.con.section("SERVERS")
	}
	for _, s := range t.sc.Conf.Servers {
		kind := serverKinds[s.Kind]
		sv := &server{name: s.Host + ":" + s.Kind,
			log:  filepath.Join(t.dir, s.Host+"."+s.Kind+".log"),
			done: make(chan struct{})}
		t.con.printf("%s# %s", s.Host, strings.Join(kind.argv, " "))
		out, err := os.Create(sv.log)
		if err != nil {
			return err
		}
		sv.cmd, err = t.topo.Host(s.Host).Start(out, out, kind.argv...)
		out.Close()
		if err != nil {
			return fmt.Errorf("server %s: %w", sv.name, err)
		}
		go func() { _ = sv.cmd.Wait(); close(sv.done) }()
		t.servers = append(t.servers, sv)
		if err := sv.waitListening(ctx, kind.port, kind.udp); err != nil {
			return fmt.Errorf("server %s: %w", sv.name, err)
		}
		t.con.printf("  [listening on port %d, pid %d]", kind.port, sv.pid())
	}
	return nil
}

// waitListening polls the server's network namespace (through its own
// /proc entry, from outside) until a socket listens on port.
func (sv *server) waitListening(ctx context.Context, port int, udp bool) error {
	deadline := time.Now().Add(startWait)
	for time.Now().Before(deadline) {
		if listening(sv.pid(), port, udp) {
			return nil
		}
		select {
		case <-sv.done:
			b, _ := os.ReadFile(sv.log)
			return fmt.Errorf("exited: %s", strings.TrimSpace(string(b)))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return fmt.Errorf("not listening on port %d after %v", port, startWait)
}

// listening reports whether the network namespace of pid has a TCP socket
// in LISTEN state on port, or a UDP socket bound to it.
func listening(pid, port int, udp bool) bool {
	files, state := []string{"tcp", "tcp6"}, "0A" // TCP_LISTEN
	if udp {
		// A bound, unconnected UDP socket is TCP_CLOSE in /proc.
		files, state = []string{"udp", "udp6"}, "07"
	}
	for _, f := range files {
		fh, err := os.Open(fmt.Sprintf("/proc/%d/net/%s", pid, f))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			// sl local_address rem_address st …, e.g. "0: 00000000:0050 00000000:0000 0A …"
			fs := strings.Fields(sc.Text())
			if len(fs) < 4 || fs[3] != state {
				continue
			}
			_, hexPort, ok := strings.Cut(fs[1], ":")
			if p, err := strconv.ParseUint(hexPort, 16, 16); ok && err == nil && int(p) == port {
				fh.Close()
				return true
			}
		}
		fh.Close()
	}
	return false
}

// pid is the server's PID (nsenter executes it in place).
func (sv *server) pid() int {
	if sv.cmd == nil || sv.cmd.Process == nil {
		return 0
	}
	return sv.cmd.Process.Pid
}

// stop ends the server by its PID: SIGTERM, then SIGKILL after two seconds.
func (sv *server) stop() error {
	select {
	case <-sv.done:
		return errors.New("had exited before the end of the test")
	default:
	}
	_ = sv.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-sv.done:
		return nil
	case <-time.After(2 * time.Second):
		_ = sv.cmd.Process.Kill()
		<-sv.done
		return errors.New("ignored SIGTERM and was killed")
	}
}

// stopServers stops every server the test started; one that died early
// fails the test, as the scenario ran without it.
func (t *test) stopServers(context.Context) error {
	for _, sv := range t.servers {
		if err := sv.stop(); err != nil {
			t.fail("server %s %v", sv.name, err)
			t.con.printf("server %s %v", sv.name, err)
		}
	}
	t.servers = nil
	return nil
}
