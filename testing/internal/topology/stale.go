package topology

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// writeOwner records the runner process in the scratch directory, so that a
// later run can tell a live topology from one whose runner was killed.
func writeOwner(scratch string) error {
	t0, err := startTime(os.Getpid())
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(scratch, "owner"), fmt.Appendf(nil, "%d %d\n", os.Getpid(), t0), 0o600)
}

// ownerAlive reports whether the runner recorded in scratch still runs.
func ownerAlive(scratch string) bool {
	b, err := os.ReadFile(filepath.Join(scratch, "owner"))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return false
	}
	pid, err1 := strconv.Atoi(f[0])
	want, err2 := strconv.ParseUint(f[1], 10, 64)
	if err1 != nil || err2 != nil {
		return false
	}
	got, err := startTime(pid)
	return err == nil && got == want
}

// CleanupStale removes the topologies under base whose runner no longer runs
// (killed with SIGKILL, machine hiccup): it ends the processes in the
// namespaces those runs recorded, deletes the namespaces and the scratch
// directories. Only namespaces listed in a scratch directory's netns file are
// touched, never anything found by name alone. It returns the directories it
// cleaned.
func CleanupStale(base string, logf func(string, ...any)) ([]string, error) {
	ents, err := os.ReadDir(base)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var cleaned []string
	var errs []error
	for _, e := range ents {
		dir := filepath.Join(base, e.Name())
		if !e.IsDir() || ownerAlive(dir) {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "owner")); err != nil {
			// Without an owner file the directory may be a live run's in the
			// moment between its creation and writeOwner; leave young ones.
			if info, err := e.Info(); err == nil && time.Since(info.ModTime()) < time.Minute {
				continue
			}
		}
		var names []string
		if b, err := os.ReadFile(filepath.Join(dir, "netns")); err == nil {
			for _, n := range strings.Fields(string(b)) {
				if validatePrefix(strings.SplitN(n, "-", 2)[0]) == nil {
					names = append(names, n)
				}
			}
		}
		errs = append(errs, teardown(names, logf)...)
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
		}
		cleaned = append(cleaned, dir)
	}
	return cleaned, errors.Join(errs...)
}

// MakeScratch creates the directory base/name for a run's own files and
// records the runner as its owner, so that CleanupStale removes it once the
// runner is gone.
func MakeScratch(base, name string) (string, error) {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", err
	}
	dir := filepath.Join(base, name)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", err
	}
	return dir, writeOwner(dir)
}
