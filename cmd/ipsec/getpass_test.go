package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/goswan/goswan/testing/testenv"
)

// openPTY returns a pseudo-terminal pair: the controller side the test
// plays the user on, and the terminal the child gets as its own.
func openPTY(t *testing.T) (ptmx, pts *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		testenv.Unavailable(t, fmt.Sprintf("needs pseudo-terminals (/dev/ptmx): %v", err))
	}
	if err := unix.IoctlSetPointerInt(int(ptmx.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(ptmx.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	pts, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); pts.Close() })
	return ptmx, pts
}

// A daemon prompt reaches the user on the controlling terminal with echo
// off, as with glibc's getpass, and the answer goes back to the daemon.
func TestGetpassOnTerminal(t *testing.T) {
	d := startCaptureDaemon(t)
	ptmx, pts := openPTY(t)
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "stroke", "user-creds", "rw", "carol")
	cmd.Env = append(os.Environ(), runIpsecEnv+"=1", "GOSWAN_STROKE_SOCKET="+d.path)
	var out bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pts, &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()

	// Play the user: watch the terminal, answer the prompt once it shows.
	var mu sync.Mutex
	var screen bytes.Buffer
	go func() {
		buf := make([]byte, 256)
		for {
			n, err := ptmx.Read(buf)
			mu.Lock()
			screen.Write(buf[:n])
			mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	shown := func() string { mu.Lock(); defer mu.Unlock(); return screen.String() }
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(shown(), "Password: ") {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no prompt on the terminal, saw %q", shown())
		}
		time.Sleep(10 * time.Millisecond)
	}
	ptmx.Write([]byte("s3cret\n"))
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("ipsec stroke: %v, %q", err, out.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("ipsec stroke did not finish; terminal %q", shown())
	}
	// getpass ends the line the user typed, and echoes nothing. The
	// reader may still be catching up with the child's last write.
	for deadline := time.Now().Add(2 * time.Second); !strings.HasSuffix(shown(), "\r\n") && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if s := shown(); s != "Password: \r\n" {
		t.Errorf("terminal showed %q", s)
	}
	if out.String() != "got password \"s3cret\\n\"\n" {
		t.Errorf("daemon got/printed %q", out.String())
	}
}
