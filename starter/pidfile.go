package starter

import (
	"fmt"
	"io"
	"os"
	"syscall"

	"github.com/goswan/goswan/internal/clib"
)

// checkPID is starter's check_pid: whether the pid file names a live
// process other than this one. A pid file that does not is removed (and
// that is logged).
func checkPID(path string, log *logger) bool {
	if _, err := os.Stat(path); err != nil {
		return false
	}
	if f, err := os.Open(path); err == nil {
		buf := make([]byte, 64)
		n, _ := io.ReadFull(f, buf)
		f.Close()
		if n > 0 {
			// fread fills at most 64 bytes, the last of which becomes the
			// terminating NUL.
			if n == len(buf) {
				n--
			}
			s := string(buf[:n])
			if i := indexNUL(s); i >= 0 {
				s = s[:i]
			}
			// starter tests pid != 0, so a negative number makes its
			// kill(pid, 0) probe a process group or every process, and a
			// corrupt pid file would block starting for good; goswan wants
			// a positive pid.
			pid := int(clib.Atoi(s))
			if pid > 0 && pid != os.Getpid() && syscall.Kill(pid, 0) == nil {
				return true
			}
		}
	}
	log.dbg1("removing pidfile '%s', process not running", path)
	os.Remove(path)
	return false
}

func indexNUL(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return i
		}
	}
	return -1
}

// writePID writes starter's pid file as starter does: the pid and a
// newline; a file that cannot be written is silently skipped.
func writePID(path string) {
	f, err := os.Create(path)
	if err != nil {
		return
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	f.Close()
}
