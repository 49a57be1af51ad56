package tasks_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testpki"
	"github.com/goswan/goswan/testing/vclock"
)

// TestIKEReauthMakeBeforeBreak (charon.make_before_break=yes,
// task_manager_v2.c trigger_mbb_reauth, ike_reauth_complete.c): the
// reauthentication sets up a new IKE_SA with the CHILD_SA recreated under
// its reqid while the old one carries traffic, then deletes the old one.
// Run one packet at a time: no policy is ever removed, and at the end one
// IKE_SA with one CHILD_SA is left on each side. Where outbound policies
// name their SA (XFRM, goswan's userspace data plane), alice and bob
// reach each other after every packet: sun's new outbound policies stand
// by until moon deletes the old IKE_SA. Where the newest SA of a reqid
// wins (a kernel without policy SPIs, such as strongSwan's libipsec), sun
// sends with the new SA as soon as it answers IKE_AUTH, before moon has
// it: that half round trip is lost, as with charon.
func TestIKEReauthMakeBeforeBreak(t *testing.T) {
	for _, policySPI := range []bool{false, true} {
		t.Run(fmt.Sprintf("policy-spi %v", policySPI), func(t *testing.T) {
			s := ikesim.New(t)
			s.PolicySPI = policySPI
			p := ikesim.NewPairIn(t, s, nil)
			p.MoonPeer.RekeyTime, p.MoonPeer.ReauthTime = 0, 60
			p.Moon.Env.Settings.MakeBeforeBreak = true
			p.Up()
			p.AdvanceTo(30 * time.Second)
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				n.Kern.ResetCalls()
			}
			// What sun's outbound policy names when it answers moon's
			// DELETE for the old IKE_SA: moon removes the old inbound SA
			// when the answer arrives, so sun must send with the new one
			// by then.
			answerOut := map[string]bool{}
			p.AlterPlain = func(_ int, from *ikesim.Node, m *encoding.Message) {
				if from != p.Sun || m.Exchange != encoding.ExchangeInformational || !m.Response || m.Get(encoding.PayloadDelete) != nil {
					return
				}
				for _, id := range p.Sun.Kern.Policies() {
					if d, ok := p.Sun.Kern.InstalledPolicy(id); ok && id.Dir == kernel.DirOut {
						answerOut[fmt.Sprintf("%08x", d.SA.ESP.SPI)] = true
					}
				}
			}
			p.Hold = true
			p.AdvanceTo(60 * time.Second)
			steps := 0
			for len(p.Held()) > 0 {
				if policySPI {
					p.WantTraffic(t)
				}
				p.Deliver(p.Held()[0].Seq)
				steps++
			}
			p.WantTraffic(t)
			p.Moon.WantLogOrder(t,
				"[IKE] reauthenticating IKE_SA net-net[1]",
				"[IKE] initiating IKE_SA net-net[2] to 192.168.0.2",
				"[ENC] generating IKE_SA_INIT request 0",
				"[IKE] establishing CHILD_SA net-net{2} reqid 1",
				"[ENC] generating IKE_AUTH request 1",
				"[IKE] IKE_SA net-net[2] established",
				"[IKE] CHILD_SA net-net{2} established",
				"[IKE] deleting IKE_SA net-net[1] between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]",
				"[IKE] sending DELETE for IKE_SA net-net[1]",
				"[ENC] generating INFORMATIONAL request 2 [ D ]",
				"[ENC] parsed INFORMATIONAL response 2 [ ]",
				"[IKE] IKE_SA deleted",
			)
			p.Moon.NoLog(t, "restarting CHILD_SA")
			p.Sun.NoLog(t, "restarting CHILD_SA")
			if steps != 6 {
				t.Errorf("%d packets, want IKE_SA_INIT, IKE_AUTH and INFORMATIONAL, requests and responses", steps)
			}
			p.AlterPlain = nil
			p.Hold = false
			p.Advance(10 * time.Second)
			p.WantOneChildPair(t)
			if policySPI {
				newOut := p.Sun.OnlyIKESA(t).Children()[0].SPI(false)
				if len(answerOut) != 1 || !answerOut[fmt.Sprintf("%08x", newOut)] {
					t.Errorf("sun answered the DELETE with outbound policies naming SPIs %v, want only the new SA's, %08x", answerOut, newOut)
				}
			}
			for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
				wantNoPolicyGap(t, n)
				ike := n.OnlyIKESA(t)
				if ike.UniqueID() != 2 || ike.Children()[0].ReqID() != 1 {
					t.Errorf("%s: [%d] with reqid %d", n.Name, ike.UniqueID(), ike.Children()[0].ReqID())
				}
			}
		})
	}
}

// TestIKEReauthMakeBeforeBreakRevoked is strongSwan 5.9.8's
// ikev2/reauth-mbb-revoked in-process: moon (carol there) requires a good
// CRL for sun's certificate (strict revocation) and reauthenticates
// make-before-break every 5 s; sun's certificate is revoked after the
// first IKE_SA is up. The new IKE_SA's IKE_AUTH runs with online checks
// suspended (trigger_mbb_reauth), so it is set up and the old one
// deleted; then ike_verify_peer_cert fetches the CRL, finds the
// certificate revoked and deletes the new IKE_SA too.
func TestIKEReauthMakeBeforeBreakRevoked(t *testing.T) {
	const url = "http://crl.strongswan.org/strongswan.crl"
	h := testpki.NewHierarchy(t, testpki.RSA2048, vclock.Epoch, func(name string, o *testpki.Options) {
		o.CRLURLs = []string{url}
	})
	good := testpki.CRL(t, h.Root, 1, vclock.Epoch.Add(-2*time.Hour), vclock.Epoch.Add(24*time.Hour))
	revokedAt := vclock.Epoch.Add(time.Second)
	revoked := testpki.CRL(t, h.Root, 2, vclock.Epoch.Add(time.Second), vclock.Epoch.Add(24*time.Hour),
		testpki.Revoked{Cert: h.Sun, At: revokedAt, Reason: 1})
	p := certPair(t, h, func(s *sa.Settings) { s.MakeBeforeBreak = true }, func(moon, _ *ikesim.ConnOpts) {
		moon.PKI.CRL = []credentials.Validation{credentials.ValidationGood}
	})
	p.MoonPeer.RekeyTime, p.MoonPeer.ReauthTime, p.MoonPeer.OverTime = 0, 5, 5
	fetch := staticFetcher{url: good}
	p.Moon.Env.Certs.Fetcher = fetch
	p.Up()
	p.Advance(time.Second)
	p.WantOneChildPair(t)
	// winnetou publishes the CRL that revokes sun's certificate; moon
	// forgets the one it fetched (swanctl --flush-certs --type x509_crl).
	fetch[url] = revoked
	p.Moon.Env.Certs.PurgeCRLs()
	p.Advance(6 * time.Second)
	// ike_reauth_complete queues the old IKE_SA's delete as a job; the
	// verification runs in the same job (charon: on its own thread), so
	// the old IKE_SA's DELETE may follow the new one's.
	p.Moon.WantLogOrder(t,
		"[IKE] reauthenticating IKE_SA net-net[1]",
		"[IKE] IKE_SA net-net[2] established",
		"[IKE] verifying peer certificate",
		"[CFG] certificate was revoked on ",
		"[IKE] peer certificate verification failed, deleting SA",
		"[IKE] deleting IKE_SA net-net[2]",
	)
	p.Moon.WantLog(t, "[IKE] deleting IKE_SA net-net[1]")
	p.Advance(10 * time.Second)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
	}
}
