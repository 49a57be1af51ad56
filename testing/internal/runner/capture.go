package runner

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// capture is a tcpdump running on one host from before pretest until the
// first evaltest line that greps it (or the end of the test).
type capture struct {
	host    string
	cmd     *exec.Cmd
	logPath string
	errPath string
	done    chan struct{}
	stopped bool
}

// startCaptures starts tcpdump on every TCPDUMPHOSTS entry, with the filter
// strongSwan's runner uses, and waits until each one listens. The capture
// goes straight into the results directory as <host>.tcpdump.log.
func (t *test) startCaptures(ctx context.Context) error {
	if len(t.sc.Conf.TcpdumpHosts) > 0 {
		t.con.section("TCPDUMP")
	}
	for _, th := range t.sc.Conf.TcpdumpHosts {
		if t.caps[th.Host] != nil {
			return fmt.Errorf("TCPDUMPHOSTS lists %s twice", th.Host)
		}
		c := &capture{host: th.Host,
			logPath: filepath.Join(t.dir, th.Host+".tcpdump.log"),
			errPath: filepath.Join(t.dir, th.Host+".tcpdump.err"),
			done:    make(chan struct{})}
		argv := []string{"tcpdump", "-l", "--immediate-mode", "-i", th.Iface, "not port ssh and not port domain"}
		t.con.printf("%s# %s", th.Host, strings.Join(argv, " "))
		out, err := os.Create(c.logPath)
		if err != nil {
			return err
		}
		errf, err := os.Create(c.errPath)
		if err != nil {
			out.Close()
			return err
		}
		c.cmd, err = t.topo.Host(th.Host).Start(out, errf, argv...)
		out.Close()
		errf.Close()
		if err != nil {
			return fmt.Errorf("tcpdump on %s: %w", th.Host, err)
		}
		go func() { _ = c.cmd.Wait(); close(c.done) }()
		t.caps[th.Host] = c
		if err := c.waitListening(ctx); err != nil {
			return fmt.Errorf("tcpdump on %s: %w", th.Host, err)
		}
	}
	return nil
}

// startWait bounds the wait for a capture or a server to listen. It ends as
// soon as the program listens; the bound only matters when it never does.
// Generous: in the kernel lane's TCG guest on a loaded machine (load 20 on
// 2 cores) tcpdump took more than 5 s to open its interface, and a good
// run failed.
const startWait = 30 * time.Second

func (c *capture) waitListening(ctx context.Context) error {
	deadline := time.Now().Add(startWait)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(c.errPath)
		if strings.Contains(string(b), "listening on") {
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("exited: %s", strings.TrimSpace(string(b)))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
	return fmt.Errorf("not listening after %v", startWait)
}

var (
	capturedRE = regexp.MustCompile(`(\d+) packets? captured`)
	receivedRE = regexp.MustCompile(`(\d+) packets? received by filter`)
)

// stop ends the capture once tcpdump has written every packet the filter
// received: like strongSwan's runner it asks for statistics with SIGUSR1
// until "captured" catches up with "received by filter" (for at most a
// second), then terminates it.
func (c *capture) stop() {
	if c.stopped {
		return
	}
	c.stopped = true
	for i := 0; i < 50; i++ {
		select {
		case <-c.done:
			return
		default:
		}
		_ = c.cmd.Process.Signal(syscall.SIGUSR1)
		time.Sleep(20 * time.Millisecond)
		b, _ := os.ReadFile(c.errPath)
		capd, recv := lastMatch(capturedRE, b), lastMatch(receivedRE, b)
		if capd != "" && capd == recv {
			break
		}
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(2 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func lastMatch(re *regexp.Regexp, b []byte) string {
	m := re.FindAllSubmatch(b, -1)
	if len(m) == 0 {
		return ""
	}
	return string(m[len(m)-1][1])
}

// output stops the capture if it still runs and returns what it recorded.
func (c *capture) output() ([]byte, time.Duration, error) {
	t0 := time.Now()
	c.stop()
	b, err := os.ReadFile(c.logPath)
	return b, time.Since(t0), err
}

// pid is tcpdump's process ID (nsenter executes it in place).
func (c *capture) pid() int {
	if c.cmd == nil || c.cmd.Process == nil {
		return 0
	}
	return c.cmd.Process.Pid
}
