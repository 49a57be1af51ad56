// Package nshost makes hosts for tests and test lanes on one Linux machine:
// a host is a network namespace of its own with a long-lived holder process
// that owns the host's private mount and UTS namespaces. Inside it, chosen
// files are placed (over the machine's, or where the machine has none),
// chosen programs are bind-mounted in, and chosen directories (/run, /tmp,
// /var/log) are empty tmpfs mounts; nothing of it shows outside. Commands
// enter a host with nsenter, after a check that its namespaces are still the
// ones made for it. Close ends every process in the host's network
// namespace (by PID through a pidfd) and deletes it.
//
// It is the one namespace harness of the repository: the scenario lane's
// topology, the demo and the benchmark build their hosts with it, and so do
// the tests that run Debian's strongSwan or goswan's binaries in private
// namespaces (New, for a *testing.T).
package nshost

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// File is a file to place inside a host.
type File struct {
	// Path is absolute. Files under /etc go into an overlay of the
	// machine's /etc; a file elsewhere goes into an overlay of its nearest
	// existing directory, so it may replace a file of the machine or create
	// one (with its missing parent directories) where the machine has none.
	Path string
	Mode os.FileMode
	Data []byte
}

// Bind bind-mounts a file or directory of the machine into a host.
type Bind struct {
	Source string // path on the machine; read before the host's tmpfs mounts, so it may be under /tmp
	Target string // path inside the host; created (empty) first if the machine has none
}

// Spec says how to make one host.
type Spec struct {
	// Name is the host name (its hostname, and part of messages).
	Name string
	// NetNS names its network namespace ("PREFIX-HOST", unique on the
	// machine).
	NetNS string
	// Files are placed in the host, in order (later files win).
	Files []File
	// Binds are mounted after the files.
	Binds []Bind
	// Private directories get an empty tmpfs of their own, after the
	// binds.
	Private []string
	// Forward turns on IPv4 and IPv6 forwarding in the host.
	Forward bool
	// Env is the environment of every command run in the host (PATH
	// included).
	Env []string
	// Logf, if set, hears which processes Close had to kill.
	Logf func(format string, args ...any)
}

// Host is a started host. Close it.
type Host struct {
	Name  string
	NetNS string
	spec  Spec

	// own are the directories whose content is the host's alone (its
	// overlays and private directories): WriteFile writes only there.
	own []string

	holderPID int
	holderT0  uint64 // holder start time, against PID reuse
	netID     nsID
	mntID     nsID
	scratch   string
	closed    bool
}

// ErrOutside is returned instead of running a command that would not run
// inside the host's own namespaces.
var ErrOutside = errors.New("refusing to run outside the host's namespaces")

// Start creates the host's network namespace (recorded in sc) and starts
// its holder. The host's own files go in a directory of sc named after it.
// On error nothing of the host is left running (the namespace stays
// recorded in sc, for its owner's teardown).
func Start(ctx context.Context, sc *Scratch, spec Spec) (h *Host, err error) {
	h = &Host{Name: spec.Name, NetNS: spec.NetNS, spec: spec, scratch: filepath.Join(sc.Dir, spec.Name)}
	if spec.Name == "" || strings.ContainsAny(spec.Name, "/ ") {
		return nil, fmt.Errorf("bad host name %q", spec.Name)
	}
	plan, err := planFiles(spec)
	if err != nil {
		return nil, fmt.Errorf("host %s: %w", spec.Name, err)
	}
	if err := sc.AddNetNS(ctx, spec.NetNS); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			_ = h.Close()
			h = nil
		}
	}()
	if err := h.startHolder(ctx, plan); err != nil {
		return h, fmt.Errorf("host %s: %w", spec.Name, err)
	}
	h.own = append(append(h.own, plan.overlays...), spec.Private...)
	sc.addHost(h)
	return h, nil
}

// filePlan is what the holder mounts: the overlay directories (parents
// before children are never both listed), the staged files below stage,
// and the binds.
type filePlan struct {
	overlays []string
	files    []File // with placeholders for missing bind targets
	binds    []Bind
}

// planFiles decides which directories get an overlay: /etc for files below
// it, otherwise the nearest directory that exists on the machine.
func planFiles(spec Spec) (filePlan, error) {
	p := filePlan{binds: spec.Binds}
	p.files = append(p.files, spec.Files...)
	for _, b := range spec.Binds {
		if !filepath.IsAbs(b.Source) || !filepath.IsAbs(b.Target) {
			return p, fmt.Errorf("bind %s -> %s: paths must be absolute", b.Source, b.Target)
		}
		fi, err := os.Stat(b.Source)
		if err != nil {
			return p, fmt.Errorf("bind: %w", err)
		}
		if _, err := os.Lstat(b.Target); errors.Is(err, os.ErrNotExist) {
			if fi.IsDir() {
				return p, fmt.Errorf("bind %s: directory target %s must exist", b.Source, b.Target)
			}
			p.files = append(p.files, File{Path: b.Target, Mode: 0o755})
		}
	}
	var dirs []string
	for _, f := range p.files {
		clean := filepath.Clean(f.Path)
		if !filepath.IsAbs(f.Path) || clean != f.Path || clean == "/" {
			return p, fmt.Errorf("bad file path %q", f.Path)
		}
		for _, priv := range spec.Private {
			if clean == priv || strings.HasPrefix(clean, priv+"/") {
				return p, fmt.Errorf("file %s is below private directory %s", clean, priv)
			}
		}
		dir := "/etc"
		if !strings.HasPrefix(clean, "/etc/") {
			dir = filepath.Dir(clean)
			for {
				if fi, err := os.Stat(dir); err == nil && fi.IsDir() {
					break
				}
				dir = filepath.Dir(dir)
			}
			if dir == "/" {
				return p, fmt.Errorf("file %s: will not overlay /", clean)
			}
		}
		dirs = append(dirs, dir)
	}
	// An overlay of a directory covers its subdirectories: keep the
	// outermost of nested ones.
	slices.Sort(dirs)
	for _, d := range slices.Compact(dirs) {
		if n := len(p.overlays); n > 0 && strings.HasPrefix(d, p.overlays[n-1]+"/") {
			continue
		}
		p.overlays = append(p.overlays, d)
	}
	return p, nil
}

// stage writes the files below dir, each at its absolute path.
func (p filePlan) stage(dir string) error {
	for _, d := range p.overlays {
		if err := os.MkdirAll(dir+d, 0o755); err != nil {
			return err
		}
		// cp -p copies the staged directory's own mode onto the overlay's
		// root: keep the machine's.
		if fi, err := os.Stat(d); err == nil {
			if err := os.Chmod(dir+d, fi.Mode().Perm()); err != nil {
				return err
			}
		}
	}
	for _, f := range p.files {
		path := dir + f.Path
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, f.Data, f.Mode.Perm()); err != nil {
			return err
		}
		if err := os.Chmod(path, f.Mode.Perm()); err != nil { // WriteFile's mode is masked by umask
			return err
		}
	}
	return nil
}

// startHolder stages the host's files and starts its holder.
func (h *Host) startHolder(ctx context.Context, plan filePlan) error {
	stage := filepath.Join(h.scratch, "stage")
	mnt := filepath.Join(h.scratch, "mnt")
	for _, d := range []string{stage, mnt} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return err
		}
	}
	if err := plan.stage(stage); err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	// The holder is this program again (holder.go), in the host's network
	// namespace and fresh mount and UTS namespaces.
	args := append([]string{"--net=/run/netns/" + h.NetNS, "--", "unshare", "--mount", "--uts", "--propagation", "private", "--",
		self, holderArg}, holderArgs{scratch: mnt, stage: stage, name: h.Name, forward: h.spec.Forward,
		overlays: plan.overlays, binds: plan.binds, private: h.spec.Private}.argv()...)
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
	// nsenter and unshare exec in place, so the PID stays the holder's; its
	// namespaces are recorded once it reports ready.
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

// verify checks, before every command, that the host's namespaces are still
// the ones created for it and differ from this process's own: the holder is
// the same process (PID and start time), its mount namespace is the recorded
// one, and /run/netns/NAME still names the recorded network namespace.
func (h *Host) verify() error {
	if h.closed {
		return fmt.Errorf("%w: host %s is closed", ErrOutside, h.Name)
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
		return fmt.Errorf("%w: host %s shares this process's namespace", ErrOutside, h.Name)
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
		"--wdns=/", "--"}, argv...)
}

// Command returns a command that runs argv inside the host (nsenter execs
// it, so its PID is the program's), with the host's environment plus env,
// in its own process group. The caller sets up its I/O and runs it.
func (h *Host) Command(env []string, argv ...string) (*exec.Cmd, error) {
	if err := h.verify(); err != nil {
		return nil, err
	}
	line := h.enter(argv...)
	cmd := exec.Command(line[0], line[1:]...)
	cmd.Env = append(append([]string(nil), h.spec.Env...), env...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	return cmd, nil
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

	cmd, err := h.Command(nil, argv...)
	if err != nil {
		return res(Result{ExitCode: -1, Err: err})
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd.Stdin = stdin
	cmd.Stdout, cmd.Stderr = outF, errF
	cmd.WaitDelay = 2 * time.Second
	if err := cmd.Start(); err != nil {
		return res(Result{ExitCode: -1, Err: err})
	}
	// The whole process group goes at the timeout, not just nsenter.
	stop := context.AfterFunc(ctx, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err = cmd.Wait()
	stop()
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
// to the given files (which live in this process's namespace). The caller
// stops it (Close would end it anyway).
func (h *Host) Start(stdout, stderr *os.File, argv ...string) (*exec.Cmd, error) {
	cmd, err := h.Command(nil, argv...)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	return cmd, nil
}

// Path returns the path through which this process reaches path inside the
// host (through the holder's root, so inside the host's mount namespace).
func (h *Host) Path(path string) (string, error) {
	if err := h.verify(); err != nil {
		return "", err
	}
	return fmt.Sprintf("/proc/%d/root%s", h.holderPID, filepath.Clean("/"+path)), nil
}

// Owns reports whether path inside the host is the host's alone (below one
// of its overlays or private directories), not the machine's.
func (h *Host) Owns(path string) bool {
	path = filepath.Clean("/" + path)
	for _, d := range h.own {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
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

// Signal sends sig to pid if that process lives in the host (by its
// network namespace, through a pidfd: a reused PID is never hit).
func (h *Host) Signal(pid int, sig syscall.Signal) error {
	if err := h.verify(); err != nil {
		return err
	}
	if pid == h.holderPID {
		return fmt.Errorf("%d is the holder of host %s", pid, h.Name)
	}
	return signalInNetNS(pid, h.netID, sig)
}

// Close ends every process in the host's network namespace, the holder
// included, and deletes the namespace. It is safe to call twice. The host's
// scratch files stay, for the owner of the Scratch to remove.
func (h *Host) Close() error {
	if h == nil || h.closed {
		return nil
	}
	h.closed = true
	return errors.Join(Teardown([]string{h.NetNS}, h.spec.Logf)...)
}
