package vm

import (
	"compress/gzip"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
)

// cpioEntry is one file, directory or symlink of an initramfs.
type cpioEntry struct {
	Name string // path without a leading slash
	Mode uint32 // permission bits
	Dir  bool
	Link string // symlink target, for symlinks
	Data []byte
}

// Unix file type bits of the newc header's mode field.
const (
	modeDir     = 0o040000
	modeRegular = 0o100000
	modeSymlink = 0o120000
)

// writeInitramfs writes entries as a gzip-compressed cpio archive in the
// "newc" format the kernel unpacks into its rootfs. Parent directories are
// added where missing and every entry comes after its parent, as the kernel
// creates files in archive order.
func writeInitramfs(w io.Writer, entries []cpioEntry) error {
	all := map[string]cpioEntry{}
	for _, e := range entries {
		e.Name = strings.TrimPrefix(path.Clean("/"+e.Name), "/")
		if e.Name == "" {
			return fmt.Errorf("initramfs: empty file name")
		}
		if old, dup := all[e.Name]; dup && !(old.Dir && e.Dir) {
			return fmt.Errorf("initramfs: %s added twice", e.Name)
		}
		all[e.Name] = e
		for d := path.Dir(e.Name); d != "."; d = path.Dir(d) {
			if p, ok := all[d]; ok && !p.Dir {
				return fmt.Errorf("initramfs: %s is a file and a directory", d)
			}
			if _, ok := all[d]; !ok {
				all[d] = cpioEntry{Name: d, Dir: true, Mode: 0o755}
			}
		}
	}
	names := make([]string, 0, len(all))
	for n := range all {
		names = append(names, n)
	}
	// Sorting by name puts every directory before what it holds.
	sort.Strings(names)
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return err
	}
	cw := &cpioWriter{w: zw}
	for i, n := range names {
		e := all[n]
		mode, data := modeRegular|e.Mode&0o7777, e.Data
		switch {
		case e.Dir:
			mode, data = modeDir|e.Mode&0o7777, nil
		case e.Link != "":
			mode, data = modeSymlink|0o777, []byte(e.Link)
		}
		if err := cw.entry(uint32(i+1), n, mode, data); err != nil {
			return err
		}
	}
	if err := cw.entry(0, "TRAILER!!!", 0, nil); err != nil {
		return err
	}
	return zw.Close()
}

type cpioWriter struct {
	w   io.Writer
	off int64
	err error
}

func (c *cpioWriter) write(b []byte) {
	if c.err != nil {
		return
	}
	n, err := c.w.Write(b)
	c.off += int64(n)
	c.err = err
}

// pad aligns the archive to four bytes, as newc requires after the header
// and name and after the data.
func (c *cpioWriter) pad() {
	if r := c.off % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

func (c *cpioWriter) entry(ino uint32, name string, mode uint32, data []byte) error {
	nlink := uint32(1)
	if mode&0o170000 == modeDir {
		nlink = 2
	}
	// magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
	// devminor, rdevmajor, rdevminor, namesize (with NUL), check
	hdr := fmt.Sprintf("070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		ino, mode, 0, 0, nlink, 0, len(data), 0, 0, 0, 0, len(name)+1, 0)
	c.write([]byte(hdr))
	c.write(append([]byte(name), 0))
	c.pad()
	c.write(data)
	c.pad()
	return c.err
}
