package daemon

import (
	"fmt"
	"os"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/internal/clib"
)

// PID, as charon's check_pidfile.
func (d *Daemon) checkPidFile() error {
	path := d.opts.PidFile
	if path == "-" {
		return nil
	}
	if b, err := os.ReadFile(path); err == nil {
		pid := int(clib.Atoi(strings.TrimSpace(string(b))))
		if pid > 0 && processAlive(pid) {
			d.logf(bus.DMN, bus.Control, "charon already running ('%s' exists)", path)
			return fmt.Errorf("charon already running ('%s' exists)", path)
		}
		d.logf(bus.DMN, bus.Control, "removing pidfile '%s', process not running", path)
		_ = os.Remove(path)
	}
	// charon's fopen(PID_FILE, "w"): 0666 less the umask.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o666)
	if err != nil {
		d.logf(bus.DMN, bus.Control, "unable to create pidfile '%s'", path)
		return err
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	_ = f.Sync()
	d.pidFile = f
	return nil
}

func (d *Daemon) unlinkPidFile() {
	if d.pidFile == nil {
		return
	}
	_ = d.pidFile.Truncate(0)
	_ = d.pidFile.Close()
	_ = os.Remove(d.opts.PidFile)
	d.pidFile = nil
}
