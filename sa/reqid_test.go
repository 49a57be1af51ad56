package sa

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/selectors"
)

func reqidKey(t *testing.T, local, remote string, mark uint32) ReqIDKey {
	t.Helper()
	l, err := selectors.ParseCIDR(local, 0, 0, 0xffff)
	if err != nil {
		t.Fatal(err)
	}
	r, err := selectors.ParseCIDR(remote, 0, 0, 0xffff)
	if err != nil {
		t.Fatal(err)
	}
	m := kernel.Mark{Value: mark, Mask: 0xffffffff}
	if mark == 0 {
		m = kernel.Mark{}
	}
	return ReqIDKey{Local: []selectors.TS{l}, Remote: []selectors.TS{r}, MarkIn: m, MarkOut: m}
}

// TestReqIDsAsKernelInterface walks kernel_interface.c's alloc_reqid and
// release_reqid of 5.9.8 step by step.
func TestReqIDsAsKernelInterface(t *testing.T) {
	var r ReqIDs
	a := reqidKey(t, "10.1.0.0/16", "10.2.0.0/16", 0)
	c := reqidKey(t, "10.1.0.0/24", "10.2.0.0/24", 0)
	m := reqidKey(t, "10.1.0.0/16", "10.2.0.0/16", 42)
	type step struct {
		what    string
		release bool
		want    uint32
		key     ReqIDKey
		got     uint32
	}
	steps := []step{
		{what: "first: counter", key: a, got: 1},
		{what: "same selectors: shared", key: a, got: 1},
		{what: "other selectors: counter", key: c, got: 2},
		{what: "same selectors, other mark: counter", key: m, got: 3},
		{what: "requested and allocated, other selectors (narrowed): kept", want: 2, key: a, got: 2},
		{what: "requested, allocated with another mark: by selectors", want: 3, key: a, got: 1},
		{what: "release 3", release: true, want: 3, key: m},
		{what: "release 2", release: true, want: 2, key: c},
		{what: "release 2 (second ref)", release: true, want: 2, key: c},
		// released: 3, 2
		{what: "requested, no longer allocated: dropped, head of released", want: 2, key: c, got: 3},
		{what: "new selectors: next released", key: reqidKey(t, "10.9.0.0/16", "10.8.0.0/16", 0), got: 2},
		{what: "released list empty: counter", key: reqidKey(t, "10.7.0.0/16", "10.6.0.0/16", 0), got: 4},
	}
	for _, s := range steps {
		if s.release {
			if err := r.Release(s.want, s.key); err != nil {
				t.Fatalf("%s: %v", s.what, err)
			}
			continue
		}
		got, err := r.Alloc(s.want, s.key)
		if err != nil || got != s.got {
			t.Errorf("%s: got %d, %v; want %d", s.what, got, err, s.got)
		}
	}
	if err := r.Release(1, m); err == nil {
		t.Error("releasing reqid 1 with another mark succeeded; charon looks it up with its marks")
	}
	if got := r.Allocated(); !slices.Equal(got, []uint32{1, 2, 3, 4}) {
		t.Errorf("allocated %v", got)
	}
}

// TestReqIDsRef: 5.9.12's ref_reqid and release by reqid, for
// charon.keep_reqids.
func TestReqIDsRef(t *testing.T) {
	var r ReqIDs
	a := reqidKey(t, "10.1.0.0/16", "10.2.0.0/16", 0)
	id, _ := r.Alloc(0, a)
	if !r.Ref(id) || r.Ref(id+1) {
		t.Fatal("Ref")
	}
	if !r.releaseRef(id) || !slices.Equal(r.Allocated(), []uint32{1}) {
		t.Fatal("first release dropped the entry")
	}
	if !r.releaseRef(id) || len(r.Allocated()) != 0 || r.releaseRef(id) {
		t.Fatal("second release")
	}
	if got, _ := r.Alloc(0, reqidKey(t, "10.3.0.0/16", "10.4.0.0/16", 0)); got != 1 {
		t.Errorf("released reqid not reused: %d", got)
	}
}

// linearReqIDs is the allocator without indexes: one list of entries in
// allocation order, walked for every lookup, as kernel_interface.c's
// semantics are written down in ReqIDs' comment. ReqIDs must answer every
// sequence of calls as it does, including which entry is shared when
// several match and the order of the released list.
type linearReqIDs struct {
	counter  uint32
	entries  []*reqidEntry
	released []uint32
}

func (r *linearReqIDs) alloc(want uint32, key ReqIDKey) uint32 {
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
			if x.key.sameSelectors(key) {
				e = x
				break
			}
		}
	}
	if e == nil {
		e = &reqidEntry{key: key}
		if len(r.released) > 0 {
			e.reqid, r.released = r.released[0], r.released[1:]
		} else {
			r.counter++
			e.reqid = r.counter
		}
		r.entries = append(r.entries, e)
	}
	e.refs++
	return e.reqid
}

// release drops a reference of the first entry match accepts.
func (r *linearReqIDs) release(match func(*reqidEntry) bool) bool {
	i := slices.IndexFunc(r.entries, match)
	if i < 0 {
		return false
	}
	e := r.entries[i]
	if e.refs--; e.refs == 0 {
		r.entries = slices.Delete(r.entries, i, i+1)
		r.released = append(r.released, e.reqid)
	}
	return true
}

func (r *linearReqIDs) ref(reqid uint32) bool {
	for _, x := range r.entries {
		if x.reqid == reqid {
			x.refs++
			return true
		}
	}
	return false
}

// TestReqIDsAsLinearWalk drives ReqIDs and linearReqIDs with the same
// random calls (IPv4 and IPv6 selectors, several per side, marks, interface
// ids, requested reqids allocated or not) and compares every answer, the
// allocated reqids and the released list.
func TestReqIDsAsLinearWalk(t *testing.T) {
	cidr := func(s string) selectors.TS {
		ts, err := selectors.ParseCIDR(s, 0, 0, 0xffff)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	nets := []selectors.TS{cidr("10.1.0.0/16"), cidr("10.1.0.0/24"), cidr("10.2.0.0/16"),
		cidr("fec1::/16"), cidr("fec1::/64"), cidr("::ffff:10.1.0.0/112"), cidr("0.0.0.0/0"), cidr("::/0")}
	var keys []ReqIDKey
	for i := range 40 {
		k := ReqIDKey{Local: []selectors.TS{nets[i%len(nets)]}, Remote: []selectors.TS{nets[(i/3)%len(nets)]}}
		if i%5 == 0 {
			k.Local = append(k.Local, nets[(i+1)%len(nets)])
		}
		if i%7 == 0 {
			k.MarkIn, k.MarkOut = kernel.Mark{Value: 42, Mask: 0xffffffff}, kernel.Mark{Value: 42, Mask: 0xffffffff}
		}
		if i%11 == 0 {
			k.IfIDIn, k.IfIDOut = 7, 7
		}
		keys = append(keys, k)
	}
	for seed := range uint64(20) {
		rnd := rand.New(rand.NewPCG(seed, 17))
		var got ReqIDs
		var want linearReqIDs
		for step := range 3000 {
			key := keys[rnd.IntN(len(keys))]
			reqid := uint32(rnd.IntN(int(want.counter) + 2))
			var g, w any
			switch op := rnd.IntN(10); {
			case op < 4:
				a, _ := got.Alloc(reqid, key)
				g, w = a, want.alloc(reqid, key)
			case op < 8:
				g = got.Release(reqid, key) == nil
				w = want.release(func(x *reqidEntry) bool { return x.reqid == reqid && x.key.sameMarks(key) })
			case op < 9:
				g, w = got.Ref(reqid), want.ref(reqid)
			default:
				g = got.releaseRef(reqid)
				w = want.release(func(x *reqidEntry) bool { return x.reqid == reqid })
			}
			if g != w {
				t.Fatalf("seed %d step %d: got %v, the linear walk %v", seed, step, g, w)
			}
			var wantAllocated []uint32
			for _, e := range want.entries {
				wantAllocated = append(wantAllocated, e.reqid)
			}
			slices.Sort(wantAllocated)
			if a := got.Allocated(); !slices.Equal(a, wantAllocated) || !slices.Equal(got.released, want.released) {
				t.Fatalf("seed %d step %d: allocated %v released %v; the linear walk %v, %v",
					seed, step, a, got.released, wantAllocated, want.released)
			}
		}
	}
}

// BenchmarkReqIDAlloc: allocating and releasing one more reqid while n
// CHILD_SAs with their own selectors hold theirs, with the indexes and with
// the walk over all entries (the ratio is what the indexes buy a loaded
// responder: one Alloc per CHILD_SA set up).
func BenchmarkReqIDAlloc(b *testing.B) {
	key := func(i int) ReqIDKey {
		l, _ := selectors.ParseCIDR(fmt.Sprintf("10.1.%d.%d/32", i>>8&0xff, i&0xff), 0, 0, 0xffff)
		r, _ := selectors.ParseCIDR("10.2.0.0/16", 0, 0, 0xffff)
		return ReqIDKey{Local: []selectors.TS{l}, Remote: []selectors.TS{r}}
	}
	for _, n := range []int{100, 10000} {
		extra := key(n + 1)
		b.Run(fmt.Sprintf("indexed/%d", n), func(b *testing.B) {
			var r ReqIDs
			for i := range n {
				_, _ = r.Alloc(0, key(i))
			}
			b.ResetTimer()
			for range b.N {
				id, _ := r.Alloc(0, extra)
				_ = r.Release(id, extra)
			}
		})
		b.Run(fmt.Sprintf("walk/%d", n), func(b *testing.B) {
			var r linearReqIDs
			for i := range n {
				r.alloc(0, key(i))
			}
			b.ResetTimer()
			for range b.N {
				id := r.alloc(0, extra)
				r.release(func(x *reqidEntry) bool { return x.reqid == id && x.key.sameMarks(extra) })
			}
		})
	}
}
