package encoding

import (
	"strconv"

	"github.com/goswan/goswan/crypto"
)

// The enums of this file print with strongSwan's names (the enum_name_t
// tables of libcharon and libstrongswan). A value without a name prints as
// "(N)", which is what charon's %N printf hook does.

func unnamed(v int) string { return "(" + strconv.Itoa(v) + ")" }

func name[K comparable](m map[K]string, k K, v int) string {
	if s, ok := m[k]; ok {
		return s
	}
	return unnamed(v)
}

// ExchangeType is the IKE header's exchange type (RFC 7296 §3.1).
type ExchangeType uint8

const (
	ExchangeIKESAInit        ExchangeType = 34
	ExchangeIKEAuth          ExchangeType = 35
	ExchangeCreateChildSA    ExchangeType = 36
	ExchangeInformational    ExchangeType = 37
	ExchangeIKESessionResume ExchangeType = 38
	ExchangeUndefined        ExchangeType = 255

	// IKEv1's exchanges, which goswan does not speak but answers and
	// names as charon does.
	ExchangeIDProt          ExchangeType = 2
	ExchangeAggressive      ExchangeType = 4
	ExchangeInformationalV1 ExchangeType = 5
	ExchangeTransaction     ExchangeType = 6
	ExchangeQuickMode       ExchangeType = 32
	// ExchangeMEConnect is the mediation extension's exchange: Debian's
	// charon is built with it, so it names it and has message rules for it.
	ExchangeMEConnect ExchangeType = 240
)

var exchangeNames = map[ExchangeType]string{
	2: "ID_PROT", 3: "AUTH_ONLY", 4: "AGGRESSIVE", 5: "INFORMATIONAL_V1",
	6: "TRANSACTION", 32: "QUICK_MODE", 33: "NEW_GROUP_MODE",
	ExchangeIKESAInit: "IKE_SA_INIT", ExchangeIKEAuth: "IKE_AUTH",
	ExchangeCreateChildSA: "CREATE_CHILD_SA", ExchangeInformational: "INFORMATIONAL",
	ExchangeIKESessionResume: "IKE_SESSION_RESUME", ExchangeMEConnect: "ME_CONNECT", ExchangeUndefined: "EXCHANGE_TYPE_UNDEFINED",
}

func (t ExchangeType) String() string { return name(exchangeNames, t, int(t)) }

// IsIKEv1 reports exchange types that only exist in IKEv1.
func (t ExchangeType) IsIKEv1() bool { return t >= 2 && t <= 6 || t == 32 || t == 33 }

// isIKEv2 reports the exchange types charon accepts in an IKEv2 header.
func (t ExchangeType) isIKEv2() bool {
	return t >= ExchangeIKESAInit && t <= ExchangeIKESessionResume
}

// PayloadType is a payload's type, as named in the previous payload's
// "Next Payload" field (RFC 7296 §3.2).
type PayloadType uint8

const (
	PayloadNone     PayloadType = 0
	PayloadSA       PayloadType = 33
	PayloadKE       PayloadType = 34
	PayloadIDi      PayloadType = 35
	PayloadIDr      PayloadType = 36
	PayloadCERT     PayloadType = 37
	PayloadCERTREQ  PayloadType = 38
	PayloadAUTH     PayloadType = 39
	PayloadNonce    PayloadType = 40
	PayloadNotify   PayloadType = 41
	PayloadDelete   PayloadType = 42
	PayloadVendorID PayloadType = 43
	PayloadTSi      PayloadType = 44
	PayloadTSr      PayloadType = 45
	PayloadSK       PayloadType = 46
	PayloadCP       PayloadType = 47
	PayloadEAP      PayloadType = 48
	PayloadGSPM     PayloadType = 49
	PayloadSKF      PayloadType = 53
)

var payloadNames = map[PayloadType]string{
	0: "PL_NONE",
	1: "SECURITY_ASSOCIATION_V1", 2: "PROPOSAL_V1", 3: "TRANSFORM_V1", 4: "KEY_EXCHANGE_V1",
	5: "ID_V1", 6: "CERTIFICATE_V1", 7: "CERTREQ_V1", 8: "HASH_V1", 9: "SIGNATURE_V1",
	10: "NONCE_V1", 11: "NOTIFY_V1", 12: "DELETE_V1", 13: "VENDOR_ID_V1", 14: "CONFIGURATION_V1",
	20: "NAT_D_V1", 21: "NAT_OA_V1",
	33: "SECURITY_ASSOCIATION", 34: "KEY_EXCHANGE", 35: "ID_INITIATOR", 36: "ID_RESPONDER",
	37: "CERTIFICATE", 38: "CERTREQ", 39: "AUTH", 40: "NONCE", 41: "NOTIFY", 42: "DELETE",
	43: "VENDOR_ID", 44: "TS_INITIATOR", 45: "TS_RESPONDER", 46: "ENCRYPTED",
	47: "CONFIGURATION", 48: "EAP", 49: "GSPM", 50: "GROUP_ID",
	51: "GROUP_SECURITY_ASSOCIATION", 52: "KEY_DOWNLOAD", 53: "ENCRYPTED_FRAGMENT",
	130: "NAT_D_DRAFT_V1", 131: "NAT_OA_DRAFT_V1", 132: "FRAGMENT",
}

var payloadShortNames = map[PayloadType]string{
	0: "--",
	1: "SA", 2: "PROP", 3: "TRANS", 4: "KE", 5: "ID", 6: "CERT", 7: "CERTREQ", 8: "HASH",
	9: "SIG", 10: "No", 11: "N", 12: "D", 13: "V", 14: "CP", 20: "NAT-D", 21: "NAT-OA",
	33: "SA", 34: "KE", 35: "IDi", 36: "IDr", 37: "CERT", 38: "CERTREQ", 39: "AUTH",
	40: "No", 41: "N", 42: "D", 43: "V", 44: "TSi", 45: "TSr", 46: "E", 47: "CP",
	48: "EAP", 49: "GSPM", 50: "IDg", 51: "GSA", 52: "KD", 53: "EF",
	130: "NAT-D", 131: "NAT-OA", 132: "FRAG",
}

// String returns charon's long name, e.g. SECURITY_ASSOCIATION.
func (t PayloadType) String() string { return name(payloadNames, t, int(t)) }

// ShortName returns the abbreviation charon's message summaries use, e.g. SA.
func (t PayloadType) ShortName() string { return name(payloadShortNames, t, int(t)) }

// known reports the payload types an IKEv2 parser understands; everything
// else is kept as an Unknown payload (charon's payload_is_known for
// IKEv2 without the mediation extension).
func (t PayloadType) known() bool {
	return t >= PayloadSA && t <= PayloadEAP || t == PayloadSKF
}

// ProtocolID is the protocol of a proposal, notify or delete (RFC 7296 §3.3.1).
type ProtocolID uint8

const (
	ProtocolNone   ProtocolID = 0
	ProtocolIKE    ProtocolID = 1
	ProtocolAH     ProtocolID = 2
	ProtocolESP    ProtocolID = 3
	ProtocolIPComp ProtocolID = 4
)

var protocolNames = map[ProtocolID]string{0: "PROTO_NONE", 1: "IKE", 2: "AH", 3: "ESP", 4: "IPCOMP"}

func (p ProtocolID) String() string { return name(protocolNames, p, int(p)) }

// TransformType is a transform's type (RFC 7296 §3.3.2), one octet on the
// wire. It is package crypto's, whose algorithm table names the types and
// the transform IDs alike; the codec keeps the IDs as numbers.
type TransformType = crypto.TransformType

// The transform types of IKEv2, under the codec's short names.
const (
	TransformENCR  = crypto.TransformEncryption
	TransformPRF   = crypto.TransformPRF
	TransformINTEG = crypto.TransformIntegrity
	TransformDH    = crypto.TransformKeyExchange // "Key Exchange Method" since RFC 9370
	TransformESN   = crypto.TransformExtendedSeqs
)

// AttributeKeyLength is the only transform attribute IKEv2 defines (RFC 7296 §3.3.5).
const AttributeKeyLength uint16 = 14

// IDType is the type of an IDi/IDr payload (RFC 7296 §3.5).
type IDType uint8

const (
	IDIPv4Addr       IDType = 1
	IDFQDN           IDType = 2
	IDRFC822Addr     IDType = 3
	IDIPv4AddrSubnet IDType = 4
	IDIPv6Addr       IDType = 5
	IDIPv6AddrSubnet IDType = 6
	IDIPv4AddrRange  IDType = 7
	IDIPv6AddrRange  IDType = 8
	IDDERASN1DN      IDType = 9
	IDDERASN1GN      IDType = 10
	IDKeyID          IDType = 11
)

var idNames = map[IDType]string{
	0: "ID_ANY", 1: "ID_IPV4_ADDR", 2: "ID_FQDN", 3: "ID_RFC822_ADDR", 4: "ID_IPV4_ADDR_SUBNET",
	5: "ID_IPV6_ADDR", 6: "ID_IPV6_ADDR_SUBNET", 7: "ID_IPV4_ADDR_RANGE", 8: "ID_IPV6_ADDR_RANGE",
	9: "ID_DER_ASN1_DN", 10: "ID_DER_ASN1_GN", 11: "ID_KEY_ID", 201: "ID_DER_ASN1_GN_URI",
}

func (t IDType) String() string { return name(idNames, t, int(t)) }

// AuthMethod is the method of an AUTH payload (RFC 7296 §3.8, RFC 7427).
// String gives charon's wording ("pre-shared key", "RSA signature"), which
// appears in log lines such as "authentication of 'x' with pre-shared key".
type AuthMethod uint8

const (
	AuthRSA      AuthMethod = 1
	AuthPSK      AuthMethod = 2
	AuthDSS      AuthMethod = 3
	AuthECDSA256 AuthMethod = 9
	AuthECDSA384 AuthMethod = 10
	AuthECDSA521 AuthMethod = 11
	AuthGSPM     AuthMethod = 12
	AuthNULL     AuthMethod = 13
	AuthDS       AuthMethod = 14
)

var authNames = map[AuthMethod]string{
	1: "RSA signature", 2: "pre-shared key", 3: "DSS signature",
	9: "ECDSA-256 signature", 10: "ECDSA-384 signature", 11: "ECDSA-521 signature",
	12: "secure password method", 13: "NULL authentication", 14: "digital signature",
}

func (m AuthMethod) String() string { return name(authNames, m, int(m)) }

// CertEncoding is the encoding of a CERT or CERTREQ payload (RFC 7296 §3.6).
type CertEncoding uint8

const (
	CertX509Signature        CertEncoding = 4
	CertCRL                  CertEncoding = 7
	CertX509HashAndURL       CertEncoding = 12
	CertX509HashAndURLBundle CertEncoding = 13
)

var certEncodingNames = map[CertEncoding]string{
	1: "ENC_PKCS7_WRAPPED_X509", 2: "ENC_PGP", 3: "ENC_DNS_SIGNED_KEY",
	4: "ENC_X509_SIGNATURE", 5: "ENC_X509_KEY_EXCHANGE", 6: "ENC_KERBEROS_TOKENS",
	7: "ENC_CRL", 8: "ENC_ARL", 9: "ENC_SPKI", 10: "ENC_X509_ATTRIBUTE",
	11: "ENC_RAW_RSA_KEY", 12: "ENC_X509_HASH_AND_URL", 13: "ENC_X509_HASH_AND_URL_BUNDLE",
	14: "ENC_OCSP_CONTENT",
}

func (e CertEncoding) String() string { return name(certEncodingNames, e, int(e)) }

// TSType is the type of one traffic selector (RFC 7296 §3.13.1).
type TSType uint8

const (
	TSIPv4AddrRange TSType = 7
	TSIPv6AddrRange TSType = 8
	TSSecLabel      TSType = 10
)

var tsNames = map[TSType]string{7: "TS_IPV4_ADDR_RANGE", 8: "TS_IPV6_ADDR_RANGE", 10: "TS_SECLABEL"}

func (t TSType) String() string { return name(tsNames, t, int(t)) }

// CPType is the type of a configuration payload (RFC 7296 §3.15).
type CPType uint8

const (
	CPRequest CPType = 1
	CPReply   CPType = 2
	CPSet     CPType = 3
	CPAck     CPType = 4
)

var cpNames = map[CPType]string{1: "CFG_REQUEST", 2: "CFG_REPLY", 3: "CFG_SET", 4: "CFG_ACK"}

func (t CPType) String() string { return name(cpNames, t, int(t)) }

// summaryPrefix is what charon prints between "CP" and the attribute list.
func (t CPType) summaryPrefix() string {
	switch t {
	case CPRequest:
		return "RQ("
	case CPReply:
		return "RP("
	case CPSet:
		return "S("
	case CPAck:
		return "A("
	}
	return "("
}

// EAPCode is the code of an EAP packet (RFC 3748 §4).
type EAPCode uint8

const (
	EAPRequest  EAPCode = 1
	EAPResponse EAPCode = 2
	EAPSuccess  EAPCode = 3
	EAPFailure  EAPCode = 4
)

var eapCodeShortNames = map[EAPCode]string{1: "REQ", 2: "RES", 3: "SUCC", 4: "FAIL"}

// String returns charon's short form (REQ, RES, SUCC, FAIL).
func (c EAPCode) String() string { return name(eapCodeShortNames, c, int(c)) }

// EAPType is an EAP method type; expanded types (RFC 3748 §5.7) carry their
// 32-bit type here and the vendor separately.
type EAPType uint32

const (
	EAPIdentity EAPType = 1
	EAPMD5      EAPType = 4
	EAPExpanded EAPType = 254
)

var eapTypeShortNames = map[EAPType]string{
	1: "ID", 2: "NTF", 3: "NAK", 4: "MD5", 5: "OTP", 6: "GTC", 13: "TLS", 18: "SIM",
	21: "TTLS", 23: "AKA", 25: "PEAP", 26: "MSCHAPV2", 33: "MSTLV", 38: "TNC", 54: "PT",
	254: "EXP", 255: "XP", 256: "RAD", 257: "DYN",
}

// String returns charon's short form (ID, MD5, TLS, ...).
func (t EAPType) String() string { return name(eapTypeShortNames, t, int(int32(t))) }

// penShortNames are the private enterprise numbers charon abbreviates when
// it prints an expanded EAP type.
var penShortNames = map[uint32]string{
	0: "IETF", 2: "IBM", 311: "MS", 2312: "RH", 2699: "PWG", 3076: "ALT", 9048: "OSC",
	9586: "DEB", 11129: "GOO", 21911: "TCG", 28978: "CAN", 30401: "FED", 32939: "FHH",
	36906: "ITA", 38158: "PTS", 0xfffffe: "UNAS", 0xffffff: "RES",
}
