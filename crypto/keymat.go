package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// IKEAlgorithms are the transforms of a selected IKE proposal that key
// derivation needs.
type IKEAlgorithms struct {
	PRF        PRFAlgorithm
	Encryption EncryptionAlgorithm
	KeyBits    int                // as negotiated; 0 where the transform has no key length
	Integrity  IntegrityAlgorithm // AuthNone with an AEAD
}

// keyLengths returns the lengths of SK_a* and SK_e* (salt included).
func (a IKEAlgorithms) keyLengths() (integ, encr int, err error) {
	if !a.PRF.Supported() {
		return 0, 0, fmt.Errorf("PRF %v: %w", a.PRF, ErrUnsupported)
	}
	if a.Encryption.ESPOnly() {
		return 0, 0, fmt.Errorf("%v is not allowed for IKE", a.Encryption)
	}
	if encr, err = a.Encryption.KeyMaterialSize(a.KeyBits); err != nil {
		return 0, 0, err
	}
	switch {
	case a.Encryption.IsAEAD() && a.Integrity != AuthNone:
		return 0, 0, fmt.Errorf("AEAD %v cannot be combined with integrity algorithm %v", a.Encryption, a.Integrity)
	case a.Encryption.IsAEAD():
		return 0, encr, nil
	case !a.Integrity.Supported():
		return 0, 0, fmt.Errorf("integrity algorithm %v: %w", a.Integrity, ErrUnsupported)
	}
	return a.Integrity.KeySize(), encr, nil
}

// IKEKeys are the seven secrets of an IKE SA (RFC 7296 §2.14) and the
// SKEYSEED they came from.
type IKEKeys struct {
	SKEYSEED                                []byte
	SKd, SKai, SKar, SKei, SKer, SKpi, SKpr []byte
}

// Wipe overwrites every key with zeros.
func (k *IKEKeys) Wipe() {
	for _, b := range [][]byte{k.SKEYSEED, k.SKd, k.SKai, k.SKar, k.SKei, k.SKer, k.SKpi, k.SKpr} {
		clear(b)
	}
}

// DeriveIKEKeys computes the keys of a new IKE SA from IKE_SA_INIT
// (RFC 7296 §2.14):
//
//	SKEYSEED = prf(Ni | Nr, g^ir)
//	{SK_d | SK_ai | SK_ar | SK_ei | SK_er | SK_pi | SK_pr} = prf+(SKEYSEED, Ni | Nr | SPIi | SPIr)
//
// For the fixed-key PRFs AES-XCBC and AES-CMAC only the first 64 bits of each
// nonce form the SKEYSEED key (RFC 7296 §2.14, RFC 4434, RFC 4615), as
// strongSwan does; prf+ always gets the full nonces.
func DeriveIKEKeys(alg IKEAlgorithms, sharedSecret, nonceI, nonceR []byte, spiI, spiR uint64) (*IKEKeys, error) {
	if _, _, err := alg.keyLengths(); err != nil {
		return nil, err
	}
	ni, nr := nonceI, nonceR
	if alg.PRF.row().FixedKey {
		half := alg.PRF.KeySize() / 2
		ni, nr = ni[:min(len(ni), half)], nr[:min(len(nr), half)]
	}
	key := append(append(make([]byte, 0, len(ni)+len(nr)), ni...), nr...)
	skeyseed, err := PRFSum(alg.PRF, key, sharedSecret)
	clear(key)
	if err != nil {
		return nil, err
	}
	return expandIKEKeys(alg, alg.PRF, skeyseed, nonceI, nonceR, spiI, spiR)
}

// DeriveRekeyedIKEKeys computes the keys of the IKE SA that replaces an old
// one in a CREATE_CHILD_SA exchange (RFC 7296 §2.18):
//
//	SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr)
//
// with the old IKE SA's PRF, because the exchange belongs to the old SA. Like
// strongSwan 5.9 (keymat_v2.c derive_ike_keys), the old PRF also drives prf+
// for the new keys; the lengths of SK_d, SK_pi and SK_pr still follow the new
// PRF. The two coincide unless a rekey changes the PRF.
func DeriveRekeyedIKEKeys(alg IKEAlgorithms, oldPRF PRFAlgorithm, oldSKd, sharedSecret, nonceI, nonceR []byte, spiI, spiR uint64) (*IKEKeys, error) {
	if _, _, err := alg.keyLengths(); err != nil {
		return nil, err
	}
	if len(sharedSecret) == 0 {
		return nil, errors.New("IKE SA rekeying requires a new key exchange (RFC 7296 §2.18)")
	}
	skeyseed, err := PRFSum(oldPRF, oldSKd, sharedSecret, nonceI, nonceR)
	if err != nil {
		return nil, err
	}
	return expandIKEKeys(alg, oldPRF, skeyseed, nonceI, nonceR, spiI, spiR)
}

func expandIKEKeys(alg IKEAlgorithms, plusPRF PRFAlgorithm, skeyseed, nonceI, nonceR []byte, spiI, spiR uint64) (*IKEKeys, error) {
	integ, encr, _ := alg.keyLengths()
	prfKey := alg.PRF.KeySize()
	seed := make([]byte, 0, len(nonceI)+len(nonceR)+16)
	seed = append(append(seed, nonceI...), nonceR...)
	seed = binary.BigEndian.AppendUint64(seed, spiI)
	seed = binary.BigEndian.AppendUint64(seed, spiR)
	total := 3*prfKey + 2*integ + 2*encr
	keymat, err := PRFPlus(plusPRF, skeyseed, seed, total)
	if err != nil {
		clear(skeyseed)
		return nil, err
	}
	k := &IKEKeys{SKEYSEED: skeyseed}
	for _, p := range []struct {
		dst *[]byte
		n   int
	}{{&k.SKd, prfKey}, {&k.SKai, integ}, {&k.SKar, integ}, {&k.SKei, encr}, {&k.SKer, encr}, {&k.SKpi, prfKey}, {&k.SKpr, prfKey}} {
		*p.dst = keymat[:p.n:p.n]
		keymat = keymat[p.n:]
	}
	return k, nil
}

// SKCiphers builds the SK payload ciphers for our side of the IKE SA: out
// protects what we send (SK_ei/SK_ai for the original initiator), in what we
// receive.
func (k *IKEKeys) SKCiphers(alg IKEAlgorithms, initiator bool, rand io.Reader) (in, out SKCipher, err error) {
	ei, ai, er, ar := k.SKei, k.SKai, k.SKer, k.SKar
	if !initiator {
		ei, ai, er, ar = er, ar, ei, ai
	}
	if out, err = NewLazySKCipher(alg.Encryption, alg.KeyBits, alg.Integrity, ei, ai, rand); err != nil {
		return nil, nil, err
	}
	if in, err = NewLazySKCipher(alg.Encryption, alg.KeyBits, alg.Integrity, er, ar, rand); err != nil {
		return nil, nil, err
	}
	return in, out, nil
}

// ChildAlgorithms are the transforms of a selected ESP or AH proposal that
// CHILD_SA key derivation needs.
type ChildAlgorithms struct {
	Encryption EncryptionAlgorithm // 0 for AH
	KeyBits    int
	Integrity  IntegrityAlgorithm // AuthNone with an AEAD
}

// ChildKeys are the keys of one CHILD_SA (both directions).
type ChildKeys struct {
	EncrI, IntegI, EncrR, IntegR []byte
}

// Wipe overwrites every key with zeros.
func (k *ChildKeys) Wipe() {
	for _, b := range [][]byte{k.EncrI, k.IntegI, k.EncrR, k.IntegR} {
		clear(b)
	}
}

// DeriveChildKeys computes CHILD_SA keys (RFC 7296 §2.17):
//
//	KEYMAT = prf+(SK_d, Ni | Nr)              without PFS (sharedSecret nil)
//	KEYMAT = prf+(SK_d, g^ir (new) | Ni | Nr) with PFS
//
// split as encr_i | integ_i | encr_r | integ_r, where the encryption keys
// include the salt of AES-CTR/GCM and ChaCha20-Poly1305 (RFC 4106 §8.1,
// RFC 3686 §5.1, RFC 7634 §2).
func DeriveChildKeys(prf PRFAlgorithm, skd []byte, alg ChildAlgorithms, sharedSecret, nonceI, nonceR []byte) (*ChildKeys, error) {
	encr := 0
	if alg.Encryption != 0 {
		var err error
		if encr, err = alg.Encryption.KeyMaterialSize(alg.KeyBits); err != nil {
			return nil, err
		}
	}
	integ := 0
	if alg.Integrity != AuthNone {
		if alg.Encryption.IsAEAD() {
			return nil, fmt.Errorf("AEAD %v cannot be combined with integrity algorithm %v", alg.Encryption, alg.Integrity)
		}
		if !alg.Integrity.Supported() {
			return nil, fmt.Errorf("integrity algorithm %v: %w", alg.Integrity, ErrUnsupported)
		}
		integ = alg.Integrity.KeySize()
	}
	seed := make([]byte, 0, len(sharedSecret)+len(nonceI)+len(nonceR))
	seed = append(append(append(seed, sharedSecret...), nonceI...), nonceR...)
	keymat, err := PRFPlus(prf, skd, seed, 2*encr+2*integ)
	clear(seed)
	if err != nil {
		return nil, err
	}
	k := &ChildKeys{}
	for _, p := range []struct {
		dst *[]byte
		n   int
	}{{&k.EncrI, encr}, {&k.IntegI, integ}, {&k.EncrR, encr}, {&k.IntegR, integ}} {
		*p.dst = keymat[:p.n:p.n]
		keymat = keymat[p.n:]
	}
	return k, nil
}
