package tasks_test

import (
	"net/netip"
	"os"
	"runtime"
	"runtime/pprof"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/ikesim"
)

// BenchmarkEstablish: moon sets up one IKE_SA with one CHILD_SA for its own
// 10.1.x.y/32 to sun per operation (IKE_SA_INIT and IKE_AUTH, PSK, x25519, AES-GCM-16 ESP), both
// daemons in one process on fake kernels, their jobs run one at a time
// (ikesim), logging at charon's default levels into nothing. The SAs stay
// up, as on a loaded responder. Besides time and allocations per operation
// it reports:
//
//   - allocs/exchange: heap allocations of both daemons per exchange (two
//     per operation);
//   - heap-B/pair: the Go heap still in use after a GC per IKE_SA pair
//     (moon's SA and sun's, each with its CHILD_SA and kernel state) — the
//     in-process counterpart of the responder memory figure of make bench.
//
// Profile with -cpuprofile/-memprofile, and GOSWAN_HEAPPROFILE=file for the
// heap that the established SAs keep (BENCHMARKS.md); run with
// -benchtime=10000x for the memory of 10 000 pairs.
func BenchmarkEstablish(b *testing.B) {
	p := ikesim.NewBenchPair(b, nil)
	// Each CHILD_SA its own subnet behind moon (10.1.x.y/32, narrowed from
	// sun's 10.1.0.0/16), as road warriors have their own addresses: SAs
	// sharing one policy would measure the kernel's list of its users.
	children := make([]*config.ChildCfg, b.N)
	for i := range children {
		c := *p.MoonChild
		c.LocalTS = []selectors.TS{ikesim.MustTS(b, netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)}).String()+"/32")}
		children[i] = &c
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Moon.Initiate(p.MoonPeer, children[i])
	}
	b.StopTimer()
	runtime.ReadMemStats(&after)
	mallocs := after.Mallocs - before.Mallocs
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		if got := countEstablished(n); got != b.N {
			b.Fatalf("%s: %d IKE_SAs established, want %d", n.Name, got, b.N)
		}
	}
	// The heap profile of -memprofile is written after the SAs are gone;
	// this one shows what keeps them (go tool pprof -sample_index=inuse_space).
	if path := os.Getenv("GOSWAN_HEAPPROFILE"); path != "" {
		writeHeapProfile(b, path)
	}
	b.ReportMetric(float64(mallocs)/float64(b.N)/2, "allocs/exchange")
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(b.N), "heap-B/pair")
	runtime.KeepAlive(p)
}

func writeHeapProfile(b *testing.B, path string) {
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		b.Fatal(err)
	}
}

// countEstablished counts the node's ESTABLISHED IKE_SAs that have one
// installed CHILD_SA.
func countEstablished(n *ikesim.Node) int {
	up := 0
	for _, ike := range n.IKESAs() {
		if ike.State() != sa.IKEEstablished || ike.ChildCount() != 1 {
			continue
		}
		if ike.Children()[0].State() == sa.ChildInstalled {
			up++
		}
	}
	return up
}
