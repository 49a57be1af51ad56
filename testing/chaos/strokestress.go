package chaos

import (
	"bytes"
	"encoding/binary"
	"io"
	"math/rand"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/goswan/goswan/stroke"
)

// StrokeOptions shape the stroke socket stress.
type StrokeOptions struct {
	Path     string
	Clients  int
	Duration time.Duration
	Seed     int64
}

// StrokeResult is what the stress saw.
type StrokeResult struct {
	// Requests by behaviour.
	Sent map[string]uint64
	// Legit status requests that failed (no answer or an error).
	LegitFailed, LegitOK uint64
	// The probe's status requests, one after the other while the stress
	// runs: how long each waited, in milliseconds.
	ProbeMaxMS, ProbeP50MS, ProbeP99MS float64
	Probes                             int
	ProbeFailed                        int
}

// The behaviours of the stress's clients and their weights.
var strokeBehaviours = []struct {
	name   string
	weight int
}{
	{"status", 35}, {"malformed", 15}, {"oversized", 10}, {"truncated", 15}, {"slow-loris", 10},
	{"connect and close", 10}, {"length below the header", 5},
}

// StrokeStress runs Clients concurrent clients against the stroke socket
// for Duration, and a probe that asks for the status every 200 ms and
// measures how long it waits (the `chaos stroke` command inside moon).
func StrokeStress(o StrokeOptions) (StrokeResult, error) {
	res := StrokeResult{Sent: map[string]uint64{}}
	status, err := (&stroke.Msg{Type: stroke.TypeStatus, Body: &stroke.Status{}}).Encode()
	if err != nil {
		return res, err
	}
	var mu sync.Mutex
	var legitOK, legitFailed atomic.Uint64
	end := time.Now().Add(o.Duration)
	var wg sync.WaitGroup
	for c := range o.Clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewSource(o.Seed + int64(c)))
			for time.Now().Before(end) {
				b := pickBehaviour(rnd)
				mu.Lock()
				res.Sent[b]++
				mu.Unlock()
				ok := strokeClient(o.Path, b, status, rnd, end)
				if b == "status" {
					if ok {
						legitOK.Add(1)
					} else {
						legitFailed.Add(1)
					}
				}
			}
		}()
	}
	var waits []float64
	for time.Now().Before(end) {
		t0 := time.Now()
		if !strokeClient(o.Path, "status", status, nil, end.Add(10*time.Second)) {
			res.ProbeFailed++
		}
		waits = append(waits, float64(time.Since(t0).Microseconds())/1000)
		time.Sleep(200 * time.Millisecond)
	}
	wg.Wait()
	res.LegitOK, res.LegitFailed = legitOK.Load(), legitFailed.Load()
	slices.Sort(waits)
	res.Probes = len(waits)
	if n := len(waits); n > 0 {
		res.ProbeMaxMS, res.ProbeP50MS, res.ProbeP99MS = waits[n-1], waits[n/2], waits[n*99/100]
	}
	return res, nil
}

func pickBehaviour(rnd *rand.Rand) string {
	n := rnd.Intn(100)
	for _, b := range strokeBehaviours {
		if n < b.weight {
			return b.name
		}
		n -= b.weight
	}
	return "status"
}

// strokeClient does one request of a behaviour; for "status" it reports
// whether an answer came.
func strokeClient(path, behaviour string, status []byte, rnd *rand.Rand, end time.Time) bool {
	c, err := net.DialTimeout("unix", path, 10*time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(40 * time.Second))
	random := func(n int) []byte {
		b := make([]byte, n)
		rnd.Read(b)
		return b
	}
	withLen := func(n int, body []byte) []byte {
		b := binary.LittleEndian.AppendUint16(nil, uint16(n))
		return append(b, body...)
	}
	switch behaviour {
	case "status":
		if _, err := c.Write(status); err != nil {
			return false
		}
		out, err := io.ReadAll(c)
		return err == nil && bytes.Contains(out, []byte("Security Associations"))
	case "malformed":
		_, _ = c.Write(withLen(700, random(698)))
	case "oversized":
		_, _ = c.Write(withLen(65535, random(65533)))
	case "truncated":
		_, _ = c.Write(withLen(2000, random(100)))
	case "slow-loris":
		_, _ = c.Write(withLen(800, nil))
		for time.Now().Before(end) {
			if _, err := c.Write(random(1)); err != nil {
				break
			}
			time.Sleep(500 * time.Millisecond)
		}
	case "length below the header":
		_, _ = c.Write(withLen(3, random(10)))
	}
	_, _ = io.Copy(io.Discard, c)
	return true
}
