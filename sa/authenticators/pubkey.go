package authenticators

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// pubkey is pubkey_authenticator.c: signatures with a private key, as
// RFC 7427 digital signatures when both sides announced
// SIGNATURE_HASH_ALGORITHMS, else with the classic RSA (SHA-1) and ECDSA
// methods.
type pubkey struct {
	ike   *sa.IKESA
	init  []byte // the IKE_SA_INIT message of the side that signs
	nonce []byte // the other side's nonce
}

// classicScheme maps the classic auth methods to their schemes.
var classicScheme = map[encoding.AuthMethod]credentials.SignatureScheme{
	encoding.AuthRSA:      credentials.SignRSAPKCS1SHA1,
	encoding.AuthECDSA256: credentials.SignECDSA256,
	encoding.AuthECDSA384: credentials.SignECDSA384,
	encoding.AuthECDSA521: credentials.SignECDSA521,
}

func (p *pubkey) Build(m *encoding.Message) sa.Status {
	ike := p.ike
	id := ike.MyID()
	certs := ike.Env().Certs
	if certs == nil {
		ike.Log(bus.IKE, bus.Control, "no private key found for '%s'", id)
		return sa.NotFound
	}
	auth := ike.CurrentAuth(true)
	priv := certs.GetPrivate(credentials.KeyAny, id, &auth.AuthRules, ike.CredLog())
	if priv == nil {
		ike.Log(bus.IKE, bus.Control, "no private key found for '%s'", id)
		return sa.NotFound
	}
	if ike.Supports(sa.ExtSignatureAuth) {
		return p.signDS(m, auth, priv, id)
	}
	return p.signClassic(m, priv, id)
}

// selectSchemes picks the schemes to try (select_signature_schemes): the
// configured ones that fit the key and the peer's hash algorithms, or
// else those suitable for the key (RSASSA-PSS only with charon.rsa_pss)
// that the peer supports, and for RSA SHA-384 and SHA-256 as fallbacks.
func (p *pubkey) selectSchemes(auth *config.AuthCfg, priv *credentials.PrivateKey) []credentials.SignatureParams {
	km := p.ike.Keymat()
	var out []credentials.SignatureParams
	if len(auth.IKESignatureSchemes) > 0 {
		for _, s := range auth.IKESignatureSchemes {
			if s.Scheme.KeyType() == priv.Type() && km.HashAlgorithmSupported(s.Hash()) {
				out = append(out, s)
			}
		}
		return out
	}
	rsaPSS := p.ike.Env().Certs.Options().RSAPSS
	for _, s := range credentials.SchemesForKey(priv.Type(), priv.Bits()) {
		if s.Scheme == credentials.SignRSAPSS && !rsaPSS {
			continue
		}
		if km.HashAlgorithmSupported(s.Hash()) {
			out = append(out, s)
		}
	}
	if priv.Type() == credentials.KeyRSA {
		for _, scheme := range []credentials.SignatureScheme{credentials.SignRSAPKCS1SHA384, credentials.SignRSAPKCS1SHA256} {
			found := false
			for _, s := range out {
				if s.Scheme == scheme {
					found = true
				}
			}
			s := credentials.SignatureParams{Scheme: scheme}
			if !found && km.HashAlgorithmSupported(s.Hash()) {
				out = append(out, s)
			}
		}
	}
	return out
}

func (p *pubkey) octets(verify bool, id *credentials.Identity, local bool) ([]byte, bool) {
	ike := p.ike
	responder := ike.ID().Initiator != local
	octets, err := ike.Keymat().AuthOctets(ike.Logger(), verify, p.init, p.nonce, sa.IDPayload(id, responder))
	if err != nil {
		ike.Log(bus.IKE, bus.Control, "%v", err)
		return nil, false
	}
	return octets, true
}

func (p *pubkey) signDS(m *encoding.Message, auth *config.AuthCfg, priv *credentials.PrivateKey, id *credentials.Identity) sa.Status {
	ike := p.ike
	schemes := p.selectSchemes(auth, priv)
	if len(schemes) == 0 {
		ike.Log(bus.IKE, bus.Control, "no common hash algorithm found to create signature with %s key", priv.Type())
		return sa.Failed
	}
	octets, ok := p.octets(false, id, true)
	if !ok {
		ike.Log(bus.IKE, bus.Control, "authentication of '%s' (myself) failed", id)
		return sa.Failed
	}
	var used credentials.SignatureParams
	for _, s := range schemes {
		used = s
		sig, err := priv.Sign(ike.Env().Rand, s, octets)
		if err != nil {
			ike.Log(bus.IKE, bus.Diag, "unable to create %s signature for %s key", s.Scheme, priv.Type())
			continue
		}
		algID, err := s.Marshal()
		if err != nil || len(algID) > 255 {
			ike.Log(bus.IKE, bus.Diag, "unable to create %s signature for %s key", s.Scheme, priv.Type())
			continue
		}
		data := append([]byte{byte(len(algID))}, algID...)
		m.Add(&encoding.Auth{Method: encoding.AuthDS, Data: append(data, sig...)})
		ike.Log(bus.IKE, bus.Control, "authentication of '%s' (myself) with %s successful", id, s)
		return sa.Success
	}
	ike.Log(bus.IKE, bus.Control, "authentication of '%s' (myself) with %s failed", id, used)
	return sa.Failed
}

func (p *pubkey) signClassic(m *encoding.Message, priv *credentials.PrivateKey, id *credentials.Identity) sa.Status {
	ike := p.ike
	var method encoding.AuthMethod
	switch priv.Type() {
	case credentials.KeyRSA:
		method = encoding.AuthRSA
	case credentials.KeyECDSA:
		switch priv.Bits() {
		case 256:
			method = encoding.AuthECDSA256
		case 384:
			method = encoding.AuthECDSA384
		case 521:
			method = encoding.AuthECDSA521
		default:
			ike.Log(bus.IKE, bus.Control, "%d bit ECDSA private key size not supported", priv.Bits())
			return sa.Failed
		}
	default:
		ike.Log(bus.IKE, bus.Control, "private key of type %s not supported", priv.Type())
		return sa.Failed
	}
	status := sa.Failed
	if octets, ok := p.octets(false, id, true); ok {
		sig, err := priv.Sign(ike.Env().Rand, credentials.SignatureParams{Scheme: classicScheme[method]}, octets)
		if err == nil {
			m.Add(&encoding.Auth{Method: method, Data: sig})
			status = sa.Success
		}
	}
	result := "failed"
	if status == sa.Success {
		result = "successful"
	}
	ike.Log(bus.IKE, bus.Control, "authentication of '%s' (myself) with %s %s", id, method, result)
	return status
}

// parseDS reads RFC 7427 authentication data: the length of the
// AlgorithmIdentifier, the AlgorithmIdentifier, the signature.
func parseDS(data []byte) (credentials.SignatureParams, []byte, bool) {
	if len(data) == 0 {
		return credentials.SignatureParams{}, nil, false
	}
	n := int(data[0])
	data = data[1:]
	params, err := credentials.ParseSignatureParams(data)
	if err != nil {
		return credentials.SignatureParams{}, nil, false
	}
	if n > len(data) {
		return params, nil, true
	}
	return params, data[n:], true
}

func (p *pubkey) Process(m *encoding.Message) sa.Status {
	ike := p.ike
	a, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	if a == nil {
		return sa.Failed
	}
	keyType := credentials.KeyECDSA
	var params credentials.SignatureParams
	sig := a.Data
	switch a.Method {
	case encoding.AuthRSA:
		keyType = credentials.KeyRSA
		params.Scheme = classicScheme[a.Method]
	case encoding.AuthECDSA256, encoding.AuthECDSA384, encoding.AuthECDSA521:
		params.Scheme = classicScheme[a.Method]
	case encoding.AuthDS:
		var ok bool
		if params, sig, ok = parseDS(a.Data); !ok {
			ike.Log(bus.IKE, bus.Control, "%s authentication payload invalid", a.Method)
			return sa.Failed
		}
		keyType = params.Scheme.KeyType()
	default:
		ike.Log(bus.IKE, bus.Control, "%s authentication unsupported", a.Method)
		return sa.Failed
	}
	id := ike.OtherID()
	octets, ok := p.octets(true, id, false)
	if !ok {
		return sa.Failed
	}
	certs := ike.Env().Certs
	status := sa.NotFound
	if certs != nil {
		auth := ike.CurrentAuth(false)
		online := !ike.Has(sa.CondOnlineValidationSuspended)
		certs.Trusted(keyType, id, online, ike.Helpers(), ike.CredLog(), func(tc credentials.TrustedCert) bool {
			if tc.Cert.PublicKey().Verify(params, octets, sig) && ikeCompliant(ike, tc.Rules) {
				if a.Method != encoding.AuthDS {
					ike.Log(bus.IKE, bus.Control, "authentication of '%s' with %s successful", id, a.Method)
				} else {
					ike.Log(bus.IKE, bus.Control, "authentication of '%s' with %s successful", id, params)
				}
				status = sa.Success
				rules := tc.Rules.Clone()
				rules.Merge(auth.AuthRules)
				auth.AuthRules = rules
				auth.Class = config.AuthClassPubkey
				auth.IKESignatureSchemes = append(auth.IKESignatureSchemes, params)
				if !online {
					auth.ValidationSuspended = true
				}
				return false
			}
			status = sa.Failed
			ike.Log(bus.IKE, bus.Control, "signature validation failed, looking for another key")
			return true
		})
	}
	if status == sa.NotFound {
		ike.Log(bus.IKE, bus.Control, "no trusted %s public key found for '%s'", keyType, id)
	}
	return status
}

// ikeCompliant rejects end entity certificates whose keyUsage allows
// neither digitalSignature nor nonRepudiation (RFC 4945 5.1.3.2).
func ikeCompliant(ike *sa.IKESA, r credentials.AuthRules) bool {
	c := r.Subject()
	if c == nil || c.Flags()&credentials.CertIKECompliant != 0 {
		return true
	}
	ike.Log(bus.IKE, bus.Control, "rejecting certificate without digitalSignature or nonRepudiation keyUsage flags")
	return false
}

func (p *pubkey) IsMutual() bool { return false }
func (p *pubkey) Destroy()       {}
