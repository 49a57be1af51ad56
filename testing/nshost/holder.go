package nshost

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// holderArg, as the first argument, makes any program that links this
// package the holder of a host (see init): Start re-executes its own binary
// (os.Executable) for each host, under nsenter and unshare, instead of a
// shell script calling mount(8), cp and stat a dozen times. In the kernel
// lane's TCG guest every exec of a dynamically linked program costs a good
// part of a second; the holder is now three execs instead of fifteen.
const holderArg = "__goswan_nshost_holder__"

func init() {
	if len(os.Args) > 1 && os.Args[1] == holderArg {
		if err := holderMain(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "holder: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// holderArgs is what the holder is told, in the order of its command line:
// scratch tmpfs dir, stage dir, hostname, forward (0|1), the number of
// overlay directories and the directories, the number of binds and pairs of
// source and target, then the private directories.
type holderArgs struct {
	scratch, stage, name string
	forward              bool
	overlays             []string
	binds                []Bind
	private              []string
}

func (a holderArgs) argv() []string {
	forward := "0"
	if a.forward {
		forward = "1"
	}
	argv := []string{a.scratch, a.stage, a.name, forward, strconv.Itoa(len(a.overlays))}
	argv = append(argv, a.overlays...)
	argv = append(argv, strconv.Itoa(len(a.binds)))
	for _, b := range a.binds {
		argv = append(argv, b.Source, b.Target)
	}
	return append(argv, a.private...)
}

func parseHolderArgs(argv []string) (a holderArgs, err error) {
	bad := errors.New("usage: scratch stage hostname forward N overlay… N [source target]… private…")
	count := func() (int, error) {
		if len(argv) == 0 {
			return 0, bad
		}
		n, err := strconv.Atoi(argv[0])
		if err != nil || n < 0 {
			return 0, bad
		}
		argv = argv[1:]
		return n, nil
	}
	if len(argv) < 4 || (argv[3] != "0" && argv[3] != "1") {
		return a, bad
	}
	a.scratch, a.stage, a.name, a.forward = argv[0], argv[1], argv[2], argv[3] == "1"
	argv = argv[4:]
	n, err := count()
	if err != nil || n > len(argv) {
		return a, bad
	}
	a.overlays, argv = argv[:n], argv[n:]
	if n, err = count(); err != nil || 2*n > len(argv) {
		return a, bad
	}
	for i := 0; i < n; i++ {
		a.binds = append(a.binds, Bind{Source: argv[2*i], Target: argv[2*i+1]})
	}
	a.private = argv[2*n:]
	return a, nil
}

// holderMain runs as the holder inside the host's network namespace, in a
// fresh mount and UTS namespace with private propagation (unshare made
// them). It mounts the host's overlays and copies its staged files in,
// mounts the binds and the private tmpfs directories and a /sys that shows
// the namespace's own devices, sets the hostname and forwarding, reports
// "ready" on stdout and then only keeps the namespaces alive until it is
// signalled.
func holderMain(argv []string) error {
	a, err := parseHolderArgs(argv)
	if err != nil {
		return err
	}
	if err := mount("goswan-scratch", a.scratch, "tmpfs", 0, "mode=0700"); err != nil {
		return err
	}
	for i, dir := range a.overlays {
		if err := overlay(a.scratch, i, dir, a.stage); err != nil {
			return err
		}
	}
	for _, b := range a.binds {
		if err := mount(b.Source, b.Target, "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	for _, dir := range a.private {
		mode, err := dirMode(dir)
		if err != nil {
			return err
		}
		if err := mount("goswan-private", dir, "tmpfs", 0, fmt.Sprintf("mode=%o", mode)); err != nil {
			return err
		}
	}
	// sysfs shows the devices of the namespace of the task that mounts
	// it, as ip netns exec arranges for its commands.
	_ = unix.Unmount("/sys", unix.MNT_DETACH)
	if err := mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(a.name)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	if a.forward {
		for _, p := range []string{"/proc/sys/net/ipv4/ip_forward", "/proc/sys/net/ipv6/conf/all/forwarding"} {
			if err := os.WriteFile(p, []byte("1\n"), 0o644); err != nil {
				return err
			}
		}
	}
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	if _, err := os.Stdout.WriteString("ready\n"); err != nil {
		return err
	}
	os.Stdout.Close()
	os.Stderr.Close()
	<-sigs
	return nil
}

func mount(src, target, fstype string, flags uintptr, data string) error {
	if err := unix.Mount(src, target, fstype, flags, data); err != nil {
		return fmt.Errorf("mount %s on %s: %w", fstype+src, target, err)
	}
	return nil
}

// dirMode returns a directory's permission bits, sticky bit included
// (/tmp's 1777).
func dirMode(dir string) (uint32, error) {
	var st unix.Stat_t
	if err := unix.Stat(dir, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", dir, err)
	}
	return st.Mode & 0o7777, nil
}

// overlay mounts overlay number i over dir, its upper and work directories
// in the scratch tmpfs, and copies the files staged for dir into it.
func overlay(scratch string, i int, dir, stage string) error {
	// An overlay takes its mode from the upper directory: keep the
	// directory's own, or programs that drop root (tcpdump) cannot read it.
	mode, err := dirMode(dir)
	if err != nil {
		return err
	}
	upper, work := filepath.Join(scratch, fmt.Sprint("u", i)), filepath.Join(scratch, fmt.Sprint("w", i))
	for _, d := range []string{upper, work} {
		if err := os.Mkdir(d, 0o700); err != nil {
			return err
		}
	}
	if err := unix.Chmod(upper, mode); err != nil {
		return fmt.Errorf("chmod %s: %w", upper, err)
	}
	if err := mount("goswan-overlay", dir, "overlay", 0, "lowerdir="+dir+",upperdir="+upper+",workdir="+work); err != nil {
		return err
	}
	return copyTree(stage+dir, dir)
}

// copyTree copies the files and directories below src into dst with their
// permission bits, as cp -R -p does for a staged /etc (directories that
// exist keep their mode).
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil || rel == "." {
			return err
		}
		if strings.HasPrefix(rel, "..") {
			return fmt.Errorf("%s is outside %s", p, src)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			if err := os.Mkdir(target, info.Mode().Perm()); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			return nil
		}
		if !info.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", p)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		// Replace, not overwrite: the lower /etc's file may be a symlink
		// (resolv.conf), which must not be followed out of /etc.
		_ = os.Remove(target)
		if err := os.WriteFile(target, b, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Chmod(target, info.Mode().Perm())
	})
}
