package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"
)

// A developer's knob, not charon's: GOSWAN_MEMSTATS=FILE makes the daemon
// append one line of memory figures to FILE every
// GOSWAN_MEMSTATS_INTERVAL (a Go duration, default 10s), after a garbage
// collection so that the heap figures are what is live. make soak samples
// them to see whether the heap grows over a long run. Unset, nothing
// happens.
//
//	1700000000 heap_inuse=4194304 heap_alloc=3145728 heap_objects=20480 sys=12582912 goroutines=31 num_gc=12
func startMemStats(ctx context.Context) {
	path := os.Getenv("GOSWAN_MEMSTATS")
	if path == "" {
		return
	}
	interval := 10 * time.Second
	if d, err := time.ParseDuration(os.Getenv("GOSWAN_MEMSTATS_INTERVAL")); err == nil && d > 0 {
		interval = d
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		fmt.Fprintf(os.Stderr, "charon: GOSWAN_MEMSTATS: %v\n", err)
		return
	}
	go func() {
		defer f.Close()
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			writeMemStats(f)
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

func writeMemStats(f *os.File) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	fmt.Fprintf(f, "%d heap_inuse=%d heap_alloc=%d heap_objects=%d sys=%d goroutines=%d num_gc=%d\n",
		time.Now().Unix(), m.HeapInuse, m.HeapAlloc, m.HeapObjects, m.Sys, runtime.NumGoroutine(), m.NumGC)
}
