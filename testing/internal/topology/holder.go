package topology

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// holderArg, as the first argument, makes any program that links this
// package the holder of a host (see init): the topology re-executes its own
// binary (os.Executable) for each host, under nsenter and unshare, instead
// of a shell script calling mount(8) a dozen times. In the kernel lane's
// TCG guest every exec of a dynamically linked program costs a good part of
// a second; the holder is now three execs instead of fifteen.
const holderArg = "__goswan_topology_holder__"

func init() {
	if len(os.Args) > 1 && os.Args[1] == holderArg {
		if err := holderMain(os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "holder: %v\n", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
}

// holderMain runs as the holder inside the host's network namespace, in a
// fresh mount and UTS namespace with private propagation (unshare made
// them). It mounts the host's private /etc, /run, /var/log and /tmp and a
// /sys that shows the namespace's own devices, sets the hostname and
// forwarding, reports "ready" on stdout and then only keeps the namespaces
// alive until it is signalled.
//
// Arguments: scratch dir, staged etc dir, hostname, forward (0|1), then
// pairs of bind-mount source and target.
func holderMain(args []string) error {
	if len(args) < 4 || len(args)%2 != 0 {
		return errors.New("usage: scratch stage hostname forward [source target]…")
	}
	scratch, stage, name, forward := args[0], args[1], args[2], args[3]
	mount := func(src, target, fstype string, flags uintptr, data string) error {
		if err := unix.Mount(src, target, fstype, flags, data); err != nil {
			return fmt.Errorf("mount %s on %s: %w", fstype+src, target, err)
		}
		return nil
	}
	if err := mount("goswan-scratch", scratch, "tmpfs", 0, "mode=0700"); err != nil {
		return err
	}
	// The merged /etc takes its mode from the upper directory: keep it
	// 0755 so that programs that drop root (tcpdump) can still read
	// /etc/hosts.
	upper, work := filepath.Join(scratch, "upper"), filepath.Join(scratch, "work")
	for _, d := range []string{upper, work} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return err
		}
		if err := os.Chmod(d, 0o755); err != nil { // umask
			return err
		}
	}
	if err := mount("goswan-etc", "/etc", "overlay", 0, "lowerdir=/etc,upperdir="+upper+",workdir="+work); err != nil {
		return err
	}
	if err := copyTree(stage, "/etc"); err != nil {
		return err
	}
	for i := 4; i+1 < len(args); i += 2 {
		if err := mount(args[i], args[i+1], "", unix.MS_BIND, ""); err != nil {
			return err
		}
	}
	for _, m := range []struct{ target, name, mode string }{
		{"/run", "goswan-run", "0755"}, {"/var/log", "goswan-log", "0755"}, {"/tmp", "goswan-tmp", "1777"},
	} {
		if err := mount(m.name, m.target, "tmpfs", 0, "mode="+m.mode); err != nil {
			return err
		}
	}
	// sysfs shows the devices of the namespace of the task that mounts
	// it, as ip netns exec arranges for its commands.
	_ = unix.Unmount("/sys", unix.MNT_DETACH)
	if err := mount("sysfs", "/sys", "sysfs", 0, ""); err != nil {
		return err
	}
	if err := unix.Sethostname([]byte(name)); err != nil {
		return fmt.Errorf("sethostname: %w", err)
	}
	if forward == "1" {
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
