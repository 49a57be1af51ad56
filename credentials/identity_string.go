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
	switch id.typ {
	case IDAny:
		return "%any"
	case IDIPv4Addr:
		if len(e) < 4 {
			return "(invalid ID_IPV4_ADDR)"
		}
		return inetNtop4([]byte(e))
	case IDIPv4AddrSubnet:
		if len(e) < 8 {
			return "(invalid ID_IPV4_ADDR_SUBNET)"
		}
		return inetNtop4([]byte(e)) + "/" + strconv.Itoa(prefixBits(e[4:8]))
	case IDIPv4AddrRange:
		if len(e) < 8 {
			return "(invalid ID_IPV4_ADDR_RANGE)"
		}
		return inetNtop4([]byte(e)) + "-" + inetNtop4([]byte(e[4:8]))
	case IDIPv6Addr:
		if len(e) < 16 {
			return "(invalid ID_IPV6_ADDR)"
		}
		return inetNtop6([]byte(e))
	case IDIPv6AddrSubnet:
		if len(e) < 32 {
			return "(invalid ID_IPV6_ADDR_SUBNET)"
		}
		return inetNtop6([]byte(e)) + "/" + strconv.Itoa(prefixBits(e[16:32]))
	case IDIPv6AddrRange:
		if len(e) < 32 {
			return "(invalid ID_IPV6_ADDR_RANGE)"
		}
		return inetNtop6([]byte(e)) + "-" + inetNtop6([]byte(e[16:32]))
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
