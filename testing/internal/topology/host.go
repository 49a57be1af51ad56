package topology

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/hosts"
)

// Host is one machine of a built topology.
type Host struct {
	Name  string
	NetNS string
	plan  hosts.Host
	spec  HostSpec
	topo  *Topology

	holder    *exec.Cmd
	holderPID int
	holderT0  uint64 // holder start time, against PID reuse
	netID     nsID
	mntID     nsID
	scratch   string
}

// addressing returns the `ip -batch` lines that configure the host's links,
// addresses and default routes.
func (h *Host) addressing() string {
	var b strings.Builder
	b.WriteString("link set lo up\n")
	for _, ifc := range h.plan.Ifaces {
		if ifc.Manual {
			continue
		}
		fmt.Fprintf(&b, "addr add %s dev %s\n", ifc.IPv4, ifc.Name)
		// No duplicate address detection: the addresses are ours alone and
		// DAD would keep them tentative for a second or more.
		fmt.Fprintf(&b, "addr add %s dev %s nodad\n", ifc.IPv6, ifc.Name)
		fmt.Fprintf(&b, "link set %s up\n", ifc.Name)
	}
	if h.plan.Gateway4 != "" {
		fmt.Fprintf(&b, "route add default via %s\n", h.plan.Gateway4)
	}
	if h.plan.Gateway6 != "" {
		fmt.Fprintf(&b, "route add ::/0 via %s\n", h.plan.Gateway6)
	}
	return b.String()
}

// startHolder stages the host's /etc files and starts its holder.
func (h *Host) startHolder(ctx context.Context, dir string) error {
	h.scratch = dir
	stage := filepath.Join(dir, "stage")
	mnt := filepath.Join(dir, "mnt")
	for _, d := range []string{stage, mnt} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	// cp -p copies the stage directory's own mode onto /etc: keep it the
	// usual 0755, or programs that drop root (tcpdump) cannot read /etc.
	if err := os.Chmod(stage, 0o755); err != nil {
		return err
	}
	for _, f := range h.spec.Etc {
		clean := path.Clean("/" + f.Rel)[1:]
		if clean == "" || clean != f.Rel {
			return fmt.Errorf("bad /etc path %q", f.Rel)
		}
		p := filepath.Join(stage, filepath.FromSlash(clean))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, f.Data, f.Mode.Perm()); err != nil {
			return err
		}
		if err := os.Chmod(p, f.Mode.Perm()); err != nil { // WriteFile's mode is masked by umask
			return err
		}
	}
	forward := "0"
	if h.plan.Forward {
		forward = "1"
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The holder is this program again (holder.go), in the host's network
	// namespace and fresh mount and UTS namespaces.
	args := []string{"--net=/run/netns/" + h.NetNS, "--", "unshare", "--mount", "--uts", "--propagation", "private", "--",
		self, holderArg, mnt, stage, h.Name, forward}
	for _, b := range h.spec.Binds {
		args = append(args, b.Source, b.Target)
	}
	cmd := exec.Command("nsenter", args...)
	// Its own process group: a Ctrl-C on the terminal reaches the runner
	// only, which then tears down in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	h.holder = cmd
	// nsenter and unshare exec in place, so the PID stays the holder's;
	// its namespaces are recorded once it reports ready.
	h.holderPID = cmd.Process.Pid
	ready := make(chan error, 1)
	go func() {
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && line != "ready\n" {
			err = fmt.Errorf("unexpected %q", line)
		}
		ready <- err
	}()
	select {
	case err = <-ready:
	// Generous: the holders start in parallel, and in the kernel lane's
	// TCG guest on a busy machine that takes seconds.
	case <-time.After(30 * time.Second):
		err = errors.New("timed out")
	case <-ctx.Done():
		err = ctx.Err()
	}
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return fmt.Errorf("holder did not start: %v: %s", err, bytes.TrimSpace(stderr.Bytes()))
	}
	go func() { _ = cmd.Wait() }() // reap it whenever teardown ends it
	if h.holderT0, err = startTime(h.holderPID); err != nil {
		return err
	}
	if h.netID, err = nsOfFile("/run/netns/" + h.NetNS); err != nil {
		return err
	}
	if h.mntID, err = nsOfFile(fmt.Sprintf("/proc/%d/ns/mnt", h.holderPID)); err != nil {
		return err
	}
	return h.verify()
}

// ErrOutside is returned instead of running a command that would not run
// inside the host's own namespaces.
var ErrOutside = errors.New("refusing to run outside the topology's namespaces")

// verify checks, before every command, that the host's namespaces are still
// the ones created for it and differ from the runner's own: the holder is
// the same process (PID and start time), its mount namespace is the recorded
// one, and /run/netns/NAME still names the recorded network namespace.
func (h *Host) verify() error {
	if h.topo.closed {
		return fmt.Errorf("%w: host %s: topology is closed", ErrOutside, h.Name)
	}
	selfNet, err := selfNS("net")
	if err != nil {
		return err
	}
	selfMnt, err := selfNS("mnt")
	if err != nil {
		return err
	}
	if h.netID == selfNet || h.mntID == selfMnt {
		return fmt.Errorf("%w: host %s shares the runner's namespace", ErrOutside, h.Name)
	}
	if id, err := nsOfFile("/run/netns/" + h.NetNS); err != nil || id != h.netID {
		return fmt.Errorf("%w: host %s: network namespace %s changed or vanished", ErrOutside, h.Name, h.NetNS)
	}
	if t0, err := startTime(h.holderPID); err != nil || t0 != h.holderT0 {
		return fmt.Errorf("%w: host %s: holder process %d is gone", ErrOutside, h.Name, h.holderPID)
	}
	if id, err := nsOfFile(fmt.Sprintf("/proc/%d/ns/mnt", h.holderPID)); err != nil || id != h.mntID {
		return fmt.Errorf("%w: host %s: holder's mount namespace changed", ErrOutside, h.Name)
	}
	if id, err := nsOfFile(fmt.Sprintf("/proc/%d/ns/net", h.holderPID)); err != nil || id != h.netID {
		return fmt.Errorf("%w: host %s: holder's network namespace changed", ErrOutside, h.Name)
	}
	return nil
}

// enter returns the command line that runs argv inside the host.
func (h *Host) enter(argv ...string) []string {
	return append([]string{"nsenter",
		"--net=/run/netns/" + h.NetNS,
		fmt.Sprintf("--mount=/proc/%d/ns/mnt", h.holderPID),
		fmt.Sprintf("--uts=/proc/%d/ns/uts", h.holderPID),
		"--wdns=/root", "--"}, argv...)
}

// Result is the outcome of a command run in a host.
type Result struct {
	Stdout, Stderr []byte
	ExitCode       int // -1 when it did not exit normally
	Err            error
	Duration       time.Duration
}

// Run runs command with /bin/sh -c inside the host, as strongSwan's runner
// runs it through ssh, and waits for it (at most timeout). Output goes to
// files rather than pipes: a command that starts a daemon (ipsec start)
// must not keep Run waiting on a pipe the daemon inherited.
func (h *Host) Run(ctx context.Context, command string, timeout time.Duration) Result {
	return h.Exec(ctx, timeout, nil, "/bin/sh", "-c", command)
}

// Exec runs argv inside the host; see Run.
func (h *Host) Exec(ctx context.Context, timeout time.Duration, stdin io.Reader, argv ...string) Result {
	t0 := time.Now()
	res := func(r Result) Result { r.Duration = time.Since(t0); return r }
	if err := h.verify(); err != nil {
		return res(Result{ExitCode: -1, Err: err})
	}
	outF, err := os.CreateTemp(h.scratch, "out-")
	if err != nil {
		return res(Result{ExitCode: -1, Err: err})
	}
	defer os.Remove(outF.Name())
	defer outF.Close()
	errF, err := os.CreateTemp(h.scratch, "err-")
	if err != nil {
		return res(Result{ExitCode: -1, Err: err})
	}
	defer os.Remove(errF.Name())
	defer errF.Close()

	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	line := h.enter(argv...)
	cmd := exec.CommandContext(ctx, line[0], line[1:]...)
	cmd.Env = h.spec.Env
	cmd.Dir = "/"
	cmd.Stdin = stdin
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 2 * time.Second
	err = cmd.Run()
	r := Result{ExitCode: cmd.ProcessState.ExitCode()}
	if ctx.Err() != nil {
		r.Err = fmt.Errorf("killed after %v: %w", time.Since(t0).Round(time.Millisecond), ctx.Err())
	} else if err != nil && !errors.As(err, new(*exec.ExitError)) {
		r.Err = err
	}
	r.Stdout, _ = os.ReadFile(outF.Name())
	r.Stderr, _ = os.ReadFile(errF.Name())
	return res(r)
}

// Start starts argv inside the host in the background, with its output going
// to the given files (which live in the root namespace). The caller stops it
// (teardown would end it anyway).
func (h *Host) Start(stdout, stderr *os.File, argv ...string) (*exec.Cmd, error) {
	if err := h.verify(); err != nil {
		return nil, err
	}
	line := h.enter(argv...)
	cmd := exec.Command(line[0], line[1:]...)
	cmd.Env = h.spec.Env
	cmd.Dir = "/"
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// Processes lists the processes in the host's network namespace other than
// its holder and the given PIDs, for leftover checks.
func (h *Host) Processes(except ...int) []string {
	var out []string
	for _, p := range procsInNetNS(h.netID) {
		if p == h.holderPID || slices.Contains(except, p) {
			continue
		}
		out = append(out, procName(p))
	}
	return out
}
