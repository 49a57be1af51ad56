package files

import (
	"errors"
	"syscall"
)

// isNotDir: glob(3) ignores ENOTDIR even with GLOB_ERR (a wildcard directory
// part that matched a file).
func isNotDir(err error) bool {
	return errors.Is(err, syscall.ENOTDIR)
}
