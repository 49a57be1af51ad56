package tasks_test

import (
	"net/netip"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
)

// TestAuthLifetimeAnnounced: a responder that cannot reauthenticate
// itself (it assigned the peer a virtual IP) and learns a shorter
// lifetime announces it in an INFORMATIONAL with N(AUTH_LIFETIME), which
// the initiator applies (RFC 4478; ike_sa.c set_auth_lifetime). The SA
// asks its task manager for the announcement, no constructor in the Env.
func TestAuthLifetimeAnnounced(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Sun.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status {
		ike.AddVirtualIP(false, netip.MustParseAddr("10.3.0.1"))
		return ike.SetAuthLifetime(3600)
	})
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[ENC] generating INFORMATIONAL request 0 [ N(AUTH_LFT) ]")
	// 3600s less the conn's overtime (540s here): the time left until
	// the initiator must reauthenticate.
	p.Moon.WantLog(t, "[IKE] received AUTH_LIFETIME of 3060s, scheduling reauthentication in 2520s")
}
