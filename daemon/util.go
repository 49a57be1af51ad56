package daemon

import (
	"errors"
	"syscall"
)

// processAlive reports whether pid names a running process (kill -0).
func processAlive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
