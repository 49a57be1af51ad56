// Package eapname is strongSwan's eap_type_names and
// eap_vendor_type_from_string, shared by charon's config (stroke and vici
// auth rounds) and ipsec.conf's keyword table, which classifies a
// rightauth=eap-… by the feature its method needs.
package eapname

import (
	"strconv"
	"strings"

	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/internal/clib"
)

// The EAP types strongSwan gives a meaning beyond RFC 3748's numbers: the
// default of a round without a type (any method the peer proposes), and
// the two virtual methods that stand for whatever a backend selects.
const (
	Nak     uint32 = 3
	Radius  uint32 = 256
	Dynamic uint32 = 257
)

// eapTypeNames is eap_type_names.
var eapTypeNames = map[uint32]string{
	1: "EAP_IDENTITY", 2: "EAP_NOTIFICATION", 3: "EAP_NAK", 4: "EAP_MD5", 5: "EAP_OTP",
	6: "EAP_GTC", 13: "EAP_TLS", 18: "EAP_SIM", 21: "EAP_TTLS", 23: "EAP_AKA",
	25: "EAP_PEAP", 26: "EAP_MSCHAPV2", 33: "EAP_MSTLV", 38: "EAP_TNC", 54: "EAP_PT_EAP",
	254: "EAP_EXPANDED", 255: "EAP_EXPERIMENTAL", 256: "EAP_RADIUS", 257: "EAP_DYNAMIC",
}

// Name is eap_type_names' name of an EAP method, "(N)" for one
// without a name.
func Name(t uint32) string {
	if n, ok := eapTypeNames[t]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// eapTypes are eap_type_from_string's names.
var eapTypes = map[string]uint32{"identity": 1, "md5": 4, "otp": 5, "gtc": 6, "tls": 13, "ttls": 21, "sim": 18,
	"aka": 23, "peap": 25, "mschapv2": 26, "tnc": 38, "pt": 54, "dynamic": Dynamic, "radius": Radius}

// penUnassigned is PEN_UNASSIGNED: vendors from here on are invalid.
const penUnassigned = 0xffffff

// Parse maps "eap-md5" and the like to the EAP type, and
// "eap-<type>-<vendor>" to a vendor type, as eap_vendor_type_from_string:
// the tokens split at dashes, a leading "eap" skipped, names without regard
// to case, numbers in C notation; 0 for an unknown method or a bad vendor.
func Parse(s string) (uint32, uint32) {
	var t uint32
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == ' ' }) {
		if t == 0 {
			if part == "eap" {
				continue
			}
			t = eapTypes[strings.ToLower(part)]
			if t == 0 {
				n, rest, erange := clib.StrtoulErr(part, 0)
				if rest != "" || erange {
					return 0, 0
				}
				t = uint32(n) // eap_type_t holds the low bits
			}
			continue
		}
		v, rest, erange := clib.StrtoulErr(part, 0)
		if rest != "" || erange || v >= penUnassigned {
			return 0, 0
		}
		return t, uint32(v)
	}
	return t, 0
}

// Feature is what a round with EAP method t (and vendor) needs: EAP
// alone for a round open to any method and for the methods goswan has
// (identity, MD5, MSCHAPv2, RADIUS passthrough), EAP-TLS or the other
// methods' feature for the rest.
func Feature(t, vendor uint32) *feature.Feature {
	switch {
	case vendor != 0:
		return feature.OtherEAPMethods
	case t == 0 || t == Nak || t == 1 || t == 4 || t == 26 || t == Radius:
		return feature.EAP
	case t == 13:
		return feature.EAPTLS
	}
	return feature.OtherEAPMethods
}
