package sa

import (
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

// ReqIDKey is what a reqid is shared by: CHILD_SAs with the same selectors,
// marks and interface ids get the same reqid, so that a rekeyed SA matches
// the policies of the old one (seeds/002) and a trap policy's acquire finds
// its config. goswan has no security labels, the fourth part of charon's
// key.
type ReqIDKey struct {
	Local, Remote   []selectors.TS
	MarkIn, MarkOut kernel.Mark
	IfIDIn, IfIDOut uint32
}

// sameSelectors compares the selector lists in order, as
// kernel_interface.c ts_array_equals (CHILD_SAs keep them sorted).
func (k ReqIDKey) sameSelectors(o ReqIDKey) bool {
	return slices.EqualFunc(k.Local, o.Local, selectors.TS.Equal) &&
		slices.EqualFunc(k.Remote, o.Remote, selectors.TS.Equal) && k.sameMarks(o)
}

// sameMarks compares what charon calls the shared part of the key (marks,
// interface ids, label).
func (k ReqIDKey) sameMarks(o ReqIDKey) bool {
	return k.MarkIn == o.MarkIn && k.MarkOut == o.MarkOut && k.IfIDIn == o.IfIDIn && k.IfIDOut == o.IfIDOut
}

// ReqIDs allocates reqids exactly as strongSwan 5.9.8's kernel_interface.c
// alloc_reqid and release_reqid do, so that the numbers other daemons rely
// on (mip6d's IPsecPolicy lines, seeds/004) come out the same for the same
// sequence of events:
//
//   - a requested reqid (a rekey, a restarted or trap-triggered CHILD_SA)
//     is kept if an entry with that reqid and the same marks and interface
//     ids exists, whatever its traffic selectors (they may have been
//     narrowed);
//   - otherwise the entry with the same traffic selectors, marks and
//     interface ids is shared;
//   - otherwise a new entry takes the oldest released reqid, or the next
//     number of a counter that starts at 1. A requested reqid that is no
//     longer allocated is not given out again on request: it waits in the
//     released list like any other.
//
// Every allocation and every Ref takes a reference; Release drops one, and
// the last one puts the reqid at the tail of the released list. It is safe
// for concurrent use.
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

// find returns the entry of reqid whose marks and interface ids are key's.
func (r *ReqIDs) find(reqid uint32, key ReqIDKey) *reqidEntry {
	for _, x := range r.entries {
		if x.reqid == reqid && x.key.sameMarks(key) {
			return x
		}
	}
	return nil
}

// Alloc returns the reqid for key (want: the reqid to keep, 0 for none)
// and takes a reference to it.
func (r *ReqIDs) Alloc(want uint32, key ReqIDKey) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var e *reqidEntry
	if want != 0 {
		e = r.find(want, key)
	}
	if e == nil {
		for _, x := range r.entries {
			if x.key.sameSelectors(key) {
				e = x
				break
			}
		}
	}
	if e == nil {
		e = &reqidEntry{key: ReqIDKey{Local: slices.Clone(key.Local), Remote: slices.Clone(key.Remote),
			MarkIn: key.MarkIn, MarkOut: key.MarkOut, IfIDIn: key.IfIDIn, IfIDOut: key.IfIDOut}}
		if len(r.released) > 0 {
			e.reqid, r.released = r.released[0], r.released[1:]
		} else {
			r.counter++
			e.reqid = r.counter
		}
		r.entries = append(r.entries, e)
	}
	e.refs++
	return e.reqid, nil
}

// Ref takes another reference to an allocated reqid (5.9.12's ref_reqid,
// used only with charon.keep_reqids); false if it is not allocated.
func (r *ReqIDs) Ref(reqid uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.entries {
		if x.reqid == reqid {
			x.refs++
			return true
		}
	}
	return false
}

// releaseRef drops a reference to reqid whatever its marks (5.9.12's
// release_reqid).
func (r *ReqIDs) releaseRef(reqid uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	i := slices.IndexFunc(r.entries, func(x *reqidEntry) bool { return x.reqid == reqid })
	if i < 0 {
		return false
	}
	e := r.entries[i]
	e.refs--
	if e.refs == 0 {
		r.entries = slices.Delete(r.entries, i, i+1)
		r.released = append(r.released, reqid)
	}
	return true
}

// RefReqID takes a reference to reqid for a CHILD_SA or task that will ask
// for it again, if charon.keep_reqids holds reqids; it reports whether the
// reqid may be asked for (always, as in 5.9.8, without the setting).
func (e *Env) RefReqID(reqid uint32) bool {
	if !e.Settings.KeepReqIDs {
		return true
	}
	return e.ReqIDs.Ref(reqid)
}

// ReleaseReqIDRef drops a reference RefReqID took (nothing without
// charon.keep_reqids, or for reqid 0).
func (e *Env) ReleaseReqIDRef(reqid uint32) {
	if e.Settings.KeepReqIDs && reqid != 0 && !e.ReqIDs.releaseRef(reqid) {
		e.Bus.Log(0, nil, bus.CHD, bus.Control, "releasing previous reqid %d failed", reqid)
	}
}

// Release drops a reference to reqid (the entry with key's marks and
// interface ids; its selectors do not matter); an unreferenced reqid joins
// the tail of the released list.
func (r *ReqIDs) Release(reqid uint32, key ReqIDKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.find(reqid, key)
	if e == nil {
		return kernel.ErrNotFound
	}
	e.refs--
	if e.refs == 0 {
		r.entries = slices.DeleteFunc(r.entries, func(x *reqidEntry) bool { return x == e })
		r.released = append(r.released, reqid)
	}
	return nil
}

// Allocated lists the allocated reqids in ascending order (for tests and
// leak checks).
func (r *ReqIDs) Allocated() []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]uint32, 0, len(r.entries))
	for _, e := range r.entries {
		out = append(out, e.reqid)
	}
	slices.Sort(out)
	return out
}
