package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"syscall"
)

// debugMemory is a developer's knob, not charon's (BENCHMARKS.md): with
// GOSWAN_DEBUG_DIR set, SIGUSR1 makes the daemon collect its garbage and
// write what its heap holds to that directory, as
// memstats.<pid>.<n>.json (the runtime's figures after the collection)
// and heap.<pid>.<n>.pprof (go tool pprof -sample_index=inuse_space), and
// before that every goroutine's stack as goroutines.<pid>.<n>.txt (where
// the daemon waits when it seems to hang). make
// bench reads the first for the Go heap per IKE_SA. Without the variable
// SIGUSR1 keeps its default action, as in charon.
func debugMemory() {
	dir := os.Getenv("GOSWAN_DEBUG_DIR")
	if dir == "" {
		return
	}
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGUSR1)
	go func() {
		for n := 1; ; n++ {
			<-ch
			writeMemory(dir, n)
		}
	}()
}

func writeMemory(dir string, n int) {
	base := filepath.Join(dir, fmt.Sprintf("%%s.%d.%d.%%s", os.Getpid(), n))
	// The stacks first: the collection below would let blocked work
	// move on.
	if f, err := os.Create(fmt.Sprintf(base, "goroutines", "txt")); err == nil {
		_ = pprof.Lookup("goroutine").WriteTo(f, 2)
		f.Close()
	}
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if f, err := os.Create(fmt.Sprintf(base, "heap", "pprof")); err == nil {
		_ = pprof.WriteHeapProfile(f)
		f.Close()
	}
	out := map[string]uint64{
		"HeapAlloc": m.HeapAlloc, "HeapInuse": m.HeapInuse, "HeapSys": m.HeapSys, "HeapReleased": m.HeapReleased,
		"StackInuse": m.StackInuse, "Sys": m.Sys, "NumGC": uint64(m.NumGC), "Goroutines": uint64(runtime.NumGoroutine()),
	}
	b, _ := json.Marshal(out)
	// Written under another name and renamed, so that a reader never sees
	// half of it.
	tmp := fmt.Sprintf(base, "memstats", "json.tmp")
	if os.WriteFile(tmp, b, 0o644) == nil {
		_ = os.Rename(tmp, fmt.Sprintf(base, "memstats", "json"))
	}
}
