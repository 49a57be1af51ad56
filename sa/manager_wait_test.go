package sa_test

import (
	"testing"
	"time"

	"github.com/goswan/goswan/internal/ikesim"
)

// A job waiting for an IKE_SA that another job destroys while holding it
// gives up instead of waiting forever (this hung charon's shutdown when
// the peer's answer to the final DELETE arrived during it).
func TestCheckoutOfDestroyedSAReturns(t *testing.T) {
	s, moon, _, peer, child := ikesim.NetNet(t, nil)
	moon.Initiate(peer, child)
	s.Clock.Advance(time.Second)
	ike := moon.IKESAs()[0]
	held := moon.Mgr.Checkout(ike.ID(), 1)
	if held == nil {
		t.Fatal("checkout failed")
	}
	got := make(chan bool)
	go func() { got <- moon.Mgr.Checkout(ike.ID(), 2) != nil }()
	time.Sleep(20 * time.Millisecond) // let the second job wait (real goroutines, no protocol timing)
	moon.Mgr.CheckinAndDestroy(held)
	select {
	case ok := <-got:
		if ok {
			t.Fatal("checked out a destroyed IKE_SA")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("checkout still waiting for a destroyed IKE_SA")
	}
}
