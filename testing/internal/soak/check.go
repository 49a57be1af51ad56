package soak

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The analyses of the soak, on command outputs, so that they are tested
// without a network.

var (
	xfrmSPI   = regexp.MustCompile(`(?m)^\s*proto (?:esp|ah) spi 0x([0-9a-f]{8})`)
	statusSPI = regexp.MustCompile(`\b([0-9a-f]{8})_[io]\b`)
	rssLine   = regexp.MustCompile(`(?m)^VmRSS:\s+(\d+) kB`)
	memLine   = regexp.MustCompile(`(?m)^(\d+) heap_inuse=(\d+) heap_alloc=(\d+) heap_objects=(\d+) sys=(\d+) goroutines=(\d+)`)
	policyHdr = regexp.MustCompile(`(?m)^src (\S+) dst (\S+)[^\n]*\n\s*dir (in|out|fwd)`)
)

// xfrmStates returns the SPIs of `ip xfrm state` (ESP and AH; IPComp
// helper states have no SPI of this form).
func xfrmStates(out string) map[string]bool {
	m := map[string]bool{}
	for _, s := range xfrmSPI.FindAllStringSubmatch(out, -1) {
		m[s[1]] = true
	}
	return m
}

// statusSPIs returns the SPIs `ipsec statusall` lists for CHILD_SAs
// ("c1a2b3c4_i c5d6e7f8_o").
func statusSPIs(out string) map[string]bool {
	m := map[string]bool{}
	for _, s := range statusSPI.FindAllStringSubmatch(out, -1) {
		m[s[1]] = true
	}
	return m
}

// Policy is one XFRM policy's selector and direction.
type Policy struct{ Src, Dst, Dir string }

func (p Policy) String() string { return p.Src + " -> " + p.Dst + " dir " + p.Dir }

// xfrmPolicies returns the policies of `ip xfrm policy`.
func xfrmPolicies(out string) []Policy {
	var ps []Policy
	for _, m := range policyHdr.FindAllStringSubmatch(out, -1) {
		ps = append(ps, Policy{m[1], m[2], m[3]})
	}
	return ps
}

// expectedPolicies are the in, fwd and out policies of a gateway whose
// local and remote subnets are local[i] and remote[i].
func expectedPolicies(local, remote []string) []Policy {
	var ps []Policy
	for i := range local {
		ps = append(ps, Policy{local[i], remote[i], "out"}, Policy{remote[i], local[i], "in"}, Policy{remote[i], local[i], "fwd"})
	}
	return ps
}

// comparePolicies returns the policies that are there but not expected
// (leaked or foreign) and those expected but missing; a policy that is
// there twice counts as extra too.
func comparePolicies(got, want []Policy) (extra, missing []Policy) {
	need := map[Policy]int{}
	for _, p := range want {
		need[p]++
	}
	for _, p := range got {
		if need[p] > 0 {
			need[p]--
		} else {
			extra = append(extra, p)
		}
	}
	for _, p := range want {
		if need[p] > 0 {
			missing = append(missing, p)
			need[p]--
		}
	}
	return extra, missing
}

// leakedStates compares two snapshots of the kernel's SPIs and the
// daemon's, taken some seconds apart (longer than charon keeps a rekeyed
// inbound SA; kernel A before daemon A, daemon B before kernel B): a state
// the kernel has in both snapshots but the daemon lists in neither is
// leaked. The reverse, an SA the daemon lists in both
// but the kernel has in neither, is missing (an installed CHILD_SA without
// its kernel state).
func leakedStates(kernelA, daemonA, kernelB, daemonB map[string]bool) (leaked, missing []string) {
	for spi := range kernelA {
		if kernelB[spi] && !daemonA[spi] && !daemonB[spi] {
			leaked = append(leaked, spi)
		}
	}
	for spi := range daemonA {
		if daemonB[spi] && !kernelA[spi] && !kernelB[spi] {
			missing = append(missing, spi)
		}
	}
	sort.Strings(leaked)
	sort.Strings(missing)
	return leaked, missing
}

// rssKB reads VmRSS from /proc/PID/status.
func rssKB(status string) (int, bool) {
	m := rssLine.FindStringSubmatch(status)
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// Sample is one measurement of a daemon's memory.
type Sample struct {
	At         time.Time
	Value      float64 // bytes
	Goroutines int     // Go heap samples only
}

// memSamples parses GOSWAN_MEMSTATS lines into heap-in-use samples.
func memSamples(out string) []Sample {
	var s []Sample
	for _, m := range memLine.FindAllStringSubmatch(out, -1) {
		t, _ := strconv.ParseInt(m[1], 10, 64)
		v, _ := strconv.ParseFloat(m[2], 64)
		g, _ := strconv.Atoi(m[6])
		s = append(s, Sample{At: time.Unix(t, 0), Value: v, Goroutines: g})
	}
	return s
}

// Trend says whether a series grew over a run: the first fifth is the
// warm-up and left out; the mean of the next fifth is compared with the
// mean of the last fifth. It grew if the late mean exceeds the early one
// by more than both rel (a fraction) and abs (bytes).
type Trend struct {
	N           int
	Early, Late float64
	Max         float64
	Grew        bool
	Judged      bool // enough samples (at least 10) to say
}

func trend(s []Sample, rel, abs float64) Trend {
	t := Trend{N: len(s)}
	for _, x := range s {
		if x.Value > t.Max {
			t.Max = x.Value
		}
	}
	if len(s) < 10 {
		return t
	}
	fifth := len(s) / 5
	mean := func(xs []Sample) float64 {
		sum := 0.0
		for _, x := range xs {
			sum += x.Value
		}
		return sum / float64(len(xs))
	}
	t.Early, t.Late = mean(s[fifth:2*fifth]), mean(s[len(s)-fifth:])
	t.Judged = true
	t.Grew = t.Late > t.Early*(1+rel) && t.Late-t.Early > abs
	return t
}

func (t Trend) String() string {
	if !t.Judged {
		return fmt.Sprintf("%d samples (too few to judge), max %s", t.N, mib(t.Max))
	}
	verdict := "no growth"
	if t.Grew {
		verdict = "GREW"
	}
	return fmt.Sprintf("%d samples, early %s, late %s, max %s: %s", t.N, mib(t.Early), mib(t.Late), mib(t.Max), verdict)
}

func mib(b float64) string { return fmt.Sprintf("%.2f MiB", b/(1<<20)) }

// countLines counts the lines of out that contain s.
func countLines(out, s string) int {
	n := 0
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, s) {
			n++
		}
	}
	return n
}
