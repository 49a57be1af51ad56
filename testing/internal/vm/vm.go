// Package vm runs a command as root inside a qemu guest that boots Debian's
// stock kernel (which has ESP, XFRM, netem, ... as modules) with the host's
// own userland.
//
// The guest's root is the host's root directory shared read-only over
// virtio-9p, under an overlay whose upper layer is a tmpfs: every program,
// library and plugin installed on the host (Debian's strongSwan, iproute2,
// tcpdump, the Go binaries just built) is there at the same path, and
// whatever the guest writes stays in its RAM. Directories shared read-write
// (Share) bring results back to the host. The first stage is a small
// initramfs with busybox and the modules the 9p root needs; it mounts the
// root and switches to it; the second stage is a shell script that mounts
// /proc, /sys, /dev and a fresh /run, loads the kernel modules the tests
// use, runs the command, reports "GSN-VM-EXIT: <status>" on the serial
// console and powers the guest off.
//
// The guest has no network device: nothing it does can reach the host's
// or any other network.
package vm

import (
	"bufio"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Share is a host directory the guest mounts read-write.
type Share struct {
	Host  string // absolute host path
	Guest string // absolute guest path (default: the same path)
}

// Config says how to boot the guest and what to run in it.
type Config struct {
	// Kernel is the vmlinuz to boot; empty picks the newest /boot/vmlinuz-*.
	Kernel string
	// ModulesDir holds the kernel's modules (default
	// /lib/modules/<version>, the version taken from the file name).
	ModulesDir string
	// Busybox is a statically linked busybox for the first stage (default:
	// busybox on PATH, Debian's busybox-static).
	Busybox string
	// SMP and MemMB size the guest (default 2 CPUs, 2048 MB).
	SMP, MemMB int
	// Timeout bounds the whole run, boot included (default 15 minutes).
	Timeout time.Duration
	// Shares are mounted read-write in the guest.
	Shares []Share
	// Tmpfs are guest directories that get an empty tmpfs, so that the
	// guest does not see (a RAM copy of) the host's files there.
	Tmpfs []string
	// Modprobe lists the modules the second stage loads before the
	// command (default DefaultModules); the kernel loads others on demand
	// through the host's modprobe.
	Modprobe []string
	// Dir is the command's working directory in the guest.
	Dir string
	// Env is added to the command's environment (PATH, HOME=/root,
	// LANG=C are set).
	Env []string
	// Argv is the command; it runs as root.
	Argv []string
	// Console receives the serial console as it arrives (nil: discarded);
	// ConsoleLog, when set, is a file that receives it too.
	Console    io.Writer
	ConsoleLog string
	// Logf receives progress lines of the host side (nil: discarded).
	Logf func(format string, args ...any)
}

// DefaultModules are loaded before the command: XFRM and its user
// interface, ESP/AH/IPComp for IPv4 and IPv6, the crypto they use, veth,
// bridge and tun for network namespace topologies, and netem for packet
// loss. Loading them up front keeps the first use of each out of timed
// tests.
var DefaultModules = []string{
	"xfrm_user", "xfrm_algo", "esp4", "esp6", "ah4", "ah6", "ipcomp", "ipcomp6", "xfrm_ipcomp",
	"tunnel4", "xfrm4_tunnel", "tunnel6", "xfrm6_tunnel", "veth", "bridge", "tun", "sch_netem",
	"authenc", "authencesn", "echainiv", "seqiv", "gcm", "ghash_generic", "ccm", "ctr",
	"chacha20poly1305", "chacha_generic", "poly1305_generic", "sha512_generic", "xcbc", "cmac",
	"des_generic", "cast5_generic", "blowfish_generic", "camellia_generic", "serpent_generic",
	"twofish_generic", "aesni_intel",
}

// stage1Modules are what mounting the 9p root and the overlay needs.
var stage1Modules = []string{"virtio_pci", "9pnet_virtio", "9p", "overlay"}

// ExitMarker starts the console line that carries the command's status.
const ExitMarker = "GSN-VM-EXIT: "

var exitLine = regexp.MustCompile(`^` + ExitMarker + `(\d+)`)

// Result is the outcome of a run.
type Result struct {
	ExitCode int // the command's exit status in the guest
	Duration time.Duration
}

// NewestKernel returns the newest /boot/vmlinuz-* by version.
func NewestKernel() (string, error) {
	m, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(m) == 0 {
		return "", errors.New("no kernel image in /boot (apt-get install linux-image-amd64)")
	}
	sort.Slice(m, func(i, j int) bool { return versionLess(m[i], m[j]) })
	return m[len(m)-1], nil
}

// versionLess compares file names as `sort -V` would, closely enough for
// kernel versions: runs of digits compare as numbers.
func versionLess(a, b string) bool {
	split := regexp.MustCompile(`\d+|\D+`)
	pa, pb := split.FindAllString(a, -1), split.FindAllString(b, -1)
	for i := 0; i < len(pa) && i < len(pb); i++ {
		if pa[i] == pb[i] {
			continue
		}
		na, ea := strconv.Atoi(pa[i])
		nb, eb := strconv.Atoi(pb[i])
		if ea == nil && eb == nil {
			return na < nb
		}
		return pa[i] < pb[i]
	}
	return len(pa) < len(pb)
}

func (c *Config) defaults() error {
	if c.Kernel == "" {
		k, err := NewestKernel()
		if err != nil {
			return err
		}
		c.Kernel = k
	}
	if _, err := os.Stat(c.Kernel); err != nil {
		return fmt.Errorf("kernel image: %w", err)
	}
	if c.ModulesDir == "" {
		ver := strings.TrimPrefix(filepath.Base(c.Kernel), "vmlinuz-")
		c.ModulesDir = filepath.Join("/lib/modules", ver)
	}
	if c.Busybox == "" {
		p, err := exec.LookPath("busybox")
		if err != nil {
			return errors.New("no busybox for the guest's first stage (apt-get install busybox-static)")
		}
		c.Busybox = p
	}
	if c.SMP == 0 {
		c.SMP = 2
	}
	if c.MemMB == 0 {
		c.MemMB = 2048
	}
	if c.Timeout == 0 {
		c.Timeout = 15 * time.Minute
	}
	if c.Modprobe == nil {
		c.Modprobe = DefaultModules
	}
	if c.Dir == "" {
		c.Dir = "/"
	}
	if len(c.Argv) == 0 {
		return errors.New("vm: no command to run")
	}
	for i, s := range c.Shares {
		if !filepath.IsAbs(s.Host) {
			return fmt.Errorf("vm: share %q is not an absolute path", s.Host)
		}
		if fi, err := os.Stat(s.Host); err != nil || !fi.IsDir() {
			return fmt.Errorf("vm: share %q is not a directory", s.Host)
		}
		if s.Guest == "" {
			c.Shares[i].Guest = s.Host
		}
	}
	for _, d := range c.Tmpfs {
		if !filepath.IsAbs(d) {
			return fmt.Errorf("vm: tmpfs %q is not an absolute path", d)
		}
	}
	return nil
}

// isStatic reports whether the ELF file at p has no program interpreter,
// i.e. runs in the first stage, which has no shared libraries.
func isStatic(p string) bool {
	f, err := elf.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, ph := range f.Progs {
		if ph.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// Run boots the guest, runs cfg.Argv in it and returns its exit status. An
// error means the guest did not report a status (boot failure, timeout,
// cancellation); the console log says why.
func Run(ctx context.Context, cfg Config) (Result, error) {
	t0 := time.Now()
	if err := cfg.defaults(); err != nil {
		return Result{}, err
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		return Result{}, errors.New("no qemu-system-x86_64 (apt-get install qemu-system-x86)")
	}
	if !isStatic(cfg.Busybox) {
		return Result{}, fmt.Errorf("%s is not statically linked (apt-get install busybox-static)", cfg.Busybox)
	}
	work, err := os.MkdirTemp("", "gsn-vm.")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(work)
	initrd := filepath.Join(work, "initrd.gz")
	if err := buildInitramfs(initrd, cfg); err != nil {
		return Result{}, err
	}
	args := qemuArgs(cfg, initrd)
	logf(cfg, "vm: booting %s (qemu TCG, %d CPUs, %d MB)", cfg.Kernel, cfg.SMP, cfg.MemMB)

	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	cmd := exec.Command(qemu, args...)
	cmd.Stdin = nil
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return Result{}, err
	}
	var qerr bytes.Buffer
	cmd.Stderr = &qerr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var logFile *os.File
	if cfg.ConsoleLog != "" {
		if logFile, err = os.Create(cfg.ConsoleLog); err != nil {
			return Result{}, err
		}
		defer logFile.Close()
	}
	if err := cmd.Start(); err != nil {
		return Result{}, fmt.Errorf("starting qemu: %w", err)
	}
	// qemu is ours: end it by its PID when the context ends.
	stopped := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			_ = cmd.Process.Kill()
		case <-stopped:
		}
	}()
	code := -1
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		if m := exitLine.FindStringSubmatch(line); m != nil {
			code, _ = strconv.Atoi(m[1])
		}
		for _, w := range []io.Writer{cfg.Console, logFile} {
			if w != nil {
				_, _ = io.WriteString(w, line+"\n")
			}
		}
	}
	werr := cmd.Wait()
	close(stopped)
	res := Result{ExitCode: code, Duration: time.Since(t0)}
	switch {
	case code >= 0:
		return res, nil
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return res, fmt.Errorf("vm: the guest did not finish within %v", cfg.Timeout)
	case ctx.Err() != nil:
		return res, fmt.Errorf("vm: %w", ctx.Err())
	default:
		return res, fmt.Errorf("vm: the guest did not report a result (qemu: %v) %s", werr, strings.TrimSpace(qerr.String()))
	}
}

func logf(cfg Config, format string, args ...any) {
	if cfg.Logf != nil {
		cfg.Logf(format, args...)
	}
}

// qemuArgs is qemu's command line: TCG (KVM did not boot guests on the
// machines this lane was written on), no default devices and no network
// device, the serial console on stdout, the host's root read-only and the
// shares read-write over virtio-9p. multidevs=remap keeps inode numbers
// unique across the host's mounts below "/". no_timer_check: on a busy
// machine TCG runs the guest so slowly that the kernel's check of the
// IO-APIC timer times out and panics the boot ("IO-APIC + timer doesn't
// work!"); the check says nothing about what the lane tests.
func qemuArgs(cfg Config, initrd string) []string {
	args := []string{
		"-accel", "tcg,thread=multi", "-cpu", "max", "-smp", strconv.Itoa(cfg.SMP), "-m", strconv.Itoa(cfg.MemMB),
		"-nodefaults", "-nographic", "-no-reboot", "-serial", "stdio",
		"-kernel", cfg.Kernel, "-initrd", initrd,
		"-append", "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3 mitigations=off no_timer_check",
		"-virtfs", "local,path=/,mount_tag=" + rootTag + ",security_model=none,readonly=on,multidevs=remap",
	}
	for i, s := range cfg.Shares {
		args = append(args, "-virtfs", fmt.Sprintf("local,path=%s,mount_tag=%s%d,security_model=none,multidevs=remap", qemuEscape(s.Host), shareTag, i))
	}
	return args
}

const (
	rootTag  = "gsnroot"
	shareTag = "gsnshare"
)

// qemuEscape doubles commas, which separate qemu's suboptions.
func qemuEscape(s string) string { return strings.ReplaceAll(s, ",", ",,") }
