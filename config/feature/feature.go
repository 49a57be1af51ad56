// Package feature lists what strongSwan 5.9.8 does and goswan does not do
// yet, in one place. Everything that depends on whether goswan does a
// feature asks here: ipsec.conf's keyword table (confparse/ipsecconf) for
// the keywords and values that need it, which gives checkconf's "not
// supported" lines and the conns charon refuses at add_conn; the
// strongswan.conf options that need it (confparse/settings); the
// capabilities announced on the wire (tasks); and README's "What goswan
// does not do yet" (tested against All).
//
// Implementing a feature means setting its Supported to true here: the
// refusals disappear, the announcements appear, and the refusal tests
// (which fail for a supported feature) are replaced by the feature's own.
package feature

import "strings"

// Feature is one thing strongSwan does.
type Feature struct {
	// Name is how refusals and README name the feature.
	Name string
	// Supported says goswan does it.
	Supported bool
}

func (f *Feature) String() string { return f.Name }

// The features goswan does not do yet.
var (
	Certificates = &Feature{Name: "certificates and public-key authentication", Supported: true}
	// RawPublicKeys are leftsigkey/leftrsasigkey: public keys trusted as
	// they are, from files, DNSKEY or SSH encodings.
	RawPublicKeys = &Feature{Name: "raw public keys (leftsigkey, leftrsasigkey)"}
	// ViciCertificates is swanctl's side of Certificates: certificates,
	// keys, authorities and public-key rounds loaded over vici.
	ViciCertificates = &Feature{Name: "certificates and public-key authentication over vici (swanctl)", Supported: true}
	// ViciAuthorities is what vici's certificate support still lacks:
	// load-authority, cert*/cacert* sections (files, PKCS#11) and
	// attribute certificates.
	ViciAuthorities = &Feature{Name: "certification authorities, attribute certificates and certificates from files or tokens over vici (swanctl)"}
	EAP             = &Feature{Name: "EAP authentication", Supported: true}
	// EAPTLS is the eap-tls plugin, EAP-TLS as server and peer. A RADIUS
	// server running EAP-TLS behind eap-radius needs none of it.
	EAPTLS = &Feature{Name: "EAP-TLS (eap-tls)", Supported: true}
	// TLSAlgorithms are charon.tls's algorithm selections, which the
	// EAP-TLS stack (crypto/tls's own suites and groups) does not take.
	TLSAlgorithms = &Feature{Name: "TLS algorithm selection for EAP-TLS (charon.tls.suites, cipher, mac, key_exchange, signature, ke_group, send_certreq_authorities)"}
	// OtherEAPMethods are the eap-* plugins goswan has no counterpart of,
	// and vendor-specific methods.
	OtherEAPMethods = &Feature{Name: "EAP methods other than MD5, MSCHAPv2, TLS and RADIUS (eap-aka, eap-sim, eap-gtc, eap-ttls, eap-peap, eap-tnc, eap-dynamic, vendor methods)"}
	// RADIUSExtras is what eap-radius does beyond authentication: RADIUS
	// accounting, dynamic authorization (DAE), attribute forwarding,
	// Filter-Id groups, closing IKE_SAs when the server does not respond.
	RADIUSExtras = &Feature{Name: "RADIUS accounting, dynamic authorization, attribute forwarding and Filter-Id groups (eap-radius)"}
	XAuth        = &Feature{Name: "XAuth authentication"}
	VirtualIPs   = &Feature{Name: "virtual IPs, address pools and configuration attributes", Supported: true}
	IKEv1        = &Feature{Name: "IKEv1"}
	MOBIKE       = &Feature{Name: "MOBIKE (RFC 4555)", Supported: true}
	Redirect     = &Feature{Name: "IKEv2 redirection (RFC 5685)", Supported: true}
	// MessageIDSync is RFC 6311, announced by charon in every IKE_AUTH.
	MessageIDSync   = &Feature{Name: "IKEv2 message ID synchronization (RFC 6311)", Supported: true}
	MakeBeforeBreak = &Feature{Name: "make-before-break reauthentication", Supported: true}
	Mediation       = &Feature{Name: "the IKE mediation extension"}
	IKEDSCP         = &Feature{Name: "DSCP marking of IKE packets"}
	IKESALimit      = &Feature{Name: "a limit on the number of IKE_SAs", Supported: true}
)

// All lists every feature, in the order README names them.
var All = []*Feature{
	Certificates, RawPublicKeys, ViciCertificates, ViciAuthorities, EAP, EAPTLS, TLSAlgorithms, OtherEAPMethods, RADIUSExtras, XAuth, VirtualIPs, IKEv1, MOBIKE, Redirect, MessageIDSync,
	MakeBeforeBreak, Mediation, IKEDSCP, IKESALimit,
}

// Unsupported lists the features goswan does not do, in README order.
func Unsupported() []*Feature {
	var out []*Feature
	for _, f := range All {
		if !f.Supported {
			out = append(out, f)
		}
	}
	return out
}

// Readme is README's paragraph on what goswan does not do yet, made from
// All (README is tested against it).
func Readme() string {
	var names []string
	for _, f := range Unsupported() {
		names = append(names, f.Name)
	}
	s := "What goswan does not do yet: " + strings.Join(names, "; ") + ". "
	s += "`ipsec checkconf` names every setting that asks for one of them, with file, line and column, " +
		"and charon refuses a conn that needs one when the conn is added, logging why, instead of doing something else; " +
		"a default that would need one (`mobike=yes`, `keyexchange=ike`) is honoured by not announcing the feature.\n"
	return s
}
