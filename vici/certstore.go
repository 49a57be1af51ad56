package vici

import (
	"errors"
	"fmt"

	"github.com/goswan/goswan/credentials"
)

// ManagerStore is the CertStore of a daemon: vici's credentials go into
// the run-time set of the credential manager stroke uses too (vici_cred's
// mem_cred and vici_authority's CA set), so that trust chains, private
// keys and revocation see what either interface loaded, and list-certs
// shows both.
type ManagerStore struct {
	M *credentials.Manager
	// Log receives the credential layer's lines (parser diagnostics).
	Log credentials.LogFunc
	// Opts are the pubkey constraint settings.
	Opts credentials.ConstraintOptions
}

// Constraints returns the pubkey constraint settings.
func (s *ManagerStore) Constraints() credentials.ConstraintOptions { return s.Opts }

// NewManagerStore returns a CertStore on m.
func NewManagerStore(m *credentials.Manager, log credentials.LogFunc) *ManagerStore {
	return &ManagerStore{M: m, Log: log}
}

var certFlagBits = map[string]credentials.CertFlags{"NONE": 0, "CA": credentials.CertCA,
	"AA": credentials.CertAA, "OCSP": credentials.CertOCSPSigner}

// errCALacksConstraint is load-cert's answer to flag CA on a certificate
// without the CA basic constraint (logged after "loaded certificate").
var errCALacksConstraint = errors.New("ca certificate lacks CA basic constraint, rejected")

// LoadCert is load_cert's parsing and storing. A certificate of a type
// goswan cannot parse is refused with the reason.
func (s *ManagerStore) LoadCert(typ, flag string, data []byte) (string, error) {
	failed := func(why string) error {
		if why == "" {
			return fmt.Errorf("parsing %s certificate failed", typ)
		}
		return fmt.Errorf("parsing %s certificate failed: %s", typ, why)
	}
	switch typ {
	case "X509":
	case "X509_CRL":
		return s.loadCRL(data, failed)
	case "PUBKEY":
		return "", failed(whyRawKeys)
	case "X509_AC":
		return "", failed(whyAuthorities)
	default:
		// charon has no builder for the other types from a blob.
		return "", failed("")
	}
	der, _, err := credentials.Unarmor(data, nil)
	if err != nil {
		return "", failed("")
	}
	// The CA flag is never forced from outside: only the basic
	// constraint makes a CA.
	extra := certFlagBits[flag] &^ credentials.CertCA
	c, err := s.M.ParseCertificate(der, extra, s.Log)
	if err != nil {
		return "", failed("")
	}
	subject := c.Subject().String()
	switch {
	case c.Flags()&credentials.CertCA != 0:
		s.M.AddRuntimeCA(c)
	case flag == "CA":
		return subject, errCALacksConstraint
	default:
		s.M.AddRuntimeCert(c, true)
	}
	return subject, nil
}

func (s *ManagerStore) loadCRL(data []byte, failed func(string) error) (string, error) {
	der, _, err := credentials.Unarmor(data, nil)
	if err != nil {
		return "", failed("")
	}
	crl, err := credentials.ParseCRL(der)
	if err != nil {
		return "", failed("")
	}
	s.M.AddRuntimeCRL(crl, s.Log)
	return crl.Issuer().String(), nil
}

var keyTypes = map[string]credentials.KeyType{"ANY": credentials.KeyAny, "RSA": credentials.KeyRSA,
	"ECDSA": credentials.KeyECDSA, "ED25519": credentials.KeyED25519, "ED448": credentials.KeyED448}

// LoadKey parses a private key (PEM or DER, PKCS#1, SEC1 or PKCS#8; an
// encrypted one cannot be loaded: swanctl decrypts before sending).
func (s *ManagerStore) LoadKey(typ string, data []byte) ([]byte, error) {
	want, ok := keyTypes[typ]
	if !ok {
		return nil, fmt.Errorf("parsing %s private key failed", typ)
	}
	k, err := credentials.ParsePrivateKey(data, want, nil)
	if err != nil {
		return nil, fmt.Errorf("parsing %s private key failed", typ)
	}
	s.M.AddRuntimeKey(k)
	return k.Public().KeyID(), nil
}

// UnloadKey removes a key loaded over vici.
func (s *ManagerStore) UnloadKey(keyid []byte) bool { return s.M.RemoveRuntimeKey(keyid) }

// KeyIDs lists the keys loaded over vici.
func (s *ManagerStore) KeyIDs() [][]byte {
	var out [][]byte
	for _, k := range s.M.RuntimeKeys() {
		out = append(out, k.Public().KeyID())
	}
	return out
}

// ConnCert parses a certificate of a conn's certs or cacerts list and
// holds it in the run-time set (vici_config add_cert): subject
// certificates trusted, CA certificates as authorities.
func (s *ManagerStore) ConnCert(data []byte, ca bool) (*credentials.Certificate, error) {
	der, _, err := credentials.Unarmor(data, nil)
	if err != nil {
		return nil, err
	}
	c, err := s.M.ParseCertificate(der, 0, s.Log)
	if err != nil {
		return nil, err
	}
	if ca {
		return s.M.AddRuntimeCA(c), nil
	}
	return s.M.AddRuntimeCert(c, true), nil
}

// Flush empties the cache of a certificate type (credmgr flush_cache).
func (s *ManagerStore) Flush(typ string) {
	switch typ {
	case "ANY":
		s.M.FlushCache()
	case "X509":
		s.M.PurgeCerts()
	case "X509_CRL":
		s.M.PurgeCRLs()
	case "OCSP_RESPONSE":
		s.M.PurgeOCSP()
	}
}

// Clear drops vici's credentials (clear-creds).
func (s *ManagerStore) Clear() { s.M.ClearRuntime() }

// x509Flag is the one role flag list-certs files a certificate under.
func x509Flag(f credentials.CertFlags) (string, bool) {
	switch f & credentials.CertAnyRole {
	case 0:
		return "NONE", true
	case credentials.CertCA:
		return "CA", true
	case credentials.CertAA:
		return "AA", true
	case credentials.CertOCSPSigner:
		return "OCSP", true
	}
	// Several roles: none of enum_x509's passes matches it.
	return "", false
}

// Certs is enum_certs for X.509 certificates (by role: NONE, CA, AA,
// OCSP), CRLs and OCSP responses, each listed once, across every set.
func (s *ManagerStore) Certs(f CertFilter) []CertInfo {
	var out []CertInfo
	if f.Type == "ANY" || f.Type == "X509" {
		var uniq []*credentials.Certificate
		for _, c := range s.M.Certs(credentials.KeyAny, f.Subject) {
			dup := false
			for _, u := range uniq {
				if u.Equal(c) {
					dup = true
					break
				}
			}
			if !dup {
				uniq = append(uniq, c)
			}
		}
		for _, flag := range []string{"NONE", "CA", "AA", "OCSP"} {
			if f.Type != "ANY" && f.Flag != "ANY" && f.Flag != flag {
				continue
			}
			for _, c := range uniq {
				if fl, ok := x509Flag(c.Flags()); ok && fl == flag {
					out = append(out, CertInfo{Type: "X509", Flag: flag, HasPrivKey: s.M.HasPrivate(c), Data: c.Raw()})
				}
			}
		}
	}
	if f.Type == "ANY" || f.Type == "X509_CRL" {
		var uniq []*credentials.CRL
		for _, c := range s.M.CRLs() {
			if f.Subject != nil && c.HasIssuer(f.Subject) == credentials.MatchNone {
				continue
			}
			if !containsCRL(uniq, c) {
				uniq = append(uniq, c)
			}
		}
		for _, c := range uniq {
			out = append(out, CertInfo{Type: "X509_CRL", Data: c.Raw()})
		}
	}
	if (f.Type == "ANY" || f.Type == "OCSP_RESPONSE") && f.Subject == nil {
		for _, r := range s.M.OCSPResponses() {
			out = append(out, CertInfo{Type: "OCSP_RESPONSE", Data: r.Raw()})
		}
	}
	return out
}

func containsCRL(list []*credentials.CRL, c *credentials.CRL) bool {
	for _, x := range list {
		if x.Equal(c) {
			return true
		}
	}
	return false
}
