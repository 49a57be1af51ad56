package sa_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// A detached IKE_SA (the new SA of an IKE rekey) is invisible to other
// jobs until it is checked out new or checked in; one that was destroyed
// is never registered again.
func TestDetachedIKESA(t *testing.T) {
	s, moon, _, peer, child := ikesim.NetNet(t, nil)
	moon.Initiate(peer, child)
	s.Clock.Advance(time.Second)
	m := moon.Mgr
	if m.Count() != 1 {
		t.Fatalf("%d IKE_SAs", m.Count())
	}
	d := m.CreateDetached(true, 1)
	if m.Count() != 1 || m.CheckoutByUniqueID(d.UniqueID(), 1) != nil {
		t.Fatal("a detached IKE_SA is visible")
	}
	m.CheckoutNew(d)
	if m.Count() != 2 || len(moon.IKESAs()) != 1 {
		t.Fatal("CheckoutNew did not register the IKE_SA as checked out")
	}
	m.Checkin(d)
	if len(moon.IKESAs()) != 2 {
		t.Fatal("checked-in IKE_SA not listed")
	}
	x := m.CheckoutByUniqueID(d.UniqueID(), 1)
	m.CheckinAndDestroy(x)
	m.Checkin(x) // a late, wrong checkin must not bring it back
	if m.Count() != 1 {
		t.Fatalf("%d IKE_SAs after destroying the detached one", m.Count())
	}
	late := m.CreateDetached(false, 1)
	m.CheckinAndDestroy(late) // destroying a never registered one is fine
	if late.State() != sa.IKEDestroying || m.Count() != 1 {
		t.Fatal("destroying a detached IKE_SA")
	}
}
