package credentials

import "strconv"

// sha1Size is the length of a SHA-1 key identifier, which charon prints in
// hex even when every byte happens to be printable.
const sha1Size = 20

// String prints the identity exactly as charon's %Y does:
//
//	%any, 192.168.0.1, fec0::1, ::1.2.3.4 (glibc's inet_ntop)
//	10.1.0.0/16, 10.1.0.1-10.1.0.9, fec0::/16, fec0::1-fec0::9
//	moon.strongswan.org, alice@strongswan.org (unprintable bytes as '?')
//	C=CH, O=strongSwan, CN=moon.strongswan.org
//	a printable KEY_ID as text, any other (or 20 bytes) as hex "01:02:ab"
//	(ASN.1 general name), (unknown ID type: 42), (invalid ID_IPV4_ADDR), ...
//
// Output is cut at 511 bytes, charon's buffer.
func (id *Identity) String() string {
	if id == nil {
		return "(null)"
	}
	e := id.enc
	if f, ok := addrIDForms[id.typ]; ok {
		return f.format(id.typ, e)
	}
	switch id.typ {
	case IDAny:
		return "%any"
	case IDFQDN, IDRFC822Addr, IDDerASN1GNURI:
		return truncateBuf(printable(e))
	case IDDerASN1DN:
		return dnString(e)
	case IDDerASN1GN:
		return "(ASN.1 general name)"
	case IDKeyID:
		if allPrintable(e) && len(e) != sha1Size {
			return truncateBuf(e)
		}
		return truncateBuf(hexColon(e))
	}
	return "(unknown ID type: " + strconv.Itoa(int(int32(id.typ))) + ")"
}

// addrIDForm is how %Y prints one of the six address identity types: one
// address of n bytes, or (sep '/' or '-') a second n bytes after it, printed
// as a prefix length (subnet) or as the last address (range). An encoding too
// short for its type prints as "(invalid ID_...)".
type addrIDForm struct {
	n    int
	ntop func([]byte) string
	sep  byte
}

var addrIDForms = map[IDType]addrIDForm{
	IDIPv4Addr:       {4, inetNtop4, 0},
	IDIPv4AddrSubnet: {4, inetNtop4, '/'},
	IDIPv4AddrRange:  {4, inetNtop4, '-'},
	IDIPv6Addr:       {16, inetNtop6, 0},
	IDIPv6AddrSubnet: {16, inetNtop6, '/'},
	IDIPv6AddrRange:  {16, inetNtop6, '-'},
}

func (f addrIDForm) format(t IDType, e string) string {
	need := f.n
	if f.sep != 0 {
		need = 2 * f.n
	}
	if len(e) < need {
		return "(invalid " + t.String() + ")"
	}
	s := f.ntop([]byte(e))
	switch f.sep {
	case '/':
		s += "/" + strconv.Itoa(prefixBits(e[f.n:2*f.n]))
	case '-':
		s += "-" + f.ntop([]byte(e[f.n:2*f.n]))
	}
	return s
}
