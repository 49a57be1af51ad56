package credentials

import (
	"strconv"
	"strings"
)

// The names charon prints for the attribute types of distinguished names,
// and the lookup it uses to find them.
//
// libstrongswan keeps its OIDs in a tree with one node per encoded byte and
// looks an OID up byte by byte. That walk has two habits which decide what
// charon prints for unusual DNs, so we keep them: an OID that stops inside
// the tree yields the node it stopped at (2.5.4 prints as "X.509"), and an
// OID that runs past a leaf yields that leaf (2.5.4.3.1 prints as "CN").
//
// The table holds the attribute types a DN can carry (X.500, PKCS#9, pilot,
// Netscape and TCG attributes, with the names of the nodes on their paths).
// libstrongswan's tree also holds algorithm and extension OIDs; an RDN typed
// with one of those prints here as hex (e.g. "2a:86:48:86:f7:0d:01:01:0b=")
// where charon would print its name. No DN in practice does that.

// rdnAttr marks the attribute types identity code treats specially.
type rdnAttr uint8

const (
	attrOther rdnAttr = iota
	attrEmail         // emailAddress: compared case-insensitively as IA5String
	attrPart          // an RDN listed by create_part_enumerator (wildcard check)
)

type oidEntry struct {
	dotted string
	name   string
	attr   rdnAttr
}

var oidTable = []oidEntry{
	{"0.2", "ITU-T Administration", attrOther},
	{"0.2.262", "Germany ITU-T member", attrOther},
	{"0.2.262.1", "Deutsche Telekom AG", attrOther},
	{"0.2.262.1.10.7.20", "ND", attrOther},
	{"0.9", "data", attrOther},
	{"0.9.2342.19200300.100", "pilot", attrOther},
	{"0.9.2342.19200300.100.1", "pilotAttributeType", attrOther},
	{"0.9.2342.19200300.100.1.1", "UID", attrOther},
	{"0.9.2342.19200300.100.1.25", "DC", attrOther},
	{"2.5", "X.500", attrOther},
	{"2.5.4", "X.509", attrOther},
	{"2.5.4.3", "CN", attrPart},
	{"2.5.4.4", "SN", attrPart},
	{"2.5.4.5", "serialNumber", attrPart},
	{"2.5.4.6", "C", attrPart},
	{"2.5.4.7", "L", attrPart},
	{"2.5.4.8", "ST", attrPart},
	{"2.5.4.9", "STREET", attrOther},
	{"2.5.4.10", "O", attrPart},
	{"2.5.4.11", "OU", attrPart},
	{"2.5.4.12", "T", attrPart},
	{"2.5.4.13", "D", attrPart},
	{"2.5.4.16", "postalAddress", attrOther},
	{"2.5.4.17", "postalCode", attrOther},
	{"2.5.4.36", "userCertificate", attrOther},
	{"2.5.4.41", "N", attrPart},
	{"2.5.4.42", "G", attrPart},
	{"2.5.4.43", "I", attrPart},
	{"2.5.4.45", "ID", attrPart},
	{"2.5.4.46", "dnQualifier", attrPart},
	{"2.5.4.54", "dmdName", attrPart},
	{"2.5.4.65", "pseudonym", attrPart},
	{"2.5.4.72", "role", attrOther},
	{"1.2.840", "us", attrOther},
	{"1.2.840.113549", "RSADSI", attrOther},
	{"1.2.840.113549.1", "PKCS", attrOther},
	{"1.2.840.113549.1.9", "PKCS-9", attrOther},
	{"1.2.840.113549.1.9.1", "E", attrEmail},
	{"1.2.840.113549.1.9.2", "unstructuredName", attrOther},
	{"1.2.840.113549.1.9.3", "contentType", attrOther},
	{"1.2.840.113549.1.9.4", "messageDigest", attrOther},
	{"1.2.840.113549.1.9.5", "signingTime", attrOther},
	{"1.2.840.113549.1.9.6", "counterSignature", attrOther},
	{"1.2.840.113549.1.9.7", "challengePassword", attrOther},
	{"1.2.840.113549.1.9.8", "unstructuredAddress", attrOther},
	{"1.2.840.113549.1.9.14", "extensionRequest", attrOther},
	{"1.2.840.113549.1.9.15", "S/MIME Capabilities", attrOther},
	{"1.2.840.113549.1.9.22", "certTypes", attrOther},
	{"1.2.840.113549.1.9.22.1", "X.509", attrOther},
	{"1.2.840.113549.1.9.22.2", "SDSI", attrOther},
	{"1.3.6", "dod", attrOther},
	{"1.3.6.1", "internet", attrOther},
	{"1.3.6.1.4", "private", attrOther},
	{"1.3.6.1.4.1", "enterprise", attrOther},
	{"1.3.6.1.4.1.1201.1.1.2.2.75", "TCGID", attrOther},
	{"2.16.840.1", "organization", attrOther},
	{"2.16.840.1.113730", "netscape", attrOther},
	{"2.16.840.1.113730.3", "directory", attrOther},
	{"2.16.840.1.113730.3.1.3", "employeeNumber", attrPart},
}

// oidNode is one byte of an encoded OID.
type oidNode struct {
	name     string
	attr     rdnAttr
	children map[byte]*oidNode
}

var oidRoot = buildOIDTree()

func buildOIDTree() *oidNode {
	root := &oidNode{children: map[byte]*oidNode{}}
	for _, e := range oidTable {
		enc := mustEncodeOID(e.dotted)
		n := root
		for _, b := range enc {
			c := n.children[b]
			if c == nil {
				c = &oidNode{children: map[byte]*oidNode{}}
				n.children[b] = c
			}
			n = c
		}
		n.name, n.attr = e.name, e.attr
	}
	return root
}

// lookupOID finds the node an encoded OID (content bytes only) leads to,
// with libstrongswan's stop-inside and run-past-a-leaf rules.
func lookupOID(oid string) (*oidNode, bool) {
	n := oidRoot
	for i := 0; i < len(oid); i++ {
		c := n.children[oid[i]]
		if c == nil {
			return nil, false
		}
		if i == len(oid)-1 || len(c.children) == 0 {
			return c, true
		}
		n = c
	}
	return nil, false
}

// oidDisplayName is what charon prints left of '=' for an RDN.
func oidDisplayName(oid string) string {
	if n, ok := lookupOID(oid); ok {
		return n.name
	}
	return hexColon(oid)
}

func oidAttr(oid string) rdnAttr {
	if n, ok := lookupOID(oid); ok {
		return n.attr
	}
	return attrOther
}

// mustEncodeOID encodes a dotted OID's content octets (base-128 arcs, the
// first two folded into one). Only used on the static tables above.
func mustEncodeOID(dotted string) []byte {
	parts := strings.Split(dotted, ".")
	arcs := make([]uint64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			panic("credentials: bad static OID " + dotted)
		}
		arcs[i] = v
	}
	var out []byte
	emit := func(v uint64) {
		var tmp [10]byte
		i := len(tmp) - 1
		tmp[i] = byte(v & 0x7f)
		for v >>= 7; v > 0; v >>= 7 {
			i--
			tmp[i] = byte(v&0x7f) | 0x80
		}
		out = append(out, tmp[i:]...)
	}
	if len(arcs) == 1 {
		emit(arcs[0] * 40)
		return out
	}
	emit(arcs[0]*40 + arcs[1])
	for _, a := range arcs[2:] {
		emit(a)
	}
	return out
}

// x501Name is one entry of the attribute names atodn understands when it
// turns "C=CH, O=strongSwan, CN=moon" into DER, with the string type it
// prefers (a PrintableString falls back to UTF8String for other characters).
type x501Name struct {
	name    string
	oid     string // DER content octets
	strType byte
}

const (
	asn1UTF8String      = 0x0c
	asn1PrintableString = 0x13
	asn1IA5String       = 0x16
	asn1OID             = 0x06
	asn1Sequence        = 0x30
	asn1Set             = 0x31
	asn1OctetString     = 0x04
	asn1ContextC0       = 0xa0
	asn1Invalid         = 0x100
)

func x501(name, dotted string, t byte) x501Name {
	return x501Name{name, string(mustEncodeOID(dotted)), t}
}

// x501Names is searched in order, case-insensitively, on the whole name.
var x501Names = []x501Name{
	x501("ND", "0.2.262.1.10.7.20", asn1PrintableString),
	x501("UID", "0.9.2342.19200300.100.1.1", asn1PrintableString),
	x501("DC", "0.9.2342.19200300.100.1.25", asn1PrintableString),
	x501("CN", "2.5.4.3", asn1PrintableString),
	x501("SN", "2.5.4.4", asn1PrintableString),
	x501("serialNumber", "2.5.4.5", asn1PrintableString),
	x501("C", "2.5.4.6", asn1PrintableString),
	x501("L", "2.5.4.7", asn1PrintableString),
	x501("ST", "2.5.4.8", asn1PrintableString),
	x501("STREET", "2.5.4.9", asn1PrintableString),
	x501("O", "2.5.4.10", asn1PrintableString),
	x501("OU", "2.5.4.11", asn1PrintableString),
	x501("T", "2.5.4.12", asn1PrintableString),
	x501("D", "2.5.4.13", asn1PrintableString),
	x501("postalAddress", "2.5.4.16", asn1PrintableString),
	x501("postalCode", "2.5.4.17", asn1PrintableString),
	x501("N", "2.5.4.41", asn1PrintableString),
	x501("G", "2.5.4.42", asn1PrintableString),
	x501("I", "2.5.4.43", asn1PrintableString),
	x501("dnQualifier", "2.5.4.46", asn1PrintableString),
	x501("dmdName", "2.5.4.54", asn1PrintableString),
	x501("pseudonym", "2.5.4.65", asn1PrintableString),
	x501("ID", "2.5.4.45", asn1PrintableString),
	x501("EN", "2.16.840.1.113730.3.1.3", asn1PrintableString),
	x501("employeeNumber", "2.16.840.1.113730.3.1.3", asn1PrintableString),
	x501("E", "1.2.840.113549.1.9.1", asn1IA5String),
	x501("Email", "1.2.840.113549.1.9.1", asn1IA5String),
	x501("emailAddress", "1.2.840.113549.1.9.1", asn1IA5String),
	x501("UN", "1.2.840.113549.1.9.2", asn1IA5String),
	x501("unstructuredName", "1.2.840.113549.1.9.2", asn1IA5String),
	x501("UA", "1.2.840.113549.1.9.8", asn1PrintableString),
	x501("unstructuredAddress", "1.2.840.113549.1.9.8", asn1PrintableString),
	x501("TCGID", "1.3.6.1.4.1.1201.1.1.2.2.75", asn1PrintableString),
}

// xmppAddrOID is id-on-xmppAddr (RFC 6120), wrapped around "xmppaddr:" ids.
var xmppAddrOID = string(mustEncodeOID("1.3.6.1.5.5.7.8.5"))
