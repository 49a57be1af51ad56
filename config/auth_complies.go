package config

import (
	"github.com/goswan/goswan/credentials"
)

// Complies reports whether a completed round satisfies a configured one
// (auth_cfg complies): the class, the identity (or, for a loose identity,
// a name in the certificate), group membership, and the certificate
// rules. Failures are logged when log is set, with charon's messages.
func (a *AuthCfg) Complies(want *AuthCfg, log credentials.LogFunc) bool {
	logf := func(format string, args ...any) {
		if log != nil {
			log(credentials.LogCFG, 1, format, args...)
		}
	}
	if want.Identity != nil && want.Identity.Type() != credentials.IDAny {
		if a.Identity == nil || a.Identity.Matches(want.Identity) == credentials.MatchNone {
			cert := a.Subject()
			if !(want.IdentityLoose && cert != nil && cert.HasSubject(want.Identity) != credentials.MatchNone) {
				logf("constraint check failed: identity '%s' required ", want.Identity)
				return false
			}
		}
	}
	if want.Class != AuthClassAny && want.Class != a.Class {
		logf("constraint requires %s authentication, but %s was used", want.Class, a.Class)
		return false
	}
	if want.EAPType != 0 && want.EAPType != a.EAPType && want.EAPType != EAPDynamic && want.EAPType != EAPRadius {
		logf("constraint requires %s, but %s was used", EAPTypeName(want.EAPType), EAPTypeName(eapTypeOrNak(a.EAPType)))
		return false
	}
	if want.EAPVendor != 0 && want.EAPVendor != a.EAPVendor {
		logf("constraint requires EAP vendor %d, but %d was used", want.EAPVendor, a.EAPVendor)
		return false
	}
	if !a.AuthRules.Complies(want.AuthRules, log) {
		return false
	}
	if len(want.Groups) > 0 {
		for _, g := range want.Groups {
			for _, have := range a.Groups {
				if have.Matches(g) != credentials.MatchNone {
					return true
				}
			}
		}
		logf("constraint check failed: group membership to '%s' required", want.Groups[len(want.Groups)-1])
		return false
	}
	return true
}

// eapTypeOrNak is a round's EAP type as auth_cfg get returns it: EAP_NAK
// when none is set.
func eapTypeOrNak(t uint32) uint32 {
	if t == 0 {
		return EAPNak
	}
	return t
}
