package sa

import (
	"slices"
	"sync"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// ReqIDKey is what a reqid is shared by: CHILD_SAs with the same selectors,
// marks and interface ids get the same reqid, so that a rekeyed SA matches
// the policies of the old one (seeds/002) and a trap policy's acquire finds
// its config.
type ReqIDKey struct {
	Local, Remote   []selectors.TS
	MarkIn, MarkOut kernel.Mark
	IfIDIn, IfIDOut uint32
}

func (k ReqIDKey) sameSelectors(o ReqIDKey) bool {
	return slices.EqualFunc(k.Local, o.Local, selectors.TS.Equal) &&
		slices.EqualFunc(k.Remote, o.Remote, selectors.TS.Equal) && k.sameMarks(o)
}

func (k ReqIDKey) sameMarks(o ReqIDKey) bool {
	return k.MarkIn == o.MarkIn && k.MarkOut == o.MarkOut && k.IfIDIn == o.IfIDIn && k.IfIDOut == o.IfIDOut
}

// ReqIDs allocates reqids as strongSwan's kernel_interface does: a counter
// starting at 1, released reqids reused first, an explicit reqid honoured,
// and a reference count per entry. It is safe for concurrent use.
type ReqIDs struct {
	mu       sync.Mutex
	counter  uint32
	entries  []*reqidEntry
	released []uint32
}

type reqidEntry struct {
	key   ReqIDKey
	reqid uint32
	refs  int
}

// Alloc returns the reqid for key: want if it is already allocated (the
// selectors may have been narrowed since), else an entry with equal
// selectors, else a new one (want if not zero).
func (r *ReqIDs) Alloc(want uint32, key ReqIDKey) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var e *reqidEntry
	if want != 0 {
		for _, x := range r.entries {
			if x.reqid == want && x.key.sameMarks(key) {
				e = x
				break
			}
		}
	}
	if e == nil {
		for _, x := range r.entries {
			if x.key.sameSelectors(key) && (want == 0 || x.reqid == want) {
				e = x
				break
			}
		}
	}
	if e == nil {
		e = &reqidEntry{key: ReqIDKey{Local: slices.Clone(key.Local), Remote: slices.Clone(key.Remote),
			MarkIn: key.MarkIn, MarkOut: key.MarkOut, IfIDIn: key.IfIDIn, IfIDOut: key.IfIDOut}, reqid: want}
		if e.reqid == 0 {
			if len(r.released) > 0 {
				e.reqid, r.released = r.released[0], r.released[1:]
			} else {
				r.counter++
				e.reqid = r.counter
			}
		}
		r.entries = append(r.entries, e)
	}
	e.refs++
	return e.reqid, nil
}

// Release drops a reference to reqid; an unreferenced reqid is reused by the
// next allocation.
func (r *ReqIDs) Release(reqid uint32, key ReqIDKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.entries {
		if x.reqid == reqid && x.key.sameMarks(key) {
			x.refs--
			if x.refs == 0 {
				r.entries = slices.Delete(r.entries, i, i+1)
				r.released = append(r.released, reqid)
			}
			return nil
		}
	}
	return kernel.ErrNotFound
}
