package sa

import (
	"sync"
	"testing"
	"time"
)

// A job waiting for an IKE_SA that another job destroys while holding it
// gives up instead of waiting forever: CheckinAndDestroy never clears
// busy, so the wait must end on destroy (this hung charon's shutdown when
// the peer's answer to the final DELETE arrived during it).
func TestWaitEndsForDestroyedEntry(t *testing.T) {
	m := &Manager{}
	m.cond = sync.NewCond(&m.mu)
	e := &entry{ike: &IKESA{}, busy: true}
	m.idx.add(e)
	done := make(chan bool)
	go func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		done <- m.waitLocked(e)
	}()
	// Destroy it the way CheckinAndDestroy does: flagged and removed
	// while still busy, then everyone waiting is woken.
	m.mu.Lock()
	e.destroy = true
	m.idx.remove(e)
	m.cond.Broadcast()
	m.mu.Unlock()
	wait := func() {
		t.Helper()
		select {
		case ok := <-done:
			if ok {
				t.Fatal("waitLocked reported a destroyed entry as available")
			}
		case <-time.After(5 * time.Second):
			t.Fatal("still waiting for a destroyed IKE_SA")
		}
	}
	wait()
	// A waiter that comes after the destruction does not block either.
	go func() {
		m.mu.Lock()
		defer m.mu.Unlock()
		done <- m.waitLocked(e)
	}()
	wait()
}
