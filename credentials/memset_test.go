package credentials

import (
	"time"

	"testing"

	"github.com/goswan/goswan/testing/testpki"
)

// The run-time set is seen by lookups as stroke's set is: its CA
// certificates are trusted anchors, its end entity certificates are
// trusted, its keys sign, and clearing it leaves stroke's set alone.
func TestRuntimeSetJoinsLookups(t *testing.T) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, testNow, nil)
	m := NewManager()
	m.Now = func() time.Time { return testNow }
	parse := func(c *testpki.Cert) *Certificate {
		x, err := ParseCertificate(c.DER)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	stroke := m.AddCert(parse(h.Sun), true)
	root := m.AddRuntimeCA(parse(h.Root))
	if again := m.AddRuntimeCA(parse(h.Root)); again != root {
		t.Error("an equal CA certificate is not reused")
	}
	moon := m.AddRuntimeCert(parse(h.Moon), true)
	if m.AddRuntimeCert(parse(h.Moon), true) != moon {
		t.Error("an equal certificate is not reused")
	}
	if len(m.TrustedCACerts()) != 1 {
		t.Errorf("trusted CAs: %d", len(m.TrustedCACerts()))
	}
	if m.GetCert(KeyAny, moon.Subject(), true) != moon {
		t.Error("the run-time certificate is not trusted")
	}
	k, err := NewPrivateKey(h.Moon.Key)
	if err != nil {
		t.Fatal(err)
	}
	m.AddRuntimeKey(k)
	m.AddRuntimeKey(k)
	if len(m.RuntimeKeys()) != 1 || !m.HasPrivate(moon) {
		t.Errorf("keys %d, has private %v", len(m.RuntimeKeys()), m.HasPrivate(moon))
	}
	if !m.IssuedBy(moon, root) {
		t.Error("moon not issued by the run-time root")
	}
	if m.RemoveRuntimeKey([]byte{1, 2}) || !m.RemoveRuntimeKey(k.Public().KeyID()) || m.HasPrivate(moon) {
		t.Error("key removal")
	}
	crl, err := ParseCRL(testpki.CRL(t, h.Root, 1, testNow, testNow.Add(24*time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if !m.AddRuntimeCRL(crl, nil) || len(m.RuntimeCRLs()) != 1 || len(m.CRLs()) != 1 {
		t.Error("run-time CRL not held")
	}
	m.ClearRuntime()
	if len(m.RuntimeCRLs()) != 0 || len(m.TrustedCACerts()) != 0 || m.GetCert(KeyAny, moon.Subject(), false) != nil {
		t.Error("the run-time set is not cleared")
	}
	if m.GetCert(KeyAny, stroke.Subject(), true) != stroke {
		t.Error("clearing the run-time set dropped stroke's certificate")
	}
}
