// Package unixsock creates the daemon's control sockets (stroke's
// charon.ctl, vici's charon.vici) the way libstrongswan's unix stream
// service does, and renders socket errors as charon's strerror(errno) reads.
package unixsock

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Mode is the mode charon's sockets get: it binds them under
// umask(S_IRWXO), so owner and group may connect and others may not.
const Mode = 0o770

// ErrInUse is returned by Listen when a daemon answers on the socket path.
var ErrInUse = errors.New("socket is in use by a running daemon")

// Config says where and how to listen.
type Config struct {
	// Name prefixes error values ("stroke", "vici").
	Name string
	// Path is the file system path.
	Path string
	// UID and GID own the socket (charon.user, charon.group); -1 leaves
	// that part unchanged.
	UID, GID int
	// Backlog is listen(2)'s backlog.
	Backlog int
	// Logf receives charon's messages about failures (group NET, level
	// 1 in charon); nil drops them.
	Logf func(format string, args ...any)
}

// Listen creates the socket: a stale socket left by a dead daemon is
// removed (a live one is an error wrapping ErrInUse, where charon would
// unlink it from under the running daemon), the new one is bound, gets
// Mode and its owner, and only then listens, so no client can connect
// while it still has the process umask's mode.
func Listen(c Config) (*net.UnixListener, error) {
	logf := c.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	uri := "unix://" + c.Path
	if err := removeStale(c.Name, c.Path); err != nil {
		logf("%v", err)
		return nil, err
	}
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		logf("opening socket '%s' failed: %s", uri, Strerror(err))
		return nil, fmt.Errorf("%s: socket: %w", c.Name, err)
	}
	fail := func(what string, err error) (*net.UnixListener, error) {
		logf("%s socket '%s' failed: %s", what, uri, Strerror(err))
		unix.Close(fd)
		return nil, fmt.Errorf("%s: %s %s: %w", c.Name, what, c.Path, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrUnix{Name: c.Path}); err != nil {
		return fail("binding", err)
	}
	if err := os.Chmod(c.Path, Mode); err != nil {
		os.Remove(c.Path)
		return fail("changing permissions of", err)
	}
	if c.UID != -1 || c.GID != -1 {
		if err := os.Lchown(c.Path, c.UID, c.GID); err != nil {
			// charon goes on without the owner change, and so do we.
			logf("changing socket owner/group for '%s' failed: %s",
				uri, Strerror(err))
		}
	}
	if err := unix.Listen(fd, c.Backlog); err != nil {
		os.Remove(c.Path)
		return fail("listen on", err)
	}
	f := os.NewFile(uintptr(fd), c.Path)
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		os.Remove(c.Path)
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	return ln.(*net.UnixListener), nil
}

// removeStale removes a socket nobody answers on.
func removeStale(name, path string) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if fi.Mode()&os.ModeSocket == 0 {
		return fmt.Errorf("%s: %s exists and is not a socket", name, path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return fmt.Errorf("%s: %s: %w", name, path, ErrInUse)
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return fmt.Errorf("%s: probing %s: %w", name, path, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%s: removing stale socket: %w", name, err)
	}
	return nil
}

// Remove deletes the socket file if it is still the one fi describes
// (another daemon may have replaced it since).
func Remove(path string, fi os.FileInfo) {
	if fi == nil {
		return
	}
	if cur, err := os.Lstat(path); err == nil && os.SameFile(cur, fi) {
		os.Remove(path)
	}
}

// Strerror renders an error the way charon's strerror(errno) reads: a peer
// that closes early is "Connection reset by peer" (charon's read_all sets
// ECONNRESET on EOF), an errno has glibc's capitalised text.
func Strerror(err error) string {
	var errno syscall.Errno
	var ne net.Error
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Connection reset by peer"
	case errors.As(err, &ne) && ne.Timeout():
		return "Connection timed out"
	case errors.As(err, &errno):
		msg := errno.Error()
		if msg != "" {
			return strings.ToUpper(msg[:1]) + msg[1:]
		}
	}
	return err.Error()
}
