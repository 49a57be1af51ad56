package config

import (
	"github.com/goswan/goswan/config/eapname"
	"github.com/goswan/goswan/config/feature"
)

// The EAP types strongSwan gives a meaning beyond RFC 3748's numbers: the
// default of a round without a type (any method the peer proposes), and
// the two virtual methods that stand for whatever a backend selects.
const (
	EAPNak     = eapname.Nak
	EAPRadius  = eapname.Radius
	EAPDynamic = eapname.Dynamic
)

// EAPTypeName is eap_type_names' name of an EAP method, "(N)" for one
// without a name.
func EAPTypeName(t uint32) string { return eapname.Name(t) }

// ParseEAPType is eap_vendor_type_from_string (eapname.Parse).
func ParseEAPType(s string) (uint32, uint32) { return eapname.Parse(s) }

// EAPFeature is the feature a round with EAP method t needs
// (eapname.Feature).
func EAPFeature(t, vendor uint32) *feature.Feature { return eapname.Feature(t, vendor) }
