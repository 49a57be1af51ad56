package credentials

import (
	"bytes"
	"slices"
)

// The constraints plugin's validator: pathLenConstraint, name constraints
// and certificate policies (constraints_validator.c).

const anyPolicyOID = "2.5.29.32.0"

func (v *view) validateConstraints(subject, issuer *Certificate, pathlen int, anchor bool, r *AuthRules) bool {
	if issuer.pathLen != NoConstraint && pathlen > issuer.pathLen {
		v.log.log(LogCFG, 1, "path length of %d violates constraint of %d", pathlen, issuer.pathLen)
		return false
	}
	if !v.checkNameConstraints(subject, issuer) {
		return false
	}
	if anchor {
		return v.checkPolicyConstraints(issuer, r)
	}
	return true
}

// fqdnMatches: the constraint is a suffix of the name, on a label boundary
// unless the constraint starts with a dot.
func fqdnMatches(constraint, id []byte) bool {
	if len(constraint) == 0 || len(id) < len(constraint) {
		return false
	}
	diff := len(id) - len(constraint)
	if !bytes.Equal(constraint, id[diff:]) {
		return false
	}
	return diff == 0 || constraint[0] == '.' || id[diff-1] == '.'
}

// emailMatches: a full address must match exactly; a domain with a leading
// dot matches any subdomain; a host matches addresses at that host.
func emailMatches(constraint, id []byte) bool {
	if len(constraint) == 0 || len(id) < len(constraint) {
		return false
	}
	if bytes.IndexByte(constraint, '@') >= 0 {
		return bytes.Equal(constraint, id)
	}
	diff := len(id) - len(constraint)
	if diff == 0 || !bytes.Equal(constraint, id[diff:]) {
		return false
	}
	return constraint[0] == '.' || id[diff-1] == '@'
}

// dnMatches: the constraint's RDNs are a prefix of the name's, counting
// only the attribute types charon enumerates as identity parts.
func dnMatches(constraint, id *Identity) bool {
	c, i := dnParts(string(constraint.Encoding())), dnParts(string(id.Encoding()))
	if len(i) < len(c) {
		return false
	}
	for k := range c {
		if c[k] != i[k] {
			return false
		}
	}
	return true
}

// dnParts lists a DN's identity parts as (type, value) pairs.
func dnParts(b string) [][2]string {
	var out [][2]string
	w := newRDNWalker(b)
	for r, ok := w.next(); ok; r, ok = w.next() {
		if oid := r.oid.bytes(b); oidAttr(oid) != attrOther {
			out = append(out, [2]string{oid, r.value.bytes(b)})
		}
	}
	return out
}

func nameMatches(constraint, id *Identity) (bool, bool) {
	switch constraint.Type() {
	case IDFQDN:
		return fqdnMatches(constraint.Encoding(), id.Encoding()), true
	case IDRFC822Addr:
		return emailMatches(constraint.Encoding(), id.Encoding()), true
	case IDDerASN1DN:
		return dnMatches(constraint, id), true
	}
	return false, false
}

// constraintMatches reports whether the certificate falls under a name
// constraint (permitted: every name of the type must match; excluded: any
// name matching is enough).
func (v *view) constraintMatches(constraint *Identity, c *Certificate, permitted bool) bool {
	matches := permitted
	t := constraint.Type()
	if t == IDDerASN1DN {
		matches = dnMatches(constraint, c.subject)
		if matches != permitted {
			return matches
		}
	}
	for _, id := range c.sans {
		if id.Type() == t {
			m, ok := nameMatches(constraint, id)
			if !ok {
				v.log.log(LogCFG, 1, "%s NameConstraint matching not implemented", t)
				m = false
			}
			matches = m
		}
		if matches != permitted {
			break
		}
	}
	return matches
}

// constraintInherited checks that a sub-CA narrows a permitted constraint
// or keeps an excluded one.
func (v *view) constraintInherited(constraint *Identity, c *Certificate, permitted bool) bool {
	if c.flags&CertCA == 0 {
		return true
	}
	t := constraint.Type()
	for _, id := range c.NameConstraints(permitted) {
		if id.Type() != t {
			continue
		}
		a, b := constraint, id
		if !permitted {
			a, b = id, constraint
		}
		m, ok := nameMatches(a, b)
		if !ok {
			v.log.log(LogCFG, 1, "%s NameConstraint matching not implemented", t)
			m = false
		}
		if m {
			return true
		}
	}
	return false
}

func (v *view) checkNameConstraints(subject, issuer *Certificate) bool {
	for _, c := range issuer.permitted {
		if !v.constraintMatches(c, subject, true) {
			v.log.log(LogCFG, 1, "certificate '%s' does not match permitted name constraint '%s'", subject.subject, c)
			return false
		}
		if !v.constraintInherited(c, subject, true) {
			v.log.log(LogCFG, 1, "intermediate CA '%s' does not inherit permitted name constraint '%s'", subject.subject, c)
			return false
		}
	}
	for _, c := range issuer.excluded {
		if v.constraintMatches(c, subject, false) {
			v.log.log(LogCFG, 1, "certificate '%s' matches excluded name constraint '%s'", subject.subject, c)
			return false
		}
		if !v.constraintInherited(c, subject, false) {
			v.log.log(LogCFG, 1, "intermediate CA '%s' does not inherit excluded name constraint '%s'", subject.subject, c)
			return false
		}
	}
	return true
}

func hasPolicy(issuer *Certificate, oid string) bool {
	for _, p := range issuer.policies {
		if p.OID == oid || p.OID == anyPolicyOID {
			return true
		}
	}
	for _, m := range issuer.mappings {
		if m.SubjectPolicy == oid {
			return true
		}
	}
	return false
}

func (v *view) checkPolicy(subject, issuer *Certificate) bool {
	for _, m := range subject.mappings {
		if !hasPolicy(issuer, m.IssuerPolicy) {
			v.log.log(LogCFG, 1, "certificate '%s' maps policy from %s, but issuer misses it", subject.subject, m.IssuerPolicy)
			return false
		}
	}
	for _, p := range subject.policies {
		if !hasPolicy(issuer, p.OID) {
			v.log.log(LogCFG, 1, "policy %s missing in issuing certificate '%s'", p.OID, subject.issuer)
			return false
		}
	}
	return true
}

// policyValid follows a policy up the chain, through mappings.
func policyValid(chain []*Certificate, oid string) bool {
	found := true
	for _, issuer := range chain {
		maxmap := 8
		for found {
			found = false
			for _, p := range issuer.policies {
				if p.OID == oid || p.OID == anyPolicyOID {
					found = true
					break
				}
			}
			if found {
				break
			}
			for _, m := range issuer.mappings {
				if m.SubjectPolicy == oid {
					oid, found = m.IssuerPolicy, true
					break
				}
			}
			if maxmap--; maxmap == 0 {
				found = false
				break
			}
		}
		if !found {
			break
		}
	}
	return found
}

func (v *view) checkPolicyConstraints(issuer *Certificate, r *AuthRules) bool {
	subject := r.Subject()
	if subject == nil {
		return true
	}
	chain := append(slices.Clone(r.IMCerts), issuer)
	for i, c := range chain {
		if c.requireExplicit == NoConstraint {
			continue
		}
		n := i - c.requireExplicit
		s := subject
		for j := 0; j < n && j < len(chain); j++ {
			if !v.checkPolicy(s, chain[j]) {
				return false
			}
			s = chain[j]
		}
	}
	full := append([]*Certificate{subject}, chain...)
	for i, c := range full {
		if c.inhibitMapping != NoConstraint {
			for j := 0; j < i-c.inhibitMapping && j < len(full); j++ {
				if len(full[j].mappings) > 0 {
					v.log.log(LogCFG, 1, "found policyMapping in certificate '%s', but inhibitPolicyMapping in effect", full[j].subject)
					return false
				}
			}
		}
		if c.inhibitAny != NoConstraint {
			for j := 0; j < i-c.inhibitAny && j < len(full); j++ {
				for _, p := range full[j].policies {
					if p.OID == anyPolicyOID {
						v.log.log(LogCFG, 1, "found anyPolicy in certificate '%s', but inhibitAnyPolicy in effect", full[j].subject)
						return false
					}
				}
			}
		}
	}
	for _, p := range subject.policies {
		if policyValid(chain, p.OID) {
			r.CertPolicies = append(r.CertPolicies, p.OID)
		} else {
			v.log.log(LogCFG, 1, "certificate policy %s for '%s' not allowed by trustchain, ignored", p.OID, subject.subject)
		}
	}
	return true
}
