package sa

import (
	"errors"
	"fmt"
	"io"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/encoding"
)

// Nonce sizes: strongSwan sends 32-byte nonces (NONCE_SIZE) and RFC 7296
// §3.9 requires at least 16 bytes and half the PRF's key size.
const (
	NonceSize    = 32
	MinNonceSize = 16
	MaxNonceSize = 256
)

// Keymat is an IKE_SA's keying material, keymat_v2: it derives the IKE and
// CHILD_SA keys and computes AUTH payloads.
type Keymat struct {
	env       *Env
	initiator bool
	alg       crypto.IKEAlgorithms
	keys      *crypto.IKEKeys
	in, out   crypto.SKCipher
	// hashAlgs are the signature hash algorithms the peer supports.
	hashAlgs []credentials.HashAlgorithm
}

// NewKeymat returns empty keying material for our role.
func NewKeymat(env *Env, initiator bool) *Keymat {
	return &Keymat{env: env, initiator: initiator}
}

// NewNonce returns a fresh nonce from the Env's randomness.
func (k *Keymat) NewNonce() ([]byte, error) {
	n := make([]byte, NonceSize)
	src := k.env.Rand
	if k.env.NonceSource != nil {
		src = k.env.NonceSource
	}
	if _, err := io.ReadFull(src, n); err != nil {
		return nil, fmt.Errorf("nonce generation failed: %w", err)
	}
	return n, nil
}

// NewKE starts a key exchange for method.
func (k *Keymat) NewKE(m crypto.KeyExchangeMethod) (crypto.KeyExchange, error) {
	return crypto.NewKeyExchange(m, k.env.Rand)
}

// IKEAlgorithmsOf extracts what derivation needs from a selected IKE
// proposal.
func IKEAlgorithmsOf(p *config.Proposal) (crypto.IKEAlgorithms, error) {
	var a crypto.IKEAlgorithms
	enc, ok := p.Algorithm(crypto.TransformEncryption)
	if !ok {
		return a, errors.New("no encryption algorithm in proposal")
	}
	a.Encryption, a.KeyBits = crypto.EncryptionAlgorithm(enc.ID), int(enc.KeyLength)
	prf, ok := p.Algorithm(crypto.TransformPRF)
	if !ok {
		return a, errors.New("no PRF in proposal")
	}
	a.PRF = crypto.PRFAlgorithm(prf.ID)
	if integ, ok := p.Algorithm(crypto.TransformIntegrity); ok {
		a.Integrity = crypto.IntegrityAlgorithm(integ.ID)
	}
	return a, nil
}

// logKey logs secret material at level 4 (private) only, as charon does.
func logKey(lg bus.Logger, name string, b []byte) {
	lg.Logf(bus.IKE, bus.Private, "%s %s", name, hexDump(b))
}

// hexDump prints like charon's %B: "=> N bytes @ 0x..." followed by hex
// lines; without a memory address we keep the length and the bytes. It is
// formatted only if the line is logged: keys and secrets are not turned
// into strings at every rekey for a level nobody enables.
type hexDump []byte

func (b hexDump) String() string {
	s := fmt.Sprintf("=> %d bytes", len(b))
	for i := 0; i < len(b); i += 16 {
		end := min(i+16, len(b))
		s += fmt.Sprintf("\n   %4d: % X", i, []byte(b[i:end]))
	}
	return s
}

// DeriveIKEKeys derives the keys of this IKE_SA from the IKE_SA_INIT
// exchange, or, when rekeyed is not nil, as the IKE_SA replacing it
// (RFC 7296 §2.14, §2.18).
func (k *Keymat) DeriveIKEKeys(lg bus.Logger, p *config.Proposal, secret, nonceI, nonceR []byte, spiI, spiR uint64, rekeyed *Keymat) error {
	alg, err := IKEAlgorithmsOf(p)
	if err != nil {
		return err
	}
	logKey(lg, "shared Diffie Hellman secret", secret)
	var keys *crypto.IKEKeys
	if rekeyed == nil {
		keys, err = crypto.DeriveIKEKeys(alg, secret, nonceI, nonceR, spiI, spiR)
	} else {
		if rekeyed.keys == nil {
			return errors.New("rekeyed IKE_SA has no keys")
		}
		keys, err = crypto.DeriveRekeyedIKEKeys(alg, rekeyed.alg.PRF, rekeyed.keys.SKd, secret, nonceI, nonceR, spiI, spiR)
	}
	if err != nil {
		return err
	}
	in, out, err := keys.SKCiphers(alg, k.initiator, k.env.Rand)
	if err != nil {
		keys.Wipe()
		return err
	}
	logKey(lg, "SKEYSEED secret", keys.SKEYSEED)
	logKey(lg, "Sk_d secret", keys.SKd)
	logKey(lg, "Sk_ai secret", keys.SKai)
	logKey(lg, "Sk_ar secret", keys.SKar)
	logKey(lg, "Sk_ei secret", keys.SKei)
	logKey(lg, "Sk_er secret", keys.SKer)
	logKey(lg, "Sk_pi secret", keys.SKpi)
	logKey(lg, "Sk_pr secret", keys.SKpr)
	k.Wipe()
	k.alg, k.keys, k.in, k.out = alg, keys, in, out
	return nil
}

// HasKeys reports whether IKE keys were derived.
func (k *Keymat) HasKeys() bool { return k.keys != nil }

// Cipher returns the SK cipher for outbound (ours) or inbound messages,
// nil before keys exist.
func (k *Keymat) Cipher(outbound bool) encoding.Cipher {
	if k.keys == nil {
		return nil
	}
	if outbound {
		return k.out
	}
	return k.in
}

// PRF returns the negotiated PRF.
func (k *Keymat) PRF() crypto.PRFAlgorithm { return k.alg.PRF }

// ChildKeys derives the keys of a CHILD_SA (RFC 7296 §2.17), with PFS if
// secret is not nil: encryption and integrity keys for the initiator's and
// the responder's outbound direction.
func (k *Keymat) ChildKeys(lg bus.Logger, p *config.Proposal, secret, nonceI, nonceR []byte) (*crypto.ChildKeys, error) {
	if k.keys == nil {
		return nil, errors.New("no IKE keys to derive CHILD_SA keys from")
	}
	var a crypto.ChildAlgorithms
	if enc, ok := p.Algorithm(crypto.TransformEncryption); ok {
		a.Encryption, a.KeyBits = crypto.EncryptionAlgorithm(enc.ID), int(enc.KeyLength)
		lg.Logf(bus.CHD, bus.Diag, "  using %s for encryption", a.Encryption)
	}
	if integ, ok := p.Algorithm(crypto.TransformIntegrity); ok {
		a.Integrity = crypto.IntegrityAlgorithm(integ.ID)
		lg.Logf(bus.CHD, bus.Diag, "  using %s for integrity", a.Integrity)
	}
	if secret != nil {
		lg.Logf(bus.CHD, bus.Private, "DH secret %s", hexDump(secret))
	}
	keys, err := crypto.DeriveChildKeys(k.alg.PRF, k.keys.SKd, a, secret, nonceI, nonceR)
	if err != nil {
		return nil, err
	}
	lg.Logf(bus.CHD, bus.Private, "encryption initiator key %s", hexDump(keys.EncrI))
	lg.Logf(bus.CHD, bus.Private, "encryption responder key %s", hexDump(keys.EncrR))
	lg.Logf(bus.CHD, bus.Private, "integrity initiator key %s", hexDump(keys.IntegI))
	lg.Logf(bus.CHD, bus.Private, "integrity responder key %s", hexDump(keys.IntegR))
	return keys, nil
}

// authOctets builds the signed octets of RFC 7296 §2.15:
//
//	<SignedOctets> = <RealMessage> | <NonceData of the other side> | prf(SK_p, <RestOfIDPayload>)
//
// where SK_p is SK_pi for the initiator's AUTH and SK_pr for the
// responder's. verify selects the peer's side.
func (k *Keymat) authOctets(verify bool, ikeSAInit, nonce []byte, id *encoding.ID) ([]byte, error) {
	if k.keys == nil {
		return nil, errors.New("no IKE keys for AUTH")
	}
	// The initiator's AUTH uses SK_pi, the responder's SK_pr.
	useI := k.initiator != verify
	key := k.keys.SKpr
	if useI {
		key = k.keys.SKpi
	}
	body, err := id.AppendBody(nil)
	if err != nil {
		return nil, err
	}
	macID, err := crypto.PRFSum(k.alg.PRF, key, body)
	if err != nil {
		return nil, err
	}
	octets := make([]byte, 0, len(ikeSAInit)+len(nonce)+len(macID))
	return append(append(append(octets, ikeSAInit...), nonce...), macID...), nil
}

// keyPad is the constant of RFC 7296 §2.15.
var keyPad = []byte("Key Pad for IKEv2")

// PSKAuth computes the AUTH data for pre-shared key authentication:
// prf(prf(secret, "Key Pad for IKEv2"), <SignedOctets>). ikeSAInit is the
// IKE_SA_INIT message of the side whose AUTH this is, nonce the other
// side's nonce, id that side's ID payload.
//
// An empty secret stands for SK_p of the signing side: EAP methods that
// establish no MSK authenticate the AUTH payload with it (RFC 7296 §2.16).
func (k *Keymat) PSKAuth(lg bus.Logger, verify bool, ikeSAInit, nonce, secret []byte, id *encoding.ID) ([]byte, error) {
	octets, err := k.authOctets(verify, ikeSAInit, nonce, id)
	if err != nil {
		return nil, err
	}
	if len(secret) == 0 {
		secret = k.keys.SKpr
		if k.initiator != verify {
			secret = k.keys.SKpi
		}
	}
	padded, err := crypto.PRFSum(k.alg.PRF, secret, keyPad)
	if err != nil {
		return nil, err
	}
	auth, err := crypto.PRFSum(k.alg.PRF, padded, octets)
	clear(padded)
	if err != nil {
		return nil, err
	}
	lg.Logf(bus.IKE, bus.Raw, "octets = message + nonce + prf(Sk_px, IDx') %s", hexDump(octets))
	lg.Logf(bus.IKE, bus.Private, "secret %s", hexDump(secret))
	lg.Logf(bus.IKE, bus.Raw, "AUTH = prf(prf(secret, keypad), octets) %s", hexDump(auth))
	return auth, nil
}

// Wipe clears the keys.
func (k *Keymat) Wipe() {
	if k.keys != nil {
		k.keys.Wipe()
		k.keys = nil
	}
	k.in, k.out = nil, nil
}
