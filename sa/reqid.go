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
//
// Entries are found by reqid and by their selectors and marks through
// maps, not a walk: every CHILD_SA allocates one, and with ten thousand a
// walk was most of an IKE_SA's setup time.
type ReqIDs struct {
	mu       sync.Mutex
	counter  uint32
	byReqID  map[uint32][]*reqidEntry
	byKey    map[string][]*reqidEntry
	released []uint32
}

type reqidEntry struct {
	key    ReqIDKey
	keyStr string
	reqid  uint32
	refs   int
}

// indexKey encodes what sameSelectors compares: each selector as
// selectors.Compare sees it, the marks and the interface ids.
func (k ReqIDKey) indexKey() string {
	b := make([]byte, 0, 64)
	put := func(l []selectors.TS) {
		b = append(b, byte(len(l)))
		for _, t := range l {
			b = t.From().AppendTo(b)
			b = t.To().AppendTo(b)
			b = append(b, t.Protocol(), byte(t.FromPort()>>8), byte(t.FromPort()), byte(t.ToPort()>>8), byte(t.ToPort()))
		}
	}
	put(k.Local)
	put(k.Remote)
	for _, v := range []uint32{k.MarkIn.Value, k.MarkIn.Mask, k.MarkOut.Value, k.MarkOut.Mask, k.IfIDIn, k.IfIDOut} {
		b = append(b, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
	return string(b)
}

// Alloc returns the reqid for key: want if it is already allocated (the
// selectors may have been narrowed since), else an entry with equal
// selectors, else a new one (want if not zero).
func (r *ReqIDs) Alloc(want uint32, key ReqIDKey) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byReqID == nil {
		r.byReqID = map[uint32][]*reqidEntry{}
		r.byKey = map[string][]*reqidEntry{}
	}
	var e *reqidEntry
	if want != 0 {
		for _, x := range r.byReqID[want] {
			if x.key.sameMarks(key) {
				e = x
				break
			}
		}
	}
	ks := key.indexKey()
	if e == nil {
		for _, x := range r.byKey[ks] {
			if x.key.sameSelectors(key) && (want == 0 || x.reqid == want) {
				e = x
				break
			}
		}
	}
	if e == nil {
		e = &reqidEntry{key: ReqIDKey{Local: slices.Clone(key.Local), Remote: slices.Clone(key.Remote),
			MarkIn: key.MarkIn, MarkOut: key.MarkOut, IfIDIn: key.IfIDIn, IfIDOut: key.IfIDOut}, keyStr: ks, reqid: want}
		if e.reqid == 0 {
			if len(r.released) > 0 {
				e.reqid, r.released = r.released[0], r.released[1:]
			} else {
				r.counter++
				e.reqid = r.counter
			}
		}
		r.byReqID[e.reqid] = append(r.byReqID[e.reqid], e)
		r.byKey[ks] = append(r.byKey[ks], e)
	}
	e.refs++
	return e.reqid, nil
}

// Release drops a reference to reqid; an unreferenced reqid is reused by the
// next allocation.
func (r *ReqIDs) Release(reqid uint32, key ReqIDKey) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.byReqID[reqid] {
		if x.key.sameMarks(key) {
			x.refs--
			if x.refs == 0 {
				r.byReqID[reqid] = slices.Delete(r.byReqID[reqid], i, i+1)
				if len(r.byReqID[reqid]) == 0 {
					delete(r.byReqID, reqid)
				}
				l := r.byKey[x.keyStr]
				if j := slices.Index(l, x); j >= 0 {
					l = slices.Delete(l, j, j+1)
				}
				if len(l) == 0 {
					delete(r.byKey, x.keyStr)
				} else {
					r.byKey[x.keyStr] = l
				}
				r.released = append(r.released, reqid)
			}
			return nil
		}
	}
	return kernel.ErrNotFound
}
