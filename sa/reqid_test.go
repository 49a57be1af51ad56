package sa

import (
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
