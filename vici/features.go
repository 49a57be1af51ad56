package vici

import (
	"time"

	"github.com/goswan/goswan/credentials"
)

// The stores behind the commands whose subject goswan does not have yet.
// Until the daemon passes one in Features, the commands that need it
// answer with charon's error form and say why; listings show nothing,
// which is what the daemon then holds.

// CertStore is certificate and private key support (issue 13).
type CertStore interface {
	// LoadCert parses and stores a certificate of a type
	// (certificate_type_names: "X509", "X509_AC", "X509_CRL", "PUBKEY")
	// with an X.509 flag ("NONE", "CA", "AA", "OCSP"); it returns the
	// subject for the log, or an error for the reply (both: parsed, then
	// rejected).
	LoadCert(typ, flag string, data []byte) (subject string, err error)
	// LoadKey parses and stores a private key of a type (key_type_names:
	// "RSA", "ECDSA", "ED25519", "ED448", "ANY"); it returns the SHA-1
	// identifier of its public key.
	LoadKey(typ string, data []byte) (keyid []byte, err error)
	// UnloadKey removes a key loaded over vici.
	UnloadKey(keyid []byte) bool
	// KeyIDs lists the identifiers of the keys loaded over vici.
	KeyIDs() [][]byte
	// Certs lists the certificates the daemon holds, of every source.
	Certs(f CertFilter) []CertInfo
	// Flush empties the certificate cache of a type ("ANY": all).
	Flush(typ string)
	// Clear drops everything loaded over vici (clear-creds).
	Clear()
	// ConnCert parses a certificate of a conn's certs (ca: cacerts) list
	// and holds it for the conn's lifetime and beyond, as charon's
	// vici_cred and vici_authority sets do.
	ConnCert(data []byte, ca bool) (*credentials.Certificate, error)
	// Constraints are the settings auth = pubkey's constraints are
	// parsed with (charon.rsa_pss and
	// charon.signature_authentication_constraints).
	Constraints() credentials.ConstraintOptions
}

// CertFilter selects certificates for list-certs ("ANY" for any type or
// flag; a nil subject for any).
type CertFilter struct {
	Type, Flag string
	Subject    *credentials.Identity
}

// CertInfo is one list-cert event.
type CertInfo struct {
	Type, Flag string
	HasPrivKey bool
	// Data is the DER encoding.
	Data []byte
	// Subject, NotBefore and NotAfter are given for raw public keys.
	Subject             string
	NotBefore, NotAfter time.Time
}

// PoolStore is virtual IP pool support (issue 15).
type PoolStore interface {
	// LoadPool creates or updates a pool from its load-pool section.
	LoadPool(name string, def *Message) error
	// UnloadPool removes a pool without online leases.
	UnloadPool(name string) error
	// Pools describes the pools (one, with a name), with their leases if
	// asked for.
	Pools(name string, leases bool) []PoolInfo
}

// PoolInfo is one pool of get-pools.
type PoolInfo struct {
	Name, Base            string
	Size, Online, Offline uint32
	Leases                []LeaseInfo
}

// LeaseInfo is one lease of a pool.
type LeaseInfo struct {
	Address, Identity string
	Online            bool
}

// Counters is the counters plugin's query interface.
type Counters interface {
	// Names lists the connections that have counters.
	Names() []string
	// Get returns the counters of a connection ("" for the global ones),
	// in counterNames' order.
	Get(name string) ([]uint64, bool)
	// Reset clears a connection's counters ("" for the global ones).
	Reset(name string)
	// ResetAll clears every counter.
	ResetAll()
}

// counterNames is vici_counter_type_names.
var counterNames = [...]string{
	"ike-rekey-init", "ike-rekey-resp", "child-rekey", "invalid", "invalid-spi",
	"ike-init-in-req", "ike-init-in-resp", "ike-init-out-req", "ike-init-out-resp",
	"ike-auth-in-req", "ike-auth-in-resp", "ike-auth-out-req", "ike-auth-out-resp",
	"create-child-in-req", "create-child-in-resp", "create-child-out-req", "create-child-out-resp",
	"info-in-req", "info-in-resp", "info-out-req", "info-out-resp",
}
