package tasks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
)

// TestWrongPSK (seeds/001): sun's secret differs. RFC 7296 §2.21.2: the
// responder answers IKE_AUTH with AUTHENTICATION_FAILED and deletes its
// half-open IKE_SA; the initiator gives up, removes the larval inbound SA
// it allocated for the CHILD_SA, and installs nothing.
func TestWrongPSK(t *testing.T) {
	p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.PSK = "not the same secret" })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH request 1",
		"[CFG] selected peer config 'net-net'",
		"[IKE] tried 1 shared key for 'sun.strongswan.org' - 'moon.strongswan.org', but MAC mismatched",
		"[ENC] generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		"[IKE] IKE_SA net-net[1] state change: CONNECTING => DESTROYING",
	)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		"[IKE] received AUTHENTICATION_FAILED notify error",
		"[CHD] CHILD_SA net-net{1} state change: CREATED => DESTROYING",
		"[IKE] IKE_SA net-net[1] state change: CONNECTING => DESTROYING",
	)
	wantNothingLeft(t, p.Moon, p.Sun)
	// moon allocated an SPI (a larval SA) and deleted it again.
	log := p.Moon.Kern.Log()
	if !strings.Contains(log, "GetSPI 192.168.0.2->192.168.0.1 proto 50 => 0xc0000001") ||
		!strings.Contains(log, "DelSA 192.168.0.2->192.168.0.1 proto 50 spi 0xc0000001") ||
		strings.Contains(log, "AddSA") || strings.Contains(log, "AddPolicy") {
		t.Errorf("moon's kernel calls:\n%s", log)
	}
	if log := p.Sun.Kern.Log(); log != "" {
		t.Errorf("sun touched the kernel:\n%s", log)
	}
}

// failOn makes the fake kernel fail calls that match.
func failOn(k *fakekernel.Kernel, match func(c fakekernel.Call) bool) {
	k.Fail = func(c fakekernel.Call) error {
		if match(c) {
			return errors.New("injected failure")
		}
		return nil
	}
}

// TestInitiatorInstallFails (seeds/001): the initiator cannot install the
// CHILD_SA negotiated in IKE_AUTH; the IKE_SA stays up ("failed to
// establish CHILD_SA, keeping IKE_SA") and the initiator tells the
// responder with a DELETE for the SA it allocated, so that sun removes
// the CHILD_SA it installed.
func TestInitiatorInstallFails(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	failOn(p.Moon.Kern, func(c fakekernel.Call) bool { return c.Op == "AddSA" && !c.Add.Inbound })
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
		"[IKE] IKE_SA net-net[1] established",
		"[IKE] unable to install outbound IPsec SA (SAD) in kernel",
		"[IKE] failed to establish CHILD_SA, keeping IKE_SA",
		"[IKE] sending DELETE for ESP CHILD_SA with SPI c0000001",
		"[ENC] generating INFORMATIONAL request 2 [ D ]",
		"[ENC] parsed INFORMATIONAL response 2 [ D ]",
		// As in charon, the half-installed CHILD_SA goes with its task.
		"[CHD] CHILD_SA net-net{1} state change: INSTALLING => DESTROYING",
	)
	p.Sun.WantLogOrder(t,
		"[IKE] CHILD_SA net-net{1} established",
		"[ENC] parsed INFORMATIONAL request 2 [ D ]",
		"[IKE] received DELETE for ESP CHILD_SA with SPI c0000001",
		"[IKE] closing CHILD_SA net-net{1}",
		"[ENC] generating INFORMATIONAL response 2 [ D ]",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestResponderInstallFails (seeds/001): the responder's kernel refuses
// the inbound SA; the failure travels back as a notify in the IKE_AUTH
// response and both keep the IKE_SA without CHILD_SA.
func TestResponderInstallFails(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	failOn(p.Sun.Kern, func(c fakekernel.Call) bool { return c.Op == "AddSA" && c.Add.Inbound })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[IKE] IKE_SA net-net[1] established",
		"[IKE] unable to install inbound IPsec SA (SAD) in kernel",
		"[IKE] failed to establish CHILD_SA, keeping IKE_SA",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH N(NO_PROP) ]",
	)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH response 1 [ IDr AUTH N(NO_PROP) ]",
		"[IKE] IKE_SA net-net[1] established",
		"[IKE] received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built",
		"[IKE] failed to establish CHILD_SA, keeping IKE_SA",
	)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestResponderPolicyFails: policies that cannot be installed are
// reported as TS_UNACCEPTABLE (select_and_install's NOT_FOUND).
func TestResponderPolicyFails(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	failOn(p.Sun.Kern, func(c fakekernel.Call) bool { return c.Op == "AddPolicy" && c.Policy.Dir == kernel.DirFwd })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLog(t, "[IKE] unable to install IPsec policies (SPD) in kernel",
		"[ENC] generating IKE_AUTH response 1 [ IDr AUTH N(TS_UNACCEPT) ]")
	p.Moon.WantLog(t, "[IKE] received TS_UNACCEPTABLE notify, no CHILD_SA built")
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.WantEstablished(t, 0)
		n.KernelEmpty(t)
	}
}

// TestSPIAllocationFails: without an SPI the initiator cannot even send
// its proposal; charon fails the IKE_AUTH build and destroys the IKE_SA.
func TestSPIAllocationFails(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	failOn(p.Moon.Kern, func(c fakekernel.Call) bool { return c.Op == "GetSPI" })
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[KNL] unable to get SPI", "[IKE] unable to allocate SPIs from kernel")
	wantNothingLeft(t, p.Moon)
}

// TestInitiatorAuthFails: RFC 7296 §2.21.2: when the initiator cannot
// authenticate the responder (here sun's AUTH is damaged before it is
// encrypted), it sends AUTHENTICATION_FAILED in a separate INFORMATIONAL
// and deletes the IKE_SA; the responder, which considered the IKE_SA
// established, deletes it too.
func TestInitiatorAuthFails(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.AlterPlain = func(_ int, from *ikesim.Node, m *encoding.Message) {
		if from == p.Sun && m.Exchange == encoding.ExchangeIKEAuth {
			if a, ok := m.First(encoding.PayloadAUTH).(*encoding.Auth); ok {
				a.Data[0] ^= 0xff
			}
		}
	}
	p.Up()
	p.Advance(time.Second)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
		"[IKE] tried 1 shared key for 'moon.strongswan.org' - 'sun.strongswan.org', but MAC mismatched",
		"[ENC] generating INFORMATIONAL request 2 [ N(AUTH_FAILED) ]",
	)
	p.Sun.WantLogOrder(t,
		"[IKE] IKE_SA net-net[1] established",
		"[ENC] parsed INFORMATIONAL request 2 [ N(AUTH_FAILED) ]",
		"[IKE] received DELETE for IKE_SA net-net[1]",
		"[IKE] IKE_SA deleted",
	)
	wantNothingLeft(t, p.Moon, p.Sun)
}

// TestShutdown: on SIGTERM charon deletes every IKE_SA with a DELETE
// (without waiting for the answer) and destroys them.
func TestShutdown(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	p.Up()
	p.Advance(time.Second)
	p.Moon.Run(func(thread int) { p.Moon.Mgr.Shutdown(thread) })
	p.Advance(time.Second)
	p.Moon.WantLog(t, "[IKE] sending DELETE for IKE_SA net-net[1]")
	p.Sun.WantLog(t, "[IKE] received DELETE for IKE_SA net-net[1]", "[IKE] IKE_SA deleted")
	wantNothingLeft(t, p.Moon, p.Sun)
}

// TestNoMatchingPeerConfig: sun has no conn for moon's identity. As
// Debian's charon (ikev2 probe, nopeer): the IKE_SA_INIT succeeds on the
// addresses, IKE_AUTH finds no peer config and is answered with
// AUTHENTICATION_FAILED, and neither side keeps an IKE_SA.
func TestNoMatchingPeerConfig(t *testing.T) {
	p := ikesim.NewPair(t, func(_, sun *ikesim.ConnOpts) { sun.RemoteID = "@other.strongswan.org" })
	p.Up()
	p.Advance(time.Second)
	p.Sun.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH request 1",
		"[CFG] looking for peer configs matching 192.168.0.2[sun.strongswan.org]...192.168.0.1[moon.strongswan.org]",
		"[CFG] no matching peer config found",
		"[ENC] generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
	)
	p.Moon.WantLogOrder(t,
		"[ENC] parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
		"[IKE] received AUTHENTICATION_FAILED notify error",
	)
	wantNothingLeft(t, p.Moon, p.Sun)
}

// wantNothingLeft checks that a failed exchange left no IKE_SA and nothing
// in the kernel on the given nodes.
func wantNothingLeft(t *testing.T, nodes ...*ikesim.Node) {
	t.Helper()
	for _, n := range nodes {
		n.WantNoIKESA(t)
		n.KernelEmpty(t)
	}
}
