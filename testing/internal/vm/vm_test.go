package vm

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

// readNewc parses a gzip-compressed newc archive into name -> (mode, data).
func readNewc(t *testing.T, b []byte) (names []string, modes map[string]uint32, data map[string]string) {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	modes, data = map[string]uint32{}, map[string]string{}
	off := 0
	align := func() { off = (off + 3) &^ 3 }
	for {
		h := string(raw[off : off+110])
		if h[:6] != "070701" {
			t.Fatalf("bad magic at %d: %q", off, h[:6])
		}
		field := func(i int) int {
			n, err := strconv.ParseUint(h[6+8*i:14+8*i], 16, 32)
			if err != nil {
				t.Fatal(err)
			}
			return int(n)
		}
		mode, size, nameLen := field(1), field(6), field(11)
		off += 110
		name := string(raw[off : off+nameLen-1])
		off += nameLen
		align()
		if name == "TRAILER!!!" {
			return names, modes, data
		}
		names = append(names, name)
		modes[name] = uint32(mode)
		data[name] = string(raw[off : off+size])
		off += size
		align()
	}
}

func TestInitramfs(t *testing.T) {
	var buf bytes.Buffer
	err := writeInitramfs(&buf, []cpioEntry{
		{Name: "bin/busybox", Mode: 0o755, Data: []byte("ELF")},
		{Name: "/init", Mode: 0o755, Data: []byte("#!/bin/busybox sh\n")},
		{Name: "modules/01-a.ko", Mode: 0o644, Data: []byte("abcde")},
		{Name: "bin/sh", Link: "busybox"},
	})
	if err != nil {
		t.Fatal(err)
	}
	names, modes, data := readNewc(t, buf.Bytes())
	if want := []string{"bin", "bin/busybox", "bin/sh", "init", "modules", "modules/01-a.ko"}; !reflect.DeepEqual(names, want) {
		t.Fatalf("names %v, want %v (parents first)", names, want)
	}
	if modes["bin"] != 0o040755 || modes["init"] != 0o100755 || modes["bin/sh"] != 0o120777 {
		t.Errorf("modes %v", modes)
	}
	if data["modules/01-a.ko"] != "abcde" || data["bin/sh"] != "busybox" {
		t.Errorf("data %q", data)
	}
	if err := writeInitramfs(io.Discard, []cpioEntry{{Name: "a", Data: []byte("x")}, {Name: "a/b"}}); err == nil {
		t.Error("a file used as a directory: no error")
	}
	if err := writeInitramfs(io.Discard, []cpioEntry{{Name: "a"}, {Name: "a"}}); err == nil {
		t.Error("a file twice: no error")
	}
}

func TestModuleLoadOrder(t *testing.T) {
	dir := t.TempDir()
	dep := "kernel/fs/9p/9p.ko: kernel/fs/fscache/fscache.ko kernel/net/9p/9pnet.ko kernel/fs/netfs/netfs.ko\n" +
		"kernel/net/9p/9pnet.ko:\n" +
		"kernel/fs/netfs/netfs.ko:\n" +
		"kernel/fs/fscache/fscache.ko: kernel/fs/netfs/netfs.ko\n" +
		"kernel/net/9p/9pnet_virtio.ko: kernel/net/9p/9pnet.ko kernel/drivers/virtio/virtio_ring.ko\n" +
		"kernel/drivers/virtio/virtio_ring.ko:\n" +
		"kernel/fs/z.ko.xz:\n"
	if err := os.WriteFile(filepath.Join(dir, "modules.dep"), []byte(dep), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modules.builtin"), []byte("kernel/drivers/virtio/virtio_pci.ko\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mi, err := readModuleIndex(dir)
	if err != nil {
		t.Fatal(err)
	}
	order, err := mi.loadOrder("virtio-pci", "9pnet_virtio", "9p")
	if err != nil {
		t.Fatal(err)
	}
	pos := map[string]int{}
	for i, m := range order {
		pos[moduleName(m)] = i
	}
	if len(order) != 6 {
		t.Fatalf("order %v: want each of the six files once (virtio_pci is built in)", order)
	}
	for _, before := range [][2]string{{"netfs", "fscache"}, {"fscache", "9p"}, {"9pnet", "9p"}, {"9pnet", "9pnet_virtio"}, {"virtio_ring", "9pnet_virtio"}} {
		if pos[before[0]] > pos[before[1]] {
			t.Errorf("%s after %s in %v", before[0], before[1], order)
		}
	}
	if _, err := mi.loadOrder("nonesuch"); err == nil {
		t.Error("unknown module: no error")
	}
	if _, err := mi.loadOrder("z"); err == nil || !strings.Contains(err.Error(), "compressed") {
		t.Errorf("compressed module: %v", err)
	}
}

func TestStage2QuotesTheCommand(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		testenv.Unavailable(t, "needs sh")
	}
	argv := []string{"printf", "%s|", "it's", "two words", `$HOME "q" \n`}
	script := string(stage2(Config{Argv: argv, Dir: "/", Env: []string{"X=a b"}}))
	line := ""
	for _, l := range strings.Split(script, "\n") {
		if strings.HasPrefix(l, "$B env -i") {
			line = strings.TrimPrefix(l, "$B env -i ")
		}
	}
	if line == "" {
		t.Fatalf("no command line in:\n%s", script)
	}
	// The quoted words, given to a shell, come back as they were.
	out, err := exec.Command(sh, "-c", "printf '%s\\n' "+line).Output()
	if err != nil {
		t.Fatal(err)
	}
	words := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	want := append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C", "TERM=dumb", "USER=root", "LOGNAME=root", "X=a b"}, argv...)
	if !reflect.DeepEqual(words, want) {
		t.Errorf("words %q\nwant  %q", words, want)
	}
}

func TestVersionLess(t *testing.T) {
	if !versionLess("/boot/vmlinuz-6.1.0-9-amd64", "/boot/vmlinuz-6.1.0-57-amd64") || versionLess("/boot/vmlinuz-6.10.0-1-amd64", "/boot/vmlinuz-6.9.0-1-amd64") {
		t.Error("versionLess does not compare numbers as numbers")
	}
}

func TestQemuArgs(t *testing.T) {
	args := strings.Join(qemuArgs(Config{SMP: 2, MemMB: 1024, Kernel: "/k", Shares: []Share{{Host: "/a,b", Guest: "/x"}}}, "/i"), " ")
	for _, want := range []string{"-accel tcg", "-smp 2", "-m 1024", "path=/,mount_tag=gsnroot,security_model=none,readonly=on", "path=/a,,b,mount_tag=gsnshare0"} {
		if !strings.Contains(args, want) {
			t.Errorf("qemu args lack %q: %s", want, args)
		}
	}
	if strings.Contains(args, "-netdev") || strings.Contains(args, "-nic") {
		t.Errorf("the guest must have no network device: %s", args)
	}
}
