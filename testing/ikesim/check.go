package ikesim

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
)

// LogLines returns the node's log lines that contain substr, without the
// "NN[GRP] " prefix.
func (n *Node) LogLines(substr string) []string {
	var out []string
	for _, l := range strings.Split(n.LogText(), "\n") {
		if i := strings.Index(l, "] "); i >= 0 && i < 8 {
			l = l[i+2:]
		}
		if strings.Contains(l, substr) {
			out = append(out, l)
		}
	}
	return out
}

// Messages returns the summaries of the messages the node generated and
// parsed ("generating CREATE_CHILD_SA request 2 [ N(REKEY_SA) SA No TSi
// TSr ]"), in order.
func (n *Node) Messages() []string {
	var out []string
	for _, l := range strings.Split(n.LogText(), "\n") {
		if i := strings.Index(l, "[ENC] "); i >= 0 {
			m := l[i+6:]
			if strings.HasPrefix(m, "generating ") || strings.HasPrefix(m, "parsed ") {
				out = append(out, m)
			}
		}
	}
	return out
}

// WantLog fails unless every line is somewhere in the node's log.
func (n *Node) WantLog(t testing.TB, lines ...string) {
	t.Helper()
	l := n.LogText()
	for _, want := range lines {
		if !strings.Contains(l, want) {
			t.Errorf("%s: log lacks %q\n--- %s's log ---\n%s", n.Name, want, n.Name, l)
			return
		}
	}
}

// WantLogOrder fails unless the lines appear in the node's log in this
// order (others may come in between).
func (n *Node) WantLogOrder(t testing.TB, lines ...string) {
	t.Helper()
	l := n.LogText()
	rest := l
	for _, want := range lines {
		i := strings.Index(rest, want)
		if i < 0 {
			where := "after the previous ones"
			if !strings.Contains(l, want) {
				where = "at all"
			}
			t.Errorf("%s: log lacks %q %s\n--- %s's log ---\n%s", n.Name, want, where, n.Name, l)
			return
		}
		rest = rest[i+len(want):]
	}
}

// NoLog fails if the node logged a line containing substr.
func (n *Node) NoLog(t testing.TB, substr string) {
	t.Helper()
	if ls := n.LogLines(substr); len(ls) > 0 {
		t.Errorf("%s: unexpected log line %q\n--- %s's log ---\n%s", n.Name, ls[0], n.Name, n.LogText())
	}
}

// CountLog counts the log lines containing substr.
func (n *Node) CountLog(substr string) int { return len(n.LogLines(substr)) }

// KernelEmpty fails unless the fake kernel holds no SA and no policy.
func (n *Node) KernelEmpty(t testing.TB) {
	t.Helper()
	if sas, pols := n.Kern.SAs(), n.Kern.Policies(); len(sas) != 0 || len(pols) != 0 {
		t.Errorf("%s: kernel not empty: SAs %v, policies %v\n--- calls ---\n%s", n.Name, sas, pols, n.Kern.Log())
	}
}

// OnlyIKESA returns the node's only IKE_SA and fails otherwise.
func (n *Node) OnlyIKESA(t testing.TB) *sa.IKESA {
	t.Helper()
	sas := n.SAs(t)
	if len(sas) != 1 {
		t.Fatalf("%s: %d IKE_SAs, want 1\n--- log ---\n%s", n.Name, len(sas), n.LogText())
	}
	return sas[0]
}

// WantEstablished fails unless the node has exactly one ESTABLISHED IKE_SA
// with children CHILD_SAs, all INSTALLED.
func (n *Node) WantEstablished(t testing.TB, children int) *sa.IKESA {
	t.Helper()
	ike := n.OnlyIKESA(t)
	if ike.State() != sa.IKEEstablished {
		t.Fatalf("%s: IKE_SA state %s, want ESTABLISHED\n--- log ---\n%s", n.Name, ike.State(), n.LogText())
	}
	if got := ike.ChildCount(); got != children {
		t.Fatalf("%s: %d CHILD_SAs, want %d\n--- log ---\n%s", n.Name, got, children, n.LogText())
	}
	for _, c := range ike.Children() {
		if c.State() != sa.ChildInstalled {
			t.Fatalf("%s: CHILD_SA %s{%d} state %s, want INSTALLED", n.Name, c.Name(), c.UniqueID(), c.State())
		}
	}
	return ike
}

// WantNoIKESA fails if the node still has IKE_SAs.
func (n *Node) WantNoIKESA(t testing.TB) {
	t.Helper()
	if sas := n.SAs(t); len(sas) != 0 {
		t.Fatalf("%s: %d IKE_SAs left (first in state %s)\n--- log ---\n%s", n.Name, len(sas), sas[0].State(), n.LogText())
	}
}

// CheckSane fails if the node is in a state it should never reach, after
// enough time for every exchange to have completed or given up: an IKE_SA
// left checked out or stuck between states, a CHILD_SA half-made, or a
// kernel SA or policy that no CHILD_SA accounts for (or the other way
// round). A peer that misbehaves may leave a CHILD_SA REKEYED, or its
// replacement waiting for the DELETE with only the inbound SA installed,
// as it would charon; both are accepted.
func (n *Node) CheckSane(t testing.TB) {
	t.Helper()
	want := map[kernelSAKey]bool{}
	policies := 0
	for _, ike := range n.SAs(t) {
		if s := ike.State(); s != sa.IKEEstablished {
			t.Errorf("%s: IKE_SA %s[%d] stuck in %s", n.Name, ike.Name(), ike.UniqueID(), s)
		}
		for _, c := range ike.Children() {
			if c.State() != sa.ChildInstalled && c.State() != sa.ChildRekeyed {
				t.Errorf("%s: CHILD_SA %s{%d} stuck in %s", n.Name, c.Name(), c.UniqueID(), c.State())
				continue
			}
			if c.Detached() {
				continue // restored, awaiting its rekey: nothing in the kernel
			}
			me, other := c.Addrs()
			want[kernelSAKey{me, c.SPI(true)}] = true
			if c.Outbound()&sa.OutboundSA != 0 {
				want[kernelSAKey{other, c.SPI(false)}] = true
			}
			per := 3
			if c.Mode() == kernel.ModeTransport { // no fwd policies
				per = 2
			}
			policies += len(c.PolicyPairs()) * per
		}
	}
	got := map[kernelSAKey]bool{}
	for _, id := range n.Kern.SAs() {
		got[kernelSAKey{id.Dst, id.SPI}] = true
		if !want[kernelSAKey{id.Dst, id.SPI}] {
			t.Errorf("%s: kernel SA %s belongs to no CHILD_SA", n.Name, id)
		}
	}
	for k := range want {
		if !got[k] {
			t.Errorf("%s: SA %s/%08x of a CHILD_SA is not in the kernel", n.Name, k.dst, k.spi)
		}
	}
	if got := len(n.Kern.Policies()); got > policies {
		t.Errorf("%s: %d policies in the kernel, the CHILD_SAs account for %d", n.Name, got, policies)
	}
}

type kernelSAKey struct {
	dst netip.Addr
	spi uint32
}
