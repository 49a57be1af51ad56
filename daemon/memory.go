package daemon

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// charon's heap (glibc malloc) gives memory back as it frees it; Go's
// runtime keeps what a burst made it grow, up to its next collection goal,
// and returns it slowly. After a flood of IKE_SA_INITs that left nothing
// alive, goswan's resident memory would stay at the flood's height for
// minutes. trimMemory looks every trimInterval at the heap that is free
// but still resident and, if a burst left more than trimThreshold of it,
// collects and returns it at once. It costs one collection of a heap
// that is small by then; when nothing is left over it costs a metrics
// read.
const (
	trimInterval  = 10 * time.Second
	trimThreshold = 1 << 20
)

func trimMemory(ctx context.Context) {
	s := []metrics.Sample{{Name: "/memory/classes/heap/free:bytes"}}
	t := time.NewTicker(trimInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(s)
		if s[0].Value.Kind() == metrics.KindUint64 && s[0].Value.Uint64() > trimThreshold {
			debug.FreeOSMemory()
		}
	}
}
