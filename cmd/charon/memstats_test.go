package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestMemStatsLine(t *testing.T) {
	p := filepath.Join(t.TempDir(), "mem")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	writeMemStats(f)
	f.Close()
	b, _ := os.ReadFile(p)
	re := regexp.MustCompile(`^\d+ heap_inuse=\d+ heap_alloc=\d+ heap_objects=\d+ sys=\d+ goroutines=\d+ num_gc=[1-9]\d*\n$`)
	if !re.Match(b) {
		t.Errorf("line %q", b)
	}
}

func TestMemStatsOffByDefault(t *testing.T) {
	t.Setenv("GOSWAN_MEMSTATS", "")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	startMemStats(ctx) // must not start anything or fail
}
