package chaos

import (
	"fmt"
	"strings"
	"syscall"
	"time"
)

// KernelState is what moon's kernel and file system hold around a crash.
type KernelState struct {
	XfrmStates, XfrmPolicies int
	Routes                   []string
	TUN                      bool
	Starter, Charon          bool // processes alive
	Socket, PidFile          bool // /run/charon.ctl, /run/charon.pid exist
}

func (k KernelState) String() string {
	return fmt.Sprintf("XFRM %d states %d policies, table 220 %v, ipsec0 %v, starter %v, charon %v, charon.ctl %v, charon.pid %v",
		k.XfrmStates, k.XfrmPolicies, k.Routes, yes(k.TUN), yes(k.Starter), yes(k.Charon), yes(k.Socket), yes(k.PidFile))
}

func yes(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (l *Lab) kernelState() KernelState {
	s := l.Snap()
	exists := func(p string) bool { return strings.TrimSpace(l.Quiet("moon", "test -e "+p+" && echo y")) == "y" }
	return KernelState{XfrmStates: s.XfrmStates, XfrmPolicies: s.XfrmPolicies, Routes: s.Routes, TUN: s.TUN,
		Starter: l.pidOfStarter() != 0, Charon: l.CharonPID() != 0,
		Socket: exists("/run/charon.ctl"), PidFile: exists("/run/charon.pid")}
}

// pidOfStarter is the PID of moon's starter, 0 if none runs.
func (l *Lab) pidOfStarter() int {
	var pid int
	fmt.Sscan(strings.TrimSpace(l.Quiet("moon", "cat /run/starter.charon.pid 2>/dev/null")), &pid)
	if pid == 0 || syscall.Kill(pid, 0) != nil {
		return 0
	}
	return pid
}

// PhaseCrash is phase 6: moon's charon is killed with SIGKILL while a
// CHILD_SA rekey is under way, then `ipsec start` runs again; the kernel's
// state is reported before and after, and the tunnels must come back with
// exactly what the new daemon installed.
func (l *Lab) PhaseCrash(e *Expected) PhaseResult {
	sent := "SIGKILL to charon right after it logged a rekey job, then `ipsec start`"
	return l.phase("6 kill -9 mid-rekey", sent, e, true, func(r *PhaseResult) error {
		pid := l.CharonPID()
		if pid == 0 {
			return ErrNoCharon
		}
		n0 := l.countLog("creating rekey job")
		deadline := time.Now().Add(2 * time.Minute)
		for l.countLog("creating rekey job") == n0 {
			if time.Now().After(deadline) {
				return fmt.Errorf("no rekey within 2 minutes")
			}
			time.Sleep(20 * time.Millisecond)
		}
		// The process is the lab's, started by its `ipsec start`; it is
		// ended by its PID.
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			return err
		}
		for syscall.Kill(pid, 0) == nil {
			time.Sleep(10 * time.Millisecond)
		}
		before := l.kernelState()
		r.Figure("after SIGKILL", "%s", before)
		out, _ := l.Run("moon", "ipsec start", 20*time.Second)
		r.Figure("ipsec start said", "%s", strings.TrimSpace(lastLines(out, 2)))
		t0 := time.Now()
		for l.CharonPID() == 0 || l.CharonPID() == pid {
			if time.Since(t0) > time.Minute {
				return fmt.Errorf("no new charon a minute after ipsec start")
			}
			time.Sleep(100 * time.Millisecond)
		}
		took, err := l.recoverTime(e, 3*time.Minute)
		if err != nil {
			return err
		}
		r.Figure("tunnels back", "%.1f s after ipsec start", took.Seconds())
		if s, ok := l.WaitSettled(*e, time.Minute); ok {
			after := l.kernelState()
			r.Figure("after restart, settled", "%s", after)
			_ = s
		}
		return nil
	})
}
