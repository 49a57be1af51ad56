package soak

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

const state = `src 192.168.0.1 dst 192.168.0.2
	proto esp spi 0xc31285d0(3272771024) reqid 1(0x00000001) mode tunnel
	replay-window 0 seq 0x00000000 flag af-unspec (0x00100000)
	auth-trunc hmac(sha256) 0x1d5d (256 bits) 128
src 192.168.0.2 dst 192.168.0.1
	proto esp spi 0xcdb3acd0(3451104464) reqid 1(0x00000001) mode tunnel
src 192.168.0.2 dst 192.168.0.1
	proto esp spi 0xc0ffee00(3237998080) reqid 1(0x00000001) mode tunnel
`

const policy = `src 10.1.1.0/24 dst 10.2.1.0/24 uid 0
	dir out action allow index 81 priority 383615 ptype main share any flag  (0x00000000)
	tmpl src 192.168.0.1 dst 192.168.0.2
		proto esp spi 0xc31285d0(3272771024) reqid 1(0x00000001) mode tunnel
src 10.2.1.0/24 dst 10.1.1.0/24 
	dir fwd priority 383615 ptype main 
	tmpl src 192.168.0.2 dst 192.168.0.1
		proto esp reqid 1 mode tunnel
src 10.2.1.0/24 dst 10.1.1.0/24 
	dir in priority 383615 ptype main 
src 10.2.2.0/24 dst 10.1.2.0/24 
	dir in priority 383615 ptype main 
src 10.2.2.0/24 dst 10.1.2.0/24 
	dir in priority 383615 ptype main 
`

func TestXFRMParsing(t *testing.T) {
	got := xfrmStates(state)
	if len(got) != 3 || !got["c31285d0"] || !got["cdb3acd0"] || !got["c0ffee00"] {
		t.Errorf("states %v", got)
	}
	st := statusSPIs("     net-net{1}:  INSTALLED, TUNNEL, reqid 1, ESP SPIs: cdb3acd0_i c31285d0_o\n     net-net{1}:  AES_CBC_128")
	if len(st) != 2 || !st["cdb3acd0"] || !st["c31285d0"] {
		t.Errorf("status %v", st)
	}
	ps := xfrmPolicies(policy)
	want := []Policy{{"10.1.1.0/24", "10.2.1.0/24", "out"}, {"10.2.1.0/24", "10.1.1.0/24", "fwd"}, {"10.2.1.0/24", "10.1.1.0/24", "in"},
		{"10.2.2.0/24", "10.1.2.0/24", "in"}, {"10.2.2.0/24", "10.1.2.0/24", "in"}}
	if !reflect.DeepEqual(ps, want) {
		t.Errorf("policies %v", ps)
	}
	extra, missing := comparePolicies(ps, expectedPolicies([]string{"10.1.1.0/24", "10.1.2.0/24"}, []string{"10.2.1.0/24", "10.2.2.0/24"}))
	if len(extra) != 1 || extra[0].Dir != "in" || extra[0].Src != "10.2.2.0/24" {
		t.Errorf("extra %v", extra)
	}
	if len(missing) != 2 || missing[0].Dir != "out" || missing[1].Dir != "fwd" {
		t.Errorf("missing %v", missing)
	}
}

func TestLeakedStates(t *testing.T) {
	set := func(s ...string) map[string]bool {
		m := map[string]bool{}
		for _, x := range s {
			m[x] = true
		}
		return m
	}
	// a: owned throughout; b: rekeyed away between the snapshots; c:
	// installed after the first status; d: leaked; e: the daemon's, but
	// never in the kernel.
	leaked, missing := leakedStates(set("a", "b", "c", "d"), set("a", "b", "e"), set("a", "c", "d"), set("a", "c", "e"))
	if !reflect.DeepEqual(leaked, []string{"d"}) || !reflect.DeepEqual(missing, []string{"e"}) {
		t.Errorf("leaked %v missing %v", leaked, missing)
	}
}

func TestTrend(t *testing.T) {
	series := func(f func(i int) float64) []Sample {
		var s []Sample
		for i := 0; i < 30; i++ {
			s = append(s, Sample{At: time.Unix(int64(i*10), 0), Value: f(i)})
		}
		return s
	}
	flat := trend(series(func(i int) float64 { return 8 << 20 }), 0.25, 1<<20)
	if !flat.Judged || flat.Grew {
		t.Errorf("flat: %s", flat)
	}
	// A warm-up in the first fifth does not count.
	warm := trend(series(func(i int) float64 {
		if i < 6 {
			return float64(i) * (1 << 20)
		}
		return 8 << 20
	}), 0.25, 1<<20)
	if warm.Grew {
		t.Errorf("warm-up: %s", warm)
	}
	leak := trend(series(func(i int) float64 { return 8<<20 + float64(i)*(512<<10) }), 0.25, 1<<20)
	if !leak.Grew || !strings.Contains(leak.String(), "GREW") {
		t.Errorf("leak: %s", leak)
	}
	if few := trend(series(func(int) float64 { return 1 })[:5], 0.25, 1); few.Judged {
		t.Errorf("5 samples judged: %s", few)
	}
}

func TestSamplesParsing(t *testing.T) {
	ms := memSamples("1700000000 heap_inuse=4194304 heap_alloc=3145728 heap_objects=20480 sys=12582912 goroutines=31 num_gc=12\ngarbage\n1700000010 heap_inuse=5242880 heap_alloc=1 heap_objects=2 sys=3 goroutines=30 num_gc=13\n")
	if len(ms) != 2 || ms[0].Value != 4194304 || ms[1].Goroutines != 30 || ms[1].At.Unix() != 1700000010 {
		t.Errorf("%+v", ms)
	}
	if kb, ok := rssKB("Name:\tcharon\nVmRSS:\t   12345 kB\n"); !ok || kb != 12345 {
		t.Errorf("rss %d %v", kb, ok)
	}
	if _, ok := rssKB("Name: x\n"); ok {
		t.Error("rss without VmRSS")
	}
}
