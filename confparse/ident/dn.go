package ident

import (
	"bytes"
	"fmt"
	"strings"
)

// ASN.1 tags used in distinguished names.
const (
	asn1OID       = 0x06
	asn1UTF8      = 0x0c
	asn1Printable = 0x13
	asn1IA5       = 0x16
	asn1Sequence  = 0x30
	asn1Set       = 0x31
)

// rdnType is one attribute type strongSwan knows by name (x501rdns).
type rdnType struct {
	name string
	oid  []byte
	tag  byte // string type used when the value is printable
}

var x520 = func(n byte) []byte { return []byte{0x55, 0x04, n} }
var pkcs9 = func(n byte) []byte { return []byte{0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, n} }

var rdnTypes = []rdnType{
	{"ND", []byte{0x02, 0x82, 0x06, 0x01, 0x0a, 0x07, 0x14}, asn1Printable},
	{"UID", []byte{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x01}, asn1Printable},
	{"DC", []byte{0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19}, asn1Printable},
	{"CN", x520(0x03), asn1Printable},
	{"SN", x520(0x04), asn1Printable},
	{"serialNumber", x520(0x05), asn1Printable},
	{"C", x520(0x06), asn1Printable},
	{"L", x520(0x07), asn1Printable},
	{"ST", x520(0x08), asn1Printable},
	{"STREET", x520(0x09), asn1Printable},
	{"O", x520(0x0a), asn1Printable},
	{"OU", x520(0x0b), asn1Printable},
	{"T", x520(0x0c), asn1Printable},
	{"D", x520(0x0d), asn1Printable},
	{"postalAddress", x520(0x10), asn1Printable},
	{"postalCode", x520(0x11), asn1Printable},
	{"N", x520(0x29), asn1Printable},
	{"G", x520(0x2a), asn1Printable},
	{"I", x520(0x2b), asn1Printable},
	{"dnQualifier", x520(0x2e), asn1Printable},
	{"dmdName", x520(0x36), asn1Printable},
	{"pseudonym", x520(0x41), asn1Printable},
	{"ID", x520(0x2d), asn1Printable},
	{"EN", []byte{0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x03, 0x01, 0x03}, asn1Printable},
	{"employeeNumber", []byte{0x60, 0x86, 0x48, 0x01, 0x86, 0xf8, 0x42, 0x03, 0x01, 0x03}, asn1Printable},
	{"E", pkcs9(0x01), asn1IA5},
	{"Email", pkcs9(0x01), asn1IA5},
	{"emailAddress", pkcs9(0x01), asn1IA5},
	{"UN", pkcs9(0x02), asn1IA5},
	{"unstructuredName", pkcs9(0x02), asn1IA5},
	{"UA", pkcs9(0x08), asn1Printable},
	{"unstructuredAddress", pkcs9(0x08), asn1Printable},
	{"TCGID", []byte{0x2b, 0x06, 0x01, 0x04, 0x01, 0x89, 0x31, 0x01, 0x01, 0x02, 0x02, 0x4b}, asn1Printable},
}

// printableString reports whether s fits ASN.1's PrintableString
// (asn1_is_printablestring).
func printableString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			strings.IndexByte(" '()+,-./:=?", c) >= 0) {
			return false
		}
	}
	return true
}

func derLength(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	case n < 0x10000:
		return []byte{0x82, byte(n >> 8), byte(n)}
	case n < 0x1000000:
		return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func wrap(tag byte, parts ...[]byte) []byte {
	var body []byte
	for _, p := range parts {
		body = append(body, p...)
	}
	out := append([]byte{tag}, derLength(len(body))...)
	return append(out, body...)
}

// atodn converts "C=CH, O=Example, CN=x" (or "/C=CH/O=Example") into DER
// with atodn's state machine: ',' separates (or '/' when the string starts
// with one), blanks around names and values are dropped, type names are
// matched case-insensitively, and an unknown type or a dangling one fails.
func atodn(src string) ([]byte, bool) {
	const (
		searchOID = iota
		readOID
		searchName
		readName
		unknownOID
	)
	state := searchOID
	var sep byte
	var oidStart, oidLen, nameStart, nameLen, ws int
	var rt *rdnType
	var rdns [][]byte
	ok := true
	s := src + "\x00"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch state {
		case searchOID:
			if sep == 0 && c == '/' {
				sep = '/'
				continue
			}
			if c != ' ' && c != 0 {
				if sep == 0 {
					sep = ','
				}
				oidStart, oidLen = i, 1
				state = readOID
			}
		case readOID:
			if c != ' ' && c != '=' {
				oidLen++
				continue
			}
			rt = nil
			for k := range rdnTypes {
				if strings.EqualFold(rdnTypes[k].name, s[oidStart:oidStart+oidLen]) {
					rt = &rdnTypes[k]
					break
				}
			}
			if rt == nil {
				ok = false
				state = unknownOID
				continue
			}
			state = searchName
		case searchName, readName:
			if state == searchName {
				if c == ' ' || c == '=' {
					continue
				}
				if c != sep && c != 0 {
					nameStart, nameLen, ws = i, 1, 0
					state = readName
					continue
				}
				nameStart, nameLen, ws = i, 0, 0
				state = readName
			}
			if c != sep && c != 0 {
				nameLen++
				if c == ' ' {
					ws++
				} else {
					ws = 0
				}
				continue
			}
			name := s[nameStart : nameStart+nameLen-ws]
			tag := rt.tag
			if tag == asn1Printable && !printableString(name) {
				tag = asn1UTF8
			}
			if len(rdns) < 20 {
				rdns = append(rdns, wrap(asn1Set, wrap(asn1Sequence, wrap(asn1OID, rt.oid), wrap(tag, []byte(name)))))
			} else {
				ok = false
			}
			state = searchOID
		}
		if c == 0 {
			break
		}
	}
	if state == readOID || !ok {
		return nil, false
	}
	return wrap(asn1Sequence, rdns...), true
}

// unwrap is asn1_unwrap: the tag and content of the first TLV of *b, which
// advances past it; tag 0xff (ASN1_INVALID) on a malformed encoding.
func unwrap(b *[]byte) (byte, []byte) {
	in := *b
	if len(in) < 2 {
		*b = nil
		return 0xff, nil
	}
	tag := in[0]
	n := int(in[1])
	hdr := 2
	if n&0x80 != 0 {
		k := n & 0x7f
		if k == 0 || k > 4 || len(in) < 2+k {
			*b = nil
			return 0xff, nil
		}
		n = 0
		for _, x := range in[2 : 2+k] {
			n = n<<8 | int(x)
		}
		hdr += k
	}
	if n < 0 || n > len(in)-hdr {
		*b = nil
		return 0xff, nil
	}
	*b = in[hdr+n:]
	return tag, in[hdr : hdr+n]
}

type rdn struct {
	oid  []byte
	tag  byte
	data []byte
}

// rdns lists a DN's RDNs as create_rdn_enumerator does; valid is false when
// the encoding does not end with the last RDN.
func rdns(dn []byte) (out []rdn, valid bool) {
	in := dn
	if tag, sets := unwrap(&in); tag == asn1Sequence {
		var seqs []byte
		for {
			if len(seqs) == 0 {
				var t byte
				if t, seqs = unwrap(&sets); t != asn1Set {
					break
				}
			}
			t, r := unwrap(&seqs)
			if t != asn1Sequence {
				break
			}
			t, oid := unwrap(&r)
			if t != asn1OID {
				break
			}
			t, data := unwrap(&r)
			if t == 0xff {
				break
			}
			out = append(out, rdn{oid: oid, tag: t, data: data})
			valid = len(sets) == 0 && len(seqs) == 0 && len(r) == 0 && len(in) == 0
		}
	}
	return out, valid
}

func isWildcard(d []byte) bool { return len(d) == 1 && d[0] == '*' }

// rdnEquals compares printable strings and email addresses without regard
// to case, everything else byte for byte.
func rdnEquals(oid []byte, at byte, a []byte, bt byte, b []byte) bool {
	if at == bt && (at == asn1Printable || (at == asn1IA5 && bytes.Equal(oid, pkcs9(0x01)))) {
		return bytes.EqualFold(a, b)
	}
	return bytes.Equal(a, b)
}

// compareDN is compare_dn: the RDNs in the same order; with wildcards, a
// "*" value in o matches any value and is counted.
func compareDN(t, o []byte, wildcards bool) (wc int, ok bool) {
	if bytes.Equal(t, o) {
		return 0, true
	}
	tr, tv := rdns(t)
	or, ov := rdns(o)
	if !tv || !ov || len(tr) != len(or) {
		return 0, false
	}
	for i := range tr {
		if !bytes.Equal(tr[i].oid, or[i].oid) {
			return 0, false
		}
		if wildcards && isWildcard(or[i].data) {
			wc++
			continue
		}
		if len(tr[i].data) != len(or[i].data) || !rdnEquals(tr[i].oid, tr[i].tag, tr[i].data, or[i].tag, or[i].data) {
			return 0, false
		}
	}
	return wc, true
}

// dnString renders a DN as dntoa does.
func dnString(dn []byte) (string, bool) {
	list, valid := rdns(dn)
	if !valid {
		return "", false
	}
	parts := make([]string, len(list))
	for i, r := range list {
		name := fmt.Sprintf("%x", r.oid)
		for _, rt := range rdnTypes {
			if bytes.Equal(rt.oid, r.oid) {
				name = rt.name
				break
			}
		}
		val := []byte(string(r.data))
		for j, c := range val {
			if c < 0x20 || c > 0x7e {
				val[j] = '?'
			}
		}
		parts[i] = name + "=" + string(val)
	}
	return strings.Join(parts, ", "), true
}

// xmppGN wraps an XMPP address as an otherName general name.
func xmppGN(addr []byte) []byte {
	oid := []byte{0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x08, 0x05}
	return wrap(0xa0, wrap(asn1OID, oid), wrap(0xa0, wrap(asn1UTF8, addr)))
}
