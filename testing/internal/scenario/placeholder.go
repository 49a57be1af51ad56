package scenario

import (
	"strings"

	"github.com/goswan/goswan/testing/internal/hosts"
)

// Replacement is one placeholder and the address it stands for.
type Replacement struct {
	Placeholder string
	Value       string
}

// Placeholders returns the substitutions in the order strongSwan's
// load-testconfig applies them: host by host in STRONGSWANHOSTS order, and for
// each host the "1" variant before the plain one, so that PH_IP_MOON does not
// eat the prefix of PH_IP_MOON1. The names are strongSwan's, including its
// PH_IPV6_BOB spelling (there is no PH_IP6_BOB).
func Placeholders() []Replacement {
	var r []Replacement
	for _, h := range hosts.All {
		u := strings.ToUpper(h.Name)
		switch h.Name {
		case "bob":
			r = append(r, Replacement{"PH_IP_BOB", h.IPv4}, Replacement{"PH_IPV6_BOB", h.IPv6})
		case "venus", "winnetou":
			r = append(r, Replacement{"PH_IP_" + u, h.IPv4}, Replacement{"PH_IP6_" + u, h.IPv6})
		default:
			r = append(r,
				Replacement{"PH_IP_" + u + "1", h.IPv4b},
				Replacement{"PH_IP_" + u, h.IPv4},
				Replacement{"PH_IP6_" + u + "1", h.IPv6b},
				Replacement{"PH_IP6_" + u, h.IPv6})
		}
	}
	return r
}

var placeholders = Placeholders()

// Substitute replaces every placeholder in s, one placeholder at a time over
// the whole text, as load-testconfig's sequence of `sed -i s/…/…/g` runs does.
func Substitute(s string) string {
	if !strings.Contains(s, "PH_IP") {
		return s
	}
	for _, r := range placeholders {
		s = strings.ReplaceAll(s, r.Placeholder, r.Value)
	}
	return s
}
