package vici

import (
	"bytes"
	"testing"
	"time"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/testing/testpki"
)

// FuzzDecode feeds the message decoder arbitrary bytes: it must never
// panic, and whatever it accepts must encode back to the same bytes (a
// message that is accepted whole is exactly what a builder would write,
// once the sections left open at its end are closed).
func FuzzDecode(f *testing.F) {
	f.Add(readmeExample)
	f.Add([]byte{})
	f.Add([]byte{1, 1, 's', 4, 1, 'l', 5, 0, 0, 6, 2})
	f.Add([]byte{3, 1, 'a', 0, 1, '1', 2})
	f.Add([]byte{1, 1, 's', 3, 1, 'k', 0, 1, 'v'})
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if m == nil {
			t.Fatal("nil message")
		}
		_ = m.Int("a.b", 0)
		_ = m.Bool("a", false)
		_, _ = m.Str("s.k")
		enc, eerr := m.Encode()
		if eerr != nil {
			t.Fatalf("re-encoding a decoded message: %v", eerr)
		}
		if err != nil {
			return
		}
		// Sections and lists left open at the end get closed on
		// re-encoding; a message that closed them itself comes back as is.
		if len(enc) == len(data) && !bytes.Equal(enc, data) {
			t.Fatalf("round trip:\n in %v\nout %v", data, enc)
		}
	})
}

// FuzzPacket feeds the packet parser, then the server's inbound handling,
// arbitrary segments.
func FuzzPacket(f *testing.F) {
	f.Add(Packet{Type: CmdRequest, Name: "version"}.Encode())
	f.Add(Packet{Type: EventRegister, Name: "log"}.Encode())
	f.Add([]byte{CmdRequest, 200})
	f.Fuzz(func(t *testing.T, seg []byte) {
		p, err := ParsePacket(seg)
		if err == nil && named(p.Type) && !bytes.Equal(p.Encode(), seg) {
			t.Fatalf("round trip: %v -> %v", seg, p.Encode())
		}
	})
}

// FuzzCredentials feeds the credential commands' parsers (load-cert of
// every type and flag, load-key of every type, a conn's certs and
// cacerts) arbitrary data as a vici client may send it: nothing panics,
// refused data leaves the credential manager as it was, and what is
// accepted is listed.
func FuzzCredentials(f *testing.F) {
	h := testpki.NewHierarchy(f, testpki.ECDSA256, time.Now(), nil)
	f.Add(h.Moon.PEM())
	f.Add(h.Root.DER)
	f.Add(h.Moon.KeyPEM())
	f.Add(testpki.CRL(f, h.Root, 1, time.Now(), time.Now().Add(time.Hour)))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"))
	f.Add([]byte{0x30, 0x80, 0x00, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewManagerStore(credentials.NewManager(), nil)
		held := func() int { return len(s.Certs(CertFilter{Type: "ANY", Flag: "ANY"})) + len(s.KeyIDs()) }
		for _, typ := range []string{"X509", "X509_CRL", "X509_AC", "PUBKEY", "OCSP_RESPONSE"} {
			for _, flag := range []string{"NONE", "CA", "AA", "OCSP"} {
				before := held()
				if _, err := s.LoadCert(typ, flag, data); err != nil && held() != before {
					t.Fatalf("refused %s/%s changed the set", typ, flag)
				}
			}
		}
		for _, typ := range []string{"ANY", "RSA", "ECDSA", "ED25519", "ED448", "DSA"} {
			before := held()
			id, err := s.LoadKey(typ, data)
			if err != nil && held() != before {
				t.Fatalf("refused %s key changed the set", typ)
			}
			if err == nil && !s.UnloadKey(id) {
				t.Fatalf("loaded %s key %x not held", typ, id)
			}
		}
		for _, ca := range []bool{false, true} {
			if c, err := s.ConnCert(data, ca); err == nil && c == nil {
				t.Fatal("no certificate and no error")
			}
		}
		s.Clear()
		if held() != 0 {
			t.Fatal("clear-creds left credentials")
		}
	})
}
