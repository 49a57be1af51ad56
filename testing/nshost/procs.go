package nshost

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// nsID identifies a namespace by the inode of its nsfs file.
type nsID uint64

// nsOfFile returns the namespace that an nsfs file (a /run/netns/NAME bind
// mount or /proc/PID/ns/TYPE) refers to.
func nsOfFile(path string) (nsID, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return nsID(st.Ino), nil
}

// selfNS returns this process's own namespace of the given type ("net",
// "mnt").
func selfNS(typ string) (nsID, error) { return nsOfFile("/proc/self/ns/" + typ) }

// procsInNetNS lists the PIDs of every process whose network namespace is
// ns, in numeric order (not /proc's, which sorts 10000 before 9999). It
// reads /proc; processes that exit meanwhile are skipped.
func procsInNetNS(ns nsID) []int {
	var pids []int
	for _, p := range procsInNetNSs([]nsID{ns}) {
		pids = append(pids, p.pid)
	}
	return pids
}

// nsProc is a process and the network namespace it is in.
type nsProc struct {
	pid int
	ns  nsID
}

// procsInNetNSs lists the processes in any of the network namespaces set,
// in one pass over /proc, in numeric order of PID.
func procsInNetNSs(set []nsID) []nsProc {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []nsProc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if id, err := nsOfFile(filepath.Join("/proc", e.Name(), "ns", "net")); err == nil && slices.Contains(set, id) {
			out = append(out, nsProc{pid, id})
		}
	}
	slices.SortFunc(out, func(a, b nsProc) int { return a.pid - b.pid })
	return out
}

// procName returns a process's command line for reports.
func procName(pid int) string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil || len(b) == 0 {
		return fmt.Sprintf("pid %d", pid)
	}
	return fmt.Sprintf("%s (pid %d)", strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " ")), pid)
}

// signalInNetNS sends sig to pid only if pid still lives in network namespace
// ns. The pidfd is opened before the namespace is checked, so a PID that is
// reused by an unrelated process between the listing and the signal is never
// hit: either the check sees the new process's namespace and skips it, or the
// pidfd still refers to the process that was checked.
func signalInNetNS(pid int, ns nsID, sig syscall.Signal) error {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	id, err := nsOfFile(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return err
	}
	if id != ns {
		return errors.New("process left the namespace")
	}
	return unix.PidfdSendSignal(fd, sig, nil, 0)
}

// killNetNSs ends every process in the network namespaces set: SIGTERM
// first so that daemons shut down cleanly, SIGKILL for whatever is left
// after grace (one grace period for all). It returns the processes that had
// to be killed hard. Polling /proc is the only way to see processes that are
// not our children leave.
func killNetNSs(set []nsID, grace time.Duration) (forced []string) {
	procs := procsInNetNSs(set)
	if len(procs) == 0 {
		return nil
	}
	for _, p := range procs {
		_ = signalInNetNS(p.pid, p.ns, syscall.SIGTERM)
	}
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if len(procsInNetNSs(set)) == 0 {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	for _, p := range procsInNetNSs(set) {
		forced = append(forced, procName(p.pid))
		_ = signalInNetNS(p.pid, p.ns, syscall.SIGKILL)
	}
	for i := 0; i < 100 && len(procsInNetNSs(set)) > 0; i++ {
		time.Sleep(20 * time.Millisecond)
	}
	return forced
}

// startTime returns a process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat); together with the PID it identifies a process.
func startTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may contain spaces; fields after it start
	// behind the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 20 {
		return 0, errors.New("malformed stat")
	}
	return strconv.ParseUint(f[19], 10, 64)
}
