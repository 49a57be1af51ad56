package credentials

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/testpki"
)

// A CA identity (swanctl's ca_id) is met by any CA or intermediate
// certificate of the chain with that subject; otherwise the round fails
// with charon's line, naming the CA required.
func TestCAIdentityComplies(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, nil)
	parse := func(c *testpki.Cert) *Certificate {
		x, err := ParseCertificate(c.DER)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	root, research := parse(h.Root), parse(h.Research)
	chain := AuthRules{IMCerts: []*Certificate{research}, CACerts: []*Certificate{root}}
	var lines []string
	log := LogFunc(func(_ LogGroup, _ int, format string, args ...any) {
		lines = append(lines, format)
	})
	for _, name := range []string{"C=CH, O=strongSwan Project, CN=strongSwan Root CA", "C=CH, O=strongSwan Project, OU=Research, CN=Research CA"} {
		want := AuthRules{CAIdentities: []*Identity{ParseIdentity(name)}}
		if !chain.Complies(want, log) {
			t.Errorf("chain through %q refused", name)
		}
	}
	other := AuthRules{CAIdentities: []*Identity{ParseIdentity("C=CH, O=Other, CN=Other CA")}}
	if chain.Complies(other, log) {
		t.Error("a chain without the CA named complies")
	}
	if len(lines) != 1 || !strings.Contains(lines[0], "peer not authenticated by CA") {
		t.Errorf("log %q", lines)
	}
	// Either constraint is enough, and both kinds compare in Equal.
	both := AuthRules{CACerts: []*Certificate{root}, CAIdentities: other.CAIdentities}
	if !chain.Complies(both, nil) {
		t.Error("the CA certificate required is in the chain, yet refused")
	}
	if both.Equal(AuthRules{CACerts: []*Certificate{root}}) || !both.Equal(both.Clone()) {
		t.Error("Equal ignores the CA identities")
	}
}
