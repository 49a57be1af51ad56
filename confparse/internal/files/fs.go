// Package files gives strongSwan's parsers their view of the file system:
// reading regular files, include patterns expanded as glob(3) does, and the
// include stack that detects loops.
package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sort"
	"strings"
	"syscall"
)

// MaxFileSize bounds what a parser reads from one file. strongSwan has no such
// limit; a configuration file that large is a mistake (an include of a log or
// a device), and reading it whole would only exhaust memory.
const MaxFileSize = 16 << 20

// ErrNotRegular is returned by ReadFile for anything but a regular file;
// strongSwan's parser_helper skips such files.
var ErrNotRegular = errors.New("not a regular file")

// FS is the file system a parser reads from. OS is the real one; Map serves
// tests and fuzzing.
type FS interface {
	// ReadFile returns the contents of the regular file name and an identity
	// that is equal for two names of the same file (device and inode).
	ReadFile(name string) (data []byte, id any, err error)
	// Exists reports whether name exists, without following a final
	// symbolic link (glob(3) uses lstat for names without wildcards).
	Exists(name string) bool
	// ReadDir lists the names in directory name.
	ReadDir(name string) ([]string, error)
	// Identify returns the identity ReadFile would return for name, or nil.
	Identify(name string) any
}

// OS is the operating system's file system.
type OS struct{}

type inode struct{ dev, ino uint64 }

func (OS) ReadFile(name string) ([]byte, any, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	var id any = name
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		id = inode{uint64(sys.Dev), uint64(sys.Ino)}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxFileSize+1))
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxFileSize {
		return nil, nil, fmt.Errorf("%s: larger than %d bytes", name, MaxFileSize)
	}
	return data, id, nil
}

func (OS) Identify(name string) any {
	st, err := os.Stat(name)
	if err != nil {
		return nil
	}
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		return inode{uint64(sys.Dev), uint64(sys.Ino)}
	}
	return nil
}

func (OS) Exists(name string) bool {
	_, err := os.Lstat(name)
	return err == nil
}

func (OS) ReadDir(name string) ([]string, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}

// Map is an in-memory file system: file names (cleaned, absolute or
// relative) to contents. Directories exist implicitly.
type Map map[string]string

func (m Map) ReadFile(name string) ([]byte, any, error) {
	p := path.Clean(name)
	if s, ok := m[p]; ok {
		return []byte(s), p, nil
	}
	if m.isDir(p) {
		return nil, nil, fmt.Errorf("%s: %w", name, ErrNotRegular)
	}
	return nil, nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
}

func (m Map) isDir(p string) bool {
	prefix := p + "/"
	if p == "/" {
		prefix = "/"
	}
	for k := range m {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func (m Map) Identify(name string) any {
	if _, ok := m[path.Clean(name)]; ok {
		return path.Clean(name)
	}
	return nil
}

func (m Map) Exists(name string) bool {
	p := path.Clean(name)
	_, ok := m[p]
	return ok || m.isDir(p)
}

func (m Map) ReadDir(name string) ([]string, error) {
	p := path.Clean(name)
	if _, ok := m[p]; ok {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: syscall.ENOTDIR}
	}
	prefix := p + "/"
	if p == "/" {
		prefix = "/"
	} else if p == "." {
		prefix = ""
	}
	seen := map[string]bool{}
	var out []string
	for k := range m {
		if prefix != "" && !strings.HasPrefix(k, prefix) {
			continue
		}
		if prefix == "" && strings.HasPrefix(k, "/") {
			continue
		}
		rest := k[len(prefix):]
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			rest = rest[:i]
		}
		if rest != "" && !seen[rest] {
			seen[rest] = true
			out = append(out, rest)
		}
	}
	if len(out) == 0 {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: fs.ErrNotExist}
	}
	sort.Strings(out)
	return out, nil
}
