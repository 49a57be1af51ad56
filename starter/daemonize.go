package starter

import (
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// Going to the background. strongSwan's starter forks: the parent exits 0,
// the child closes its terminal, calls setsid() and goes on. A Go program
// cannot fork, so starter runs itself again (Env.Self plus its arguments)
// in a new session with /dev/null as stdio. The environment variable
// detachEnv tells the new process that it is the background starter and
// which file descriptor leads back to the foreground one: it repeats the
// checks without logging them, writes its pid file, and closes that
// descriptor, which lets the foreground starter exit.

const detachEnv = "GOSWAN_STARTER_DETACHED"

// detachTimeout bounds how long the foreground starter waits for the
// background one to write its pid file.
const detachTimeout = 10 * time.Second

// detachedChild reports whether this process is a background starter,
// with the pipe to its foreground starter. The variable is removed so that
// the daemon does not inherit it.
func detachedChild() (*os.File, bool) {
	v, ok := os.LookupEnv(detachEnv)
	if !ok {
		return nil, false
	}
	os.Unsetenv(detachEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return nil, true
	}
	syscall.CloseOnExec(fd)
	return os.NewFile(uintptr(fd), "starter-foreground"), true
}

// detach starts the background starter and waits until it has taken over
// (or died trying). An error means it could not be started, which starter
// treats as a failed fork: it goes on in the foreground.
func (s *starter) detach(args []string) error {
	if len(s.env.Self) == 0 {
		return errors.New("no command to run starter in the background")
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	defer r.Close()
	cmd := &exec.Cmd{
		Path:        s.env.Self[0],
		Args:        append(append([]string(nil), s.env.Self...), args...),
		Env:         append(os.Environ(), detachEnv+"=3"),
		Stdin:       null,
		Stdout:      null,
		Stderr:      null,
		ExtraFiles:  []*os.File{w},
		SysProcAttr: &syscall.SysProcAttr{Setsid: true},
	}
	err = cmd.Start()
	w.Close()
	if err != nil {
		return err
	}
	// The background starter is not our child for long: nobody waits for
	// it here, it lives on after this process exits.
	cmd.Process.Release()
	done := make(chan struct{})
	go func() {
		buf := make([]byte, 1)
		r.Read(buf) // a byte once the pid file is written, or EOF
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(detachTimeout):
	}
	return nil
}
