package credentials

import (
	"slices"
	"strconv"
	"strings"
)

// AuthRules are the certificate and public key rules of one
// authentication round (the matching entries of libstrongswan's
// auth_cfg_t). As configuration they are what the peer must show (leftcert,
// rightca, rightauth=rsa-2048-sha256, strictcrlpolicy); as the record of a
// completed round, what it did show (the certificate chain, key strengths,
// signature schemes and revocation status). Lists keep charon's order.
type AuthRules struct {
	SubjectCerts []*Certificate // AUTH_RULE_SUBJECT_CERT
	IMCerts      []*Certificate // AUTH_RULE_IM_CERT
	CACerts      []*Certificate // AUTH_RULE_CA_CERT
	// CAIdentities require a CA by name (AUTH_RULE_CA_IDENTITY, swanctl's
	// ca_id): one of the chain's CA certificates must have it as subject.
	CAIdentities []*Identity
	// SignatureSchemes constrain (or record) the schemes of the
	// certificate chain; IKESignatureSchemes those of the AUTH payload.
	SignatureSchemes    []SignatureParams
	IKESignatureSchemes []SignatureParams
	RSAStrength         []int
	ECDSAStrength       []int
	// CRLValidation and OCSPValidation: as constraints, the worst status
	// accepted (GOOD, or SKIPPED for strictcrlpolicy=ifuri); as results,
	// one entry per certificate checked.
	CRLValidation  []Validation
	OCSPValidation []Validation
	CertPolicies   []string
	// ValidationSuspended records that revocation was not checked online.
	ValidationSuspended bool
}

// Clone copies the lists (the certificates themselves are immutable).
func (r AuthRules) Clone() AuthRules {
	r.SubjectCerts = slices.Clone(r.SubjectCerts)
	r.IMCerts = slices.Clone(r.IMCerts)
	r.CACerts = slices.Clone(r.CACerts)
	r.CAIdentities = slices.Clone(r.CAIdentities)
	r.SignatureSchemes = cloneParams(r.SignatureSchemes)
	r.IKESignatureSchemes = cloneParams(r.IKESignatureSchemes)
	r.RSAStrength = slices.Clone(r.RSAStrength)
	r.ECDSAStrength = slices.Clone(r.ECDSAStrength)
	r.CRLValidation = slices.Clone(r.CRLValidation)
	r.OCSPValidation = slices.Clone(r.OCSPValidation)
	r.CertPolicies = slices.Clone(r.CertPolicies)
	return r
}

func cloneParams(p []SignatureParams) []SignatureParams {
	if p == nil {
		return nil
	}
	out := make([]SignatureParams, len(p))
	for i, x := range p {
		out[i] = x.clone()
	}
	return out
}

// Merge appends other's rules to r, as auth_cfg merge does: lists grow,
// the suspended flag is taken over.
func (r *AuthRules) Merge(o AuthRules) {
	r.SubjectCerts = append(r.SubjectCerts, o.SubjectCerts...)
	r.IMCerts = append(r.IMCerts, o.IMCerts...)
	r.CACerts = append(r.CACerts, o.CACerts...)
	r.CAIdentities = append(r.CAIdentities, o.CAIdentities...)
	r.SignatureSchemes = append(r.SignatureSchemes, o.SignatureSchemes...)
	r.IKESignatureSchemes = append(r.IKESignatureSchemes, o.IKESignatureSchemes...)
	r.RSAStrength = append(r.RSAStrength, o.RSAStrength...)
	r.ECDSAStrength = append(r.ECDSAStrength, o.ECDSAStrength...)
	r.CRLValidation = append(r.CRLValidation, o.CRLValidation...)
	r.OCSPValidation = append(r.OCSPValidation, o.OCSPValidation...)
	r.CertPolicies = append(r.CertPolicies, o.CertPolicies...)
	r.ValidationSuspended = r.ValidationSuspended || o.ValidationSuspended
}

// Equal compares two rule sets (configuration equality for merging conns).
func (r AuthRules) Equal(o AuthRules) bool {
	certsEq := func(a, b []*Certificate) bool {
		return slices.EqualFunc(a, b, func(x, y *Certificate) bool { return x.Equal(y) })
	}
	paramsEq := func(a, b []SignatureParams) bool {
		return slices.EqualFunc(a, b, func(x, y SignatureParams) bool { return x.Equal(y) })
	}
	return certsEq(r.SubjectCerts, o.SubjectCerts) && certsEq(r.IMCerts, o.IMCerts) &&
		certsEq(r.CACerts, o.CACerts) &&
		slices.EqualFunc(r.CAIdentities, o.CAIdentities, func(x, y *Identity) bool { return x.Equals(y) }) &&
		paramsEq(r.SignatureSchemes, o.SignatureSchemes) &&
		paramsEq(r.IKESignatureSchemes, o.IKESignatureSchemes) &&
		slices.Equal(r.RSAStrength, o.RSAStrength) && slices.Equal(r.ECDSAStrength, o.ECDSAStrength) &&
		slices.Equal(r.CRLValidation, o.CRLValidation) && slices.Equal(r.OCSPValidation, o.OCSPValidation) &&
		slices.Equal(r.CertPolicies, o.CertPolicies) && r.ValidationSuspended == o.ValidationSuspended
}

// Subject is the first subject certificate (auth_cfg get), nil if none.
func (r AuthRules) Subject() *Certificate {
	if len(r.SubjectCerts) == 0 {
		return nil
	}
	return r.SubjectCerts[0]
}

// worst is auth_cfg get for CRL/OCSP validation: the highest (worst)
// value recorded, FAILED if none.
func worst(v []Validation) Validation {
	if len(v) == 0 {
		return ValidationFailed
	}
	return slices.Max(v)
}

// LogFunc receives the log lines of credential handling, at charon's
// levels, in charon's groups.
type LogFunc func(g LogGroup, level int, format string, args ...any)

// LogGroup is the charon debug group a line belongs to.
type LogGroup int

const (
	LogCFG LogGroup = iota
	LogIKE
	LogLIB
	LogASN
)

func (l LogFunc) log(g LogGroup, level int, format string, args ...any) {
	if l != nil {
		l(g, level, format, args...)
	}
}

// Complies checks the rules recorded for a completed round against the
// configured constraints, as the certificate part of auth_cfg complies:
// the CA (one of the configured CAs must be in the chain), the subject
// certificate, revocation status, signature schemes, key strengths and
// certificate policies. Failures are logged when log is set.
func (r AuthRules) Complies(want AuthRules, log LogFunc) bool {
	success := r.ValidationSuspended || (compliesValidation("RULE_CRL_VALIDATION", want.CRLValidation, r.CRLValidation, log) &&
		compliesValidation("RULE_OCSP_VALIDATION", want.OCSPValidation, r.OCSPValidation, log))
	if success {
		for _, p := range want.CertPolicies {
			if !slices.Contains(r.CertPolicies, p) {
				log.log(LogCFG, 1, "constraint requires cert policy %s", p)
				success = false
				break
			}
		}
	}
	if success && len(want.SignatureSchemes) > 0 {
		success = compliesScheme(r.SignatureSchemes, want.SignatureSchemes, "X.509", log)
	}
	if success && len(want.IKESignatureSchemes) > 0 {
		success = compliesScheme(r.IKESignatureSchemes, want.IKESignatureSchemes, "IKE", log)
	}
	if success && (len(want.RSAStrength) > 0 || len(want.ECDSAStrength) > 0) {
		success = compliesStrength(r, want, log)
	}
	if !compliesCA(want, append(slices.Clone(r.CACerts), r.IMCerts...), log) {
		return false
	}
	if len(want.SubjectCerts) > 0 && !anyEqual(want.SubjectCerts, r.SubjectCerts) {
		log.log(LogCFG, 1, "constraint check failed: peer not authenticated with peer cert '%s'",
			want.SubjectCerts[len(want.SubjectCerts)-1].Subject())
		return false
	}
	return success
}

// compliesCA checks the CA constraints: one of the CA certificates
// required, or a CA certificate with one of the names required, must be
// in the chain. The CA named in the failure is the last one required (a
// round from swanctl.conf names its CAs either way, rarely both; then the
// name comes last here, where charon logs whichever came last).
func compliesCA(want AuthRules, chain []*Certificate, log LogFunc) bool {
	if len(want.CACerts) == 0 && len(want.CAIdentities) == 0 {
		return true
	}
	if anyEqual(want.CACerts, chain) {
		return true
	}
	for _, id := range want.CAIdentities {
		for _, c := range chain {
			if c.HasSubject(id) != MatchNone {
				return true
			}
		}
	}
	var required *Identity
	if n := len(want.CAIdentities); n > 0 {
		required = want.CAIdentities[n-1]
	} else {
		required = want.CACerts[len(want.CACerts)-1].Subject()
	}
	log.log(LogCFG, 1, "constraint check failed: peer not authenticated by CA '%s'", required)
	return false
}

// anyEqual reports whether a certificate of want is among have.
func anyEqual(want, have []*Certificate) bool {
	for _, w := range want {
		if slices.ContainsFunc(have, w.Equal) {
			return true
		}
	}
	return false
}

// compliesValidation checks every recorded revocation status against
// every constraint: GOOD needs GOOD, SKIPPED accepts SKIPPED or GOOD.
func compliesValidation(name string, wants, got []Validation, log LogFunc) bool {
	for _, w := range wants {
		for _, v := range got {
			ok := w == ValidationFailed || v == ValidationGood || (w == ValidationSkipped && v == ValidationSkipped)
			if !ok {
				log.log(LogCFG, 1, "constraint check failed: %s is %s, but requires at least %s", name, v, w)
				return false
			}
		}
	}
	return true
}

func compliesScheme(used, wanted []SignatureParams, kind string, log LogFunc) bool {
	for _, u := range used {
		ok := false
		for _, w := range wanted {
			if w.Complies(u) {
				ok = true
				break
			}
		}
		if !ok {
			log.log(LogCFG, 1, "%s signature scheme %s not acceptable", kind, u.Scheme)
			return false
		}
	}
	return true
}

// compliesStrength needs, for every key strength recorded, a constraint of
// the same key type that is no stronger.
func compliesStrength(r, want AuthRules, log LogFunc) bool {
	check := func(kind string, got, wants []int) bool {
		for _, g := range got {
			ok := false
			for _, w := range wants {
				if w <= g {
					ok = true
					break
				}
			}
			if !ok {
				log.log(LogCFG, 1, "%s-%d signatures not acceptable", kind, g)
				return false
			}
		}
		return true
	}
	return check("RSA", r.RSAStrength, want.RSAStrength) && check("ECDSA", r.ECDSAStrength, want.ECDSAStrength)
}

// ConstraintOptions are the strongswan.conf settings that shape how
// leftauth/rightauth constraints are read.
type ConstraintOptions struct {
	// RSAPSS (charon.rsa_pss) makes plain hash tokens also accept
	// RSASSA-PSS for RSA keys.
	RSAPSS bool
	// SignatureAuthConstraints (charon.signature_authentication_constraints,
	// default yes) applies certificate constraints to the AUTH payload's
	// scheme when no "ike:" constraint is given.
	SignatureAuthConstraints bool
}

// constraintSchemes maps constraint tokens to schemes per key type.
var constraintSchemes = []struct {
	name   string
	scheme SignatureScheme
	key    KeyType
}{
	{"md5", SignRSAPKCS1MD5, KeyRSA},
	{"sha1", SignRSAPKCS1SHA1, KeyRSA},
	{"sha224", SignRSAPKCS1SHA224, KeyRSA},
	{"sha256", SignRSAPKCS1SHA256, KeyRSA},
	{"sha384", SignRSAPKCS1SHA384, KeyRSA},
	{"sha512", SignRSAPKCS1SHA512, KeyRSA},
	{"sha1", SignECDSAWithSHA1DER, KeyECDSA},
	{"sha256", SignECDSAWithSHA256DER, KeyECDSA},
	{"sha384", SignECDSAWithSHA384DER, KeyECDSA},
	{"sha512", SignECDSAWithSHA512DER, KeyECDSA},
	{"sha256", SignECDSA256, KeyECDSA},
	{"sha384", SignECDSA384, KeyECDSA},
	{"sha512", SignECDSA521, KeyECDSA},
	{"identity", SignED25519, KeyED25519},
	{"identity", SignED448, KeyED448},
}

func pssConstraint(token string) (SignatureParams, bool) {
	h, ok := HashFromShortName(token)
	if !ok {
		return SignatureParams{}, false
	}
	p := &PSSParams{Hash: h, MGF1Hash: h, SaltLen: h.Size()}
	return SignatureParams{Scheme: SignRSAPSS, PSS: p}, true
}

// keyTokens are the key type tokens of the constraint syntax, with the
// strength rule that may follow them ("rsa-2048").
var keyTokens = map[string]struct {
	key      KeyType
	strength string
}{
	"rsa": {KeyRSA, "rsa"}, "ike:rsa": {KeyRSA, "rsa"}, "rsa/pss": {KeyRSA, "rsa"}, "ike:rsa/pss": {KeyRSA, "rsa"},
	"ecdsa": {KeyECDSA, "ecdsa"}, "ike:ecdsa": {KeyECDSA, "ecdsa"},
	"ed25519": {KeyED25519, ""}, "ike:ed25519": {KeyED25519, ""},
	"ed448": {KeyED448, ""}, "ike:ed448": {KeyED448, ""},
	"bliss": {KeyBLISS, "bliss"}, "ike:bliss": {KeyBLISS, "bliss"},
	"pubkey": {KeyAny, ""}, "ike:pubkey": {KeyAny, ""},
}

// constraintParser holds the state of reading one constraint string.
type constraintParser struct {
	r        *AuthRules
	opts     ConstraintOptions
	ike      bool
	ikeAdded bool
	expected KeyType
	strength string // the strength rule a number would set
	keyToken string
}

func (p *constraintParser) add(s SignatureParams) {
	if strings.HasPrefix(p.keyToken, "ike:") {
		p.r.IKESignatureSchemes = append(p.r.IKESignatureSchemes, s)
		p.ikeAdded = true
	} else {
		p.r.SignatureSchemes = append(p.r.SignatureSchemes, s)
	}
}

// strengthToken takes a number after "rsa" or "ecdsa" as a key strength.
func (p *constraintParser) strengthToken(token string) bool {
	if p.strength == "" {
		return false
	}
	n := atoiPrefix(token)
	if n != 0 {
		switch p.strength {
		case "rsa":
			p.r.RSAStrength = append(p.r.RSAStrength, n)
		case "ecdsa":
			p.r.ECDSAStrength = append(p.r.ECDSAStrength, n)
		}
	}
	p.strength = ""
	return n != 0
}

// schemeToken takes a hash token as a signature scheme constraint for the
// key type given before it; it reports whether the token was known.
func (p *constraintParser) schemeToken(token string) bool {
	if strings.HasSuffix(p.keyToken, "pss") {
		s, ok := pssConstraint(token)
		if ok {
			p.add(s)
		}
		return ok
	}
	found := false
	if p.opts.RSAPSS && (p.expected == KeyAny || p.expected == KeyRSA) {
		if s, ok := pssConstraint(token); ok {
			p.add(s)
			found = true
		}
	}
	for _, s := range constraintSchemes {
		if s.name == token {
			if p.expected == KeyAny || p.expected == s.key {
				p.add(SignatureParams{Scheme: s.scheme})
			}
			found = true
		}
	}
	return found
}

// AddPubkeyConstraints reads leftauth/rightauth's public key constraint
// syntax ("rsa-2048-sha256", "ecdsa-384", "pubkey-sha384", "ike:rsa/pss-
// sha256") into rules, as auth_cfg add_pubkey_constraints; ike says
// whether "ike:" tokens apply (IKE authentication, not EAP-TLS). Unknown
// tokens are logged and ignored, as charon does.
func (r *AuthRules) AddPubkeyConstraints(constraints string, ike bool, opts ConstraintOptions, log LogFunc) {
	p := &constraintParser{r: r, opts: opts, ike: ike, expected: KeyType(-1)}
	for _, token := range strings.Split(constraints, "-") {
		if token == "" || p.strengthToken(token) {
			continue
		}
		if k, ok := keyTokens[token]; ok {
			p.keyToken, p.expected, p.strength = token, k.key, k.strength
			continue
		}
		if strings.HasPrefix(p.keyToken, "ike:") && !ike {
			continue
		}
		if !p.schemeToken(token) {
			log.log(LogCFG, 1, "ignoring invalid auth token: '%s'", token)
		}
	}
	if ike && !p.ikeAdded && opts.SignatureAuthConstraints {
		r.IKESignatureSchemes = append(r.IKESignatureSchemes, cloneParams(r.SignatureSchemes)...)
	}
}

// atoiPrefix is C's atoi: leading digits, 0 if there are none.
func atoiPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, _ := strconv.Atoi(s[:i])
	return n
}
