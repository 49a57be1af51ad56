package starter

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/goswan/goswan/stroke"
)

// The fake daemon is this test binary started by starter as its IKE daemon
// (IPsecDir/charon is a symbolic link to it). Like
// testing/capture/fake-charon.py, which Debian's starter was captured with,
// it listens on PIDDIR/charon.ctl, then writes PIDDIR/charon.pid, and
// stores every message as OUT/NN_STR_TYPE.bin before it hangs up, so that
// a message is on disk once starter's send returns. It records its
// arguments in OUT/argv.
const (
	fakeOutEnv    = "GOSWAN_TEST_FAKE_CHARON_OUT"
	fakePIDDirEnv = "GOSWAN_TEST_FAKE_CHARON_PIDDIR"
	// fakeExitEnv makes the fake daemon exit with this code at once,
	// before it writes its pid file.
	fakeExitEnv = "GOSWAN_TEST_FAKE_CHARON_EXIT"
	// fakeNoPIDEnv makes it never write its pid file.
	fakeNoPIDEnv = "GOSWAN_TEST_FAKE_CHARON_NOPID"
	// fakeStubbornEnv makes it ignore SIGINT and SIGTERM.
	fakeStubbornEnv = "GOSWAN_TEST_FAKE_CHARON_STUBBORN"
)

func TestMain(m *testing.M) {
	if out := os.Getenv(fakeOutEnv); out != "" {
		os.Exit(fakeCharon(out, os.Getenv(fakePIDDirEnv)))
	}
	os.Exit(m.Run())
}

func fakeCharon(out, piddir string) int {
	if rc := os.Getenv(fakeExitEnv); rc != "" {
		n, _ := strconv.Atoi(rc)
		return n
	}
	os.WriteFile(filepath.Join(out, "argv"), []byte(strings.Join(os.Args[1:], "\n")+"\n"), 0o644)
	ctl := filepath.Join(piddir, "charon.ctl")
	pidFile := filepath.Join(piddir, "charon.pid")
	os.Remove(ctl)
	l, err := net.Listen("unix", ctl)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fake charon:", err)
		return 1
	}
	if os.Getenv(fakeStubbornEnv) != "" {
		signal.Ignore(syscall.SIGINT, syscall.SIGTERM)
	} else {
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
		go func() {
			<-sigs
			os.Remove(pidFile)
			os.Exit(0)
		}()
	}
	if os.Getenv(fakeNoPIDEnv) == "" {
		os.WriteFile(pidFile, []byte(fmt.Sprintf("%d\n", os.Getpid())), 0o644)
	}
	// Messages are numbered on from what an earlier instance stored, so a
	// restarted daemon continues the sequence.
	n := len(recorded(out))
	for {
		c, err := l.Accept()
		if err != nil {
			return 1
		}
		var head [2]byte
		if _, err := io.ReadFull(c, head[:]); err == nil {
			msg := make([]byte, int(binary.LittleEndian.Uint16(head[:])))
			copy(msg, head[:])
			if len(msg) > 2 {
				io.ReadFull(c, msg[2:])
			}
			typ := "TYPE_UNKNOWN"
			if len(msg) >= 8 {
				typ = stroke.Type(int32(binary.LittleEndian.Uint32(msg[4:]))).String()
			}
			n++
			os.WriteFile(filepath.Join(out, fmt.Sprintf("%02d_%s.bin", n, typ)), msg, 0o644)
		}
		c.Close()
	}
}

// recorded lists the messages stored in dir, in order.
func recorded(dir string) []string {
	bins, _ := filepath.Glob(filepath.Join(dir, "[0-9][0-9]_*.bin"))
	return bins
}
