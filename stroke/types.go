package stroke

import (
	"fmt"
	"strings"
)

// Type is the message type, stroke_msg_t.type (a C enum, int32 on the wire).
type Type int32

// The message types in the order of strongSwan's enum, so the values match.
const (
	TypeInitiate         Type = iota // STR_INITIATE: bring a connection up
	TypeRoute                        // STR_ROUTE: install trap policies
	TypeUnroute                      // STR_UNROUTE: remove trap policies
	TypeAddConn                      // STR_ADD_CONN: add a connection (from starter)
	TypeDelConn                      // STR_DEL_CONN: delete a connection
	TypeTerminate                    // STR_TERMINATE: take an IKE_SA or CHILD_SA down
	TypeTerminateSrcIP               // STR_TERMINATE_SRCIP: take down SAs by virtual IP
	TypeRekey                        // STR_REKEY: rekey an IKE_SA or CHILD_SA
	TypeStatus                       // STR_STATUS: ipsec status
	TypeStatusAll                    // STR_STATUS_ALL: ipsec statusall
	TypeStatusAllNoBlock             // STR_STATUS_ALL_NOBLK: statusall without waiting for locks
	TypeAddCA                        // STR_ADD_CA: add a ca section
	TypeDelCA                        // STR_DEL_CA: delete a ca section
	TypeLogLevel                     // STR_LOGLEVEL: change a log level
	TypeConfig                       // STR_CONFIG: global options (cachecrls)
	TypeList                         // STR_LIST: ipsec list*
	TypeReread                       // STR_REREAD: ipsec reread*
	TypePurge                        // STR_PURGE: ipsec purge*
	TypeLeases                       // STR_LEASES: ipsec leases
	TypeExport                       // STR_EXPORT: export certificates
	TypeMemUsage                     // STR_MEMUSAGE: leak-detective memory usage
	TypeUserCreds                    // STR_USER_CREDS: username/password for a connection
	TypeCounters                     // STR_COUNTERS: list or reset IKE counters
	numTypes
)

var typeNames = [...]string{
	"STR_INITIATE", "STR_ROUTE", "STR_UNROUTE", "STR_ADD_CONN", "STR_DEL_CONN",
	"STR_TERMINATE", "STR_TERMINATE_SRCIP", "STR_REKEY", "STR_STATUS", "STR_STATUS_ALL",
	"STR_STATUS_ALL_NOBLK", "STR_ADD_CA", "STR_DEL_CA", "STR_LOGLEVEL", "STR_CONFIG",
	"STR_LIST", "STR_REREAD", "STR_PURGE", "STR_LEASES", "STR_EXPORT", "STR_MEMUSAGE",
	"STR_USER_CREDS", "STR_COUNTERS",
}

// String is strongSwan's name for the type, e.g. "STR_ADD_CONN".
func (t Type) String() string {
	if t.Known() {
		return typeNames[t]
	}
	return fmt.Sprintf("Type(%d)", int32(t))
}

// Known reports whether t is one of the types strongSwan 5.9 defines.
func (t Type) Known() bool { return t >= 0 && t < numTypes }

// flagNames formats a bit set as "A|B|0x100" with the names of the known bits.
func flagNames(v uint32, names []string) string {
	if v == 0 {
		return "0"
	}
	var parts []string
	for i, n := range names {
		if v&(1<<i) != 0 {
			parts = append(parts, n)
			v &^= 1 << i
		}
	}
	if v != 0 {
		parts = append(parts, fmt.Sprintf("0x%x", v))
	}
	return strings.Join(parts, "|")
}

// ListFlags selects what STR_LIST lists (list_flag_t).
type ListFlags uint32

// The list flags of stroke_msg.h.
const (
	ListPubkeys   ListFlags = 0x0001
	ListCerts     ListFlags = 0x0002
	ListCACerts   ListFlags = 0x0004
	ListOCSPCerts ListFlags = 0x0008
	ListAACerts   ListFlags = 0x0010
	ListACerts    ListFlags = 0x0020
	ListGroups    ListFlags = 0x0040
	ListCAInfos   ListFlags = 0x0080
	ListCRLs      ListFlags = 0x0100
	ListOCSP      ListFlags = 0x0200
	ListAlgs      ListFlags = 0x0400
	ListPlugins   ListFlags = 0x0800
	ListAll       ListFlags = 0x0FFF
)

func (f ListFlags) String() string {
	return flagNames(uint32(f), []string{"PUBKEYS", "CERTS", "CACERTS", "OCSPCERTS",
		"AACERTS", "ACERTS", "GROUPS", "CAINFOS", "CRLS", "OCSP", "ALGS", "PLUGINS"})
}

// RereadFlags selects what STR_REREAD reloads (reread_flag_t).
type RereadFlags uint32

// The reread flags of stroke_msg.h.
const (
	RereadSecrets   RereadFlags = 0x0001
	RereadCACerts   RereadFlags = 0x0002
	RereadOCSPCerts RereadFlags = 0x0004
	RereadAACerts   RereadFlags = 0x0008
	RereadACerts    RereadFlags = 0x0010
	RereadCRLs      RereadFlags = 0x0020
	RereadAll       RereadFlags = 0x003F
)

func (f RereadFlags) String() string {
	return flagNames(uint32(f), []string{"SECRETS", "CACERTS", "OCSPCERTS", "AACERTS",
		"ACERTS", "CRLS"})
}

// PurgeFlags selects what STR_PURGE flushes (purge_flag_t).
type PurgeFlags uint32

// The purge flags of stroke_msg.h.
const (
	PurgeOCSP  PurgeFlags = 0x0001 // OCSP response cache
	PurgeCRLs  PurgeFlags = 0x0002 // CRL cache
	PurgeCerts PurgeFlags = 0x0004 // X.509 certificate cache
	PurgeIKE   PurgeFlags = 0x0008 // IKE_SAs without a CHILD_SA
)

func (f PurgeFlags) String() string {
	return flagNames(uint32(f), []string{"OCSP", "CRLS", "CERTS", "IKE"})
}

// ExportFlags selects what STR_EXPORT prints (export_flag_t).
type ExportFlags uint32

// The export flags of stroke_msg.h.
const (
	ExportX509      ExportFlags = 0x0001 // certificates with a subject
	ExportConnCert  ExportFlags = 0x0002 // a connection's end entity certificate
	ExportConnChain ExportFlags = 0x0004 // a connection's whole trust chain
)

func (f ExportFlags) String() string {
	return flagNames(uint32(f), []string{"X509", "CONN_CERT", "CONN_CHAIN"})
}

// CRLPolicy is strictcrlpolicy= (crl_policy_t).
type CRLPolicy int32

// The values of crl_policy_t.
const (
	CRLStrictNo    CRLPolicy = 0
	CRLStrictYes   CRLPolicy = 1
	CRLStrictIfURI CRLPolicy = 2
)

func (p CRLPolicy) String() string { return enumName(int32(p), "CRLPolicy", "no", "yes", "ifuri") }

// Mode is the IPsec mode of a connection, libstrongswan's ipsec_mode_t.
type Mode int32

// The values of ipsec_mode_t.
const (
	ModeNone      Mode = 0
	ModeTransport Mode = 1
	ModeTunnel    Mode = 2
	ModeBEET      Mode = 3
	ModePass      Mode = 4
	ModeDrop      Mode = 5
)

func (m Mode) String() string {
	return enumName(int32(m), "Mode", "NONE", "TRANSPORT", "TUNNEL", "BEET", "PASS", "DROP")
}

// Action is what dpdaction= and closeaction= ask for, as starter encodes it.
type Action int32

// The actions starter sends (its dpd_action_t); charon maps hold to a trap
// policy and restart to a new initiation.
const (
	ActionNone    Action = 0
	ActionClear   Action = 1
	ActionHold    Action = 2
	ActionRestart Action = 3
)

func (a Action) String() string {
	return enumName(int32(a), "Action", "none", "clear", "hold", "restart")
}

// Fragmentation is fragmentation= (no, accept, yes, force).
type Fragmentation int32

// The values of fragmentation_t.
const (
	FragmentationNo     Fragmentation = 0
	FragmentationAccept Fragmentation = 1
	FragmentationYes    Fragmentation = 2
	FragmentationForce  Fragmentation = 3
)

func (f Fragmentation) String() string {
	return enumName(int32(f), "Fragmentation", "no", "accept", "yes", "force")
}

// Unique is uniqueids= as starter sends it.
type Unique int32

// The values of starter's unique policy.
const (
	UniqueNo      Unique = 0
	UniqueYes     Unique = 1
	UniqueReplace Unique = 2
	UniqueKeep    Unique = 3
	UniqueNever   Unique = 4
)

func (u Unique) String() string {
	return enumName(int32(u), "Unique", "no", "yes", "replace", "keep", "never")
}

// CertPolicy is leftsendcert= (cert_policy_t).
type CertPolicy int32

// The values of cert_policy_t.
const (
	SendCertAlways  CertPolicy = 0
	SendCertIfAsked CertPolicy = 1
	SendCertNever   CertPolicy = 2
)

func (p CertPolicy) String() string {
	return enumName(int32(p), "CertPolicy", "always", "ifasked", "never")
}

// enumName is the String of the small C enums starter sends: names[v] for
// the values 0 to len(names)-1, in the enum's order, else "Kind(v)". One
// helper instead of a copied bounds check per enum type.
func enumName(v int32, kind string, names ...string) string {
	if v >= 0 && int(v) < len(names) {
		return names[v]
	}
	return fmt.Sprintf("%s(%d)", kind, v)
}
