package vm

import (
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// The guest's directory for the second stage, in the overlay's RAM layer.
const stageDir = "/.gsn-vm"

// stage1 is the initramfs's /init (busybox sh): load the modules 9p and
// overlayfs need, mount the host's root read-only, put a tmpfs overlay on
// it, copy busybox and the second stage into it and switch to it.
const stage1 = `#!/bin/busybox sh
B=/bin/busybox
fail() {
	echo "vm stage 1: $*"
	echo "` + ExitMarker + `125"
	$B poweroff -f
	$B sleep 60
}
$B mkdir -p /proc /dev /host /rw /newroot
$B mount -t proc proc /proc
$B mount -t devtmpfs devtmpfs /dev
for m in $($B cat /modules.list); do
	$B insmod "/modules/$m" || fail "insmod $m"
done
$B mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=262144 ` + rootTag + ` /host ||
	fail "cannot mount the host's root over virtio-9p"
$B mount -t tmpfs -o mode=0755,size=80% gsnrw /rw || fail "tmpfs"
$B mkdir /rw/upper /rw/work
$B mount -t overlay -o lowerdir=/host,upperdir=/rw/upper,workdir=/rw/work gsnroot /newroot ||
	fail "cannot put an overlay on the host's root"
$B mkdir -p /newroot` + stageDir + ` && $B cp /bin/busybox /stage2 /newroot` + stageDir + `/ || fail "copying the second stage"
$B umount /proc
$B umount /dev
exec $B switch_root /newroot ` + stageDir + `/busybox sh ` + stageDir + `/stage2
`

// stage2 renders the second stage (busybox sh, PID 1 in the host's root
// under the overlay).
func stage2(cfg Config) []byte {
	var b bytes.Buffer
	b.WriteString(`B=` + stageDir + `/busybox
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
finish() {
	echo "` + ExitMarker + `$1"
	$B sync
	$B poweroff -f
	$B sleep 60
}
fail() {
	echo "vm stage 2: $*"
	finish 125
}
$B mount -t proc proc /proc || fail /proc
$B mount -t sysfs sysfs /sys || fail /sys
$B mount -t devtmpfs devtmpfs /dev || fail /dev
$B mkdir -p /dev/pts /dev/shm
$B mount -t devpts devpts /dev/pts
$B mount -t tmpfs -o mode=1777 tmpfs /dev/shm
# A fresh /run: nothing of the host's (its /run/netns entries) must show.
$B mount -t tmpfs -o mode=0755 gsnrun /run || fail /run
$B mkdir -p /run/lock /run/netns
`)
	for i, s := range cfg.Shares {
		fmt.Fprintf(&b, "$B mkdir -p %[1]s && $B mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 %[2]s%[3]d %[1]s || fail %[4]s\n",
			shQuote(s.Guest), shareTag, i, shQuote("cannot mount share "+s.Guest))
	}
	for _, d := range cfg.Tmpfs {
		fmt.Fprintf(&b, "$B mkdir -p %[1]s && $B mount -t tmpfs -o mode=0755 gsntmp %[1]s || fail %[1]s\n", shQuote(d))
	}
	// A syslog that drops everything: programs that find no /dev/log
	// (strongSwan's starter) would write to the console instead.
	b.WriteString("$B hostname gsn-vm\n$B ip link set lo up\n$B syslogd -O /dev/null\n")
	if len(cfg.Modprobe) > 0 {
		// The host's modprobe (kmod) when there is one, as the kernel's
		// on-demand loading uses it; busybox's otherwise.
		fmt.Fprintf(&b, "mp=$(command -v modprobe || echo \"$B modprobe\")\nfor m in %s; do $mp -q \"$m\" 2>/dev/null; done\n",
			strings.Join(cfg.Modprobe, " "))
	}
	fmt.Fprintf(&b, "cd %s || fail %s\n", shQuote(cfg.Dir), shQuote("no directory "+cfg.Dir))
	env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C", "TERM=dumb", "USER=root", "LOGNAME=root"}
	env = append(env, cfg.Env...)
	b.WriteString("$B env -i")
	for _, e := range env {
		b.WriteString(" " + shQuote(e))
	}
	for _, a := range cfg.Argv {
		b.WriteString(" " + shQuote(a))
	}
	b.WriteString("\nfinish $?\n")
	return b.Bytes()
}

// shQuote quotes s for sh.
func shQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// buildInitramfs writes the first stage: busybox, the modules, /init and
// the second stage.
func buildInitramfs(out string, cfg Config) error {
	mi, err := readModuleIndex(cfg.ModulesDir)
	if err != nil {
		return err
	}
	order, err := mi.loadOrder(stage1Modules...)
	if err != nil {
		return err
	}
	bb, err := os.ReadFile(cfg.Busybox)
	if err != nil {
		return err
	}
	entries := []cpioEntry{
		{Name: "bin/busybox", Mode: 0o755, Data: bb},
		{Name: "init", Mode: 0o755, Data: []byte(stage1)},
		{Name: "stage2", Mode: 0o755, Data: stage2(cfg)},
	}
	var list []string
	for i, rel := range order {
		data, err := os.ReadFile(filepath.Join(cfg.ModulesDir, rel))
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%02d-%s", i, path.Base(rel))
		list = append(list, name)
		entries = append(entries, cpioEntry{Name: "modules/" + name, Mode: 0o644, Data: data})
	}
	entries = append(entries, cpioEntry{Name: "modules.list", Mode: 0o644, Data: []byte(strings.Join(list, "\n") + "\n")})
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	if err := writeInitramfs(f, entries); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
