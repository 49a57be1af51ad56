package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/goswan/goswan/daemon"
)

// A developer's knob, not charon's: GOSWAN_DEBUG_SOCKET=PATH makes the
// daemon answer on a unix socket at PATH (mode 0600), one command line
// per connection, so that a test lab (make chaos) can see what it cannot
// see from outside:
//
//	state    the daemon's counts (daemon.DebugState) and the Go heap, JSON
//	heap     a pprof heap profile (after a garbage collection)
//	allocs   a pprof profile of all allocations since the start
//	goroutine  the goroutines' stacks, as text
//	gc       a garbage collection and the heap returned to the system
//
// Unset, nothing listens. It needs no HTTP stack, so the daemon's
// footprint stays what it is without the knob. GOSWAN_MEMPROFILERATE=N
// samples one allocation per N bytes (1: every allocation) for exact
// heap profiles.
func startDebugSocket(ctx context.Context, d *daemon.Daemon) {
	path := os.Getenv("GOSWAN_DEBUG_SOCKET")
	if path == "" {
		return
	}
	_ = os.Remove(path)
	l, err := net.Listen("unix", path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "charon: GOSWAN_DEBUG_SOCKET: %v\n", err)
		return
	}
	_ = os.Chmod(path, 0o600)
	go func() {
		<-ctx.Done()
		l.Close()
	}()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go serveDebug(c, d)
		}
	}()
}

// memState is the Go runtime's view of the daemon's memory.
type memState struct {
	HeapAlloc    uint64 `json:"heap_alloc"`
	HeapInuse    uint64 `json:"heap_inuse"`
	HeapIdle     uint64 `json:"heap_idle"`
	HeapReleased uint64 `json:"heap_released"`
	HeapObjects  uint64 `json:"heap_objects"`
	StackInuse   uint64 `json:"stack_inuse"`
	Sys          uint64 `json:"sys"`
	NumGC        uint32 `json:"num_gc"`
	Goroutines   int    `json:"goroutines"`
}

func serveDebug(c net.Conn, d *daemon.Daemon) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil && line == "" {
		return
	}
	switch strings.TrimSpace(line) {
	case "state":
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		st := struct {
			daemon.DebugState
			Mem memState `json:"mem"`
		}{d.DebugState(), memState{
			HeapAlloc: m.HeapAlloc, HeapInuse: m.HeapInuse, HeapIdle: m.HeapIdle, HeapReleased: m.HeapReleased,
			HeapObjects: m.HeapObjects, StackInuse: m.StackInuse, Sys: m.Sys, NumGC: m.NumGC,
			Goroutines: runtime.NumGoroutine(),
		}}
		_ = json.NewEncoder(c).Encode(st)
	case "heap":
		runtime.GC()
		_ = pprof.Lookup("heap").WriteTo(c, 0)
	case "allocs":
		_ = pprof.Lookup("allocs").WriteTo(c, 0)
	case "goroutine":
		_ = pprof.Lookup("goroutine").WriteTo(c, 1)
	case "gc":
		debug.FreeOSMemory()
		fmt.Fprintln(c, "ok")
	default:
		fmt.Fprintln(c, "commands: state heap allocs goroutine gc")
	}
}
