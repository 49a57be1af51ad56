package sa

import (
	"encoding/binary"
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
//
// Entries are found through two maps, by reqid and by selectors and marks,
// not by a walk over all of them: every CHILD_SA allocates one, and with ten
// thousand CHILD_SAs the walk was most of an IKE_SA's setup time. Each map
// holds its entries in allocation order, and removal keeps that order, so
// that where several entries match, the one taken is the one a walk over
// all entries in allocation order would take first.
type ReqIDs struct {
	mu       sync.Mutex
	counter  uint32
	byReqID  map[uint32][]*reqidEntry
	byKey    map[string][]*reqidEntry
	released []uint32
}

type reqidEntry struct {
	key    ReqIDKey
	keyStr string // key.indexKey()
	reqid  uint32
	refs   int
}

// indexKey encodes exactly what sameSelectors compares: each selector as
// selectors.Compare sees it (family, address bytes without zone, protocol,
// ports; not whether it is dynamic), the marks and the interface ids. Keys
// that sameSelectors finds equal encode the same; the encoding is
// length-prefixed, so different keys do not (and a lookup compares anyway).
func (k ReqIDKey) indexKey() string {
	b := make([]byte, 0, 80)
	put := func(l []selectors.TS) {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, t := range l {
			from, to := t.From().AsSlice(), t.To().AsSlice()
			b = append(b, byte(len(from)))
			b = append(b, from...)
			b = append(b, byte(len(to)))
			b = append(b, to...)
			b = append(b, t.Protocol())
			b = binary.BigEndian.AppendUint16(b, t.FromPort())
			b = binary.BigEndian.AppendUint16(b, t.ToPort())
		}
	}
	put(k.Local)
	put(k.Remote)
	for _, v := range []uint32{k.MarkIn.Value, k.MarkIn.Mask, k.MarkOut.Value, k.MarkOut.Mask, k.IfIDIn, k.IfIDOut} {
		b = binary.BigEndian.AppendUint32(b, v)
	}
	return string(b)
}

// find returns the entry of reqid whose marks and interface ids are key's.
func (r *ReqIDs) find(reqid uint32, key ReqIDKey) *reqidEntry {
	for _, x := range r.byReqID[reqid] {
		if x.key.sameMarks(key) {
			return x
		}
	}
	return nil
}

// shared returns the entry whose selectors, marks and interface ids are
// key's (ks is key.indexKey()).
func (r *ReqIDs) shared(ks string, key ReqIDKey) *reqidEntry {
	for _, x := range r.byKey[ks] {
		if x.key.sameSelectors(key) {
			return x
		}
	}
	return nil
}

// drop takes a reference from e; the last one removes e from both indexes
// (keeping the others' order) and puts its reqid at the tail of the
// released list.
func (r *ReqIDs) drop(e *reqidEntry) {
	e.refs--
	if e.refs > 0 {
		return
	}
	remove := func(l []*reqidEntry) []*reqidEntry {
		return slices.DeleteFunc(l, func(x *reqidEntry) bool { return x == e })
	}
	if l := remove(r.byReqID[e.reqid]); len(l) > 0 {
		r.byReqID[e.reqid] = l
	} else {
		delete(r.byReqID, e.reqid)
	}
	if l := remove(r.byKey[e.keyStr]); len(l) > 0 {
		r.byKey[e.keyStr] = l
	} else {
		delete(r.byKey, e.keyStr)
	}
	r.released = append(r.released, e.reqid)
}

// Alloc returns the reqid for key (want: the reqid to keep, 0 for none)
// and takes a reference to it.
func (r *ReqIDs) Alloc(want uint32, key ReqIDKey) (uint32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byReqID == nil {
		r.byReqID = map[uint32][]*reqidEntry{}
		r.byKey = map[string][]*reqidEntry{}
	}
	var e *reqidEntry
	if want != 0 {
		e = r.find(want, key)
	}
	if e == nil {
		ks := key.indexKey()
		if e = r.shared(ks, key); e == nil {
			e = r.add(ks, key)
		}
	}
	e.refs++
	return e.reqid, nil
}

// add makes an unreferenced entry for key with the oldest released reqid,
// or the counter's next.
func (r *ReqIDs) add(ks string, key ReqIDKey) *reqidEntry {
	e := &reqidEntry{key: ReqIDKey{Local: slices.Clone(key.Local), Remote: slices.Clone(key.Remote),
		MarkIn: key.MarkIn, MarkOut: key.MarkOut, IfIDIn: key.IfIDIn, IfIDOut: key.IfIDOut}, keyStr: ks}
	if len(r.released) > 0 {
		e.reqid, r.released = r.released[0], r.released[1:]
	} else {
		r.counter++
		e.reqid = r.counter
	}
	r.byReqID[e.reqid] = append(r.byReqID[e.reqid], e)
	r.byKey[ks] = append(r.byKey[ks], e)
	return e
}

// Ref takes another reference to an allocated reqid (5.9.12's ref_reqid,
// used only with charon.keep_reqids); false if it is not allocated.
func (r *ReqIDs) Ref(reqid uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.byReqID[reqid]
	if len(l) == 0 {
		return false
	}
	l[0].refs++
	return true
}

// releaseRef drops a reference to reqid whatever its marks (5.9.12's
// release_reqid).
func (r *ReqIDs) releaseRef(reqid uint32) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	l := r.byReqID[reqid]
	if len(l) == 0 {
		return false
	}
	r.drop(l[0])
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
	r.drop(e)
	return nil
}

// Allocated lists the allocated reqids in ascending order (for tests and
// leak checks).
func (r *ReqIDs) Allocated() []uint32 {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]uint32, 0, len(r.byReqID))
	for reqid, l := range r.byReqID {
		for range l {
			out = append(out, reqid)
		}
	}
	slices.Sort(out)
	return out
}
