package credentials

import (
	"bytes"
	"slices"
)

// memSet is a credential set filled at run time (libstrongswan's
// mem_cred): vici's load-cert, load-key and the certificates of its conns
// (vici_cred), and the CA certificates of its load-cert and cacerts
// (vici_authority). It lives beside stroke's set in the Manager so that
// trust chains, private key lookups and revocation see both, as charon's
// credential manager enumerates every registered set.
type memSet struct {
	trusted   []*Certificate
	untrusted []*Certificate
	cas       []*Certificate
	crls      []*CRL
	keys      []*PrivateKey
}

// AddRuntimeCert adds a certificate to the run-time set, trusted or not,
// and returns the instance held: an equal certificate held before is
// reused (mem_cred add_cert_ref).
func (m *Manager) AddRuntimeCert(c *Certificate, trusted bool) *Certificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.runtime
	for _, x := range s.untrusted {
		if x.Equal(c) {
			return x
		}
	}
	if trusted {
		s.trusted = append([]*Certificate{c}, s.trusted...)
	}
	s.untrusted = append([]*Certificate{c}, s.untrusted...)
	return c
}

// AddRuntimeCA adds a trusted CA certificate to the run-time set
// (vici_authority add_ca_cert), reusing an equal one held.
func (m *Manager) AddRuntimeCA(c *Certificate) *Certificate {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, x := range m.runtime.cas {
		if x.Equal(c) {
			return x
		}
	}
	m.runtime.cas = append([]*Certificate{c}, m.runtime.cas...)
	return c
}

// AddRuntimeCRL stores a CRL in the run-time set as AddCRL does in
// stroke's; it reports whether the CRL was new.
func (m *Manager) AddRuntimeCRL(c *CRL, log LogFunc) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return addCRLTo(&m.runtime.crls, c, log)
}

// AddRuntimeKey adds a private key to the run-time set; a key with the
// same public key replaces the one held (mem_cred add_key).
func (m *Manager) AddRuntimeKey(k *PrivateKey) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := &m.runtime
	s.keys = slices.DeleteFunc(s.keys, func(x *PrivateKey) bool { return x.public.Equal(k.public) })
	s.keys = append([]*PrivateKey{k}, s.keys...)
}

// RemoveRuntimeKey removes the run-time key whose public key has the
// SHA-1 identifier keyID; it reports whether there was one.
func (m *Manager) RemoveRuntimeKey(keyID []byte) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.runtime.keys)
	m.runtime.keys = slices.DeleteFunc(m.runtime.keys, func(k *PrivateKey) bool {
		return bytes.Equal(k.public.KeyID(), keyID)
	})
	return len(m.runtime.keys) != n
}

// RuntimeKeys lists the run-time private keys, newest first.
func (m *Manager) RuntimeKeys() []*PrivateKey {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.runtime.keys)
}

// ClearRuntime drops everything of the run-time set (vici clear-creds:
// mem_cred clear and clear_ca_certs) and the relation cache built on it.
func (m *Manager) ClearRuntime() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.runtime = memSet{}
	m.cache.flush()
}

// RuntimeCRLs lists the CRLs of the run-time set.
func (m *Manager) RuntimeCRLs() []*CRL {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.runtime.crls)
}
