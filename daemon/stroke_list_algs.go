package daemon

import (
	"io"
	"strings"
	"time"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/stroke"
)

// The list commands (stroke_list.c list(), list_algs(), list_plugins()).
//
// goswan holds no certificates, CRLs, OCSP responses or attribute
// certificates, so the flags that list them print nothing: exactly what
// charon prints on a host without any (captures/live/moon.35_listall.txt).

// WriteList writes the answer to the `ipsec list*` commands flags select.
// utc selects UTC dates for certificate validity, which goswan has none
// of yet.
func WriteList(w io.Writer, src ListSource, flags stroke.ListFlags, utc bool) error {
	p := &printer{w: w}
	if cs, ok := src.(CertSource); ok && cs.CertManager() != nil {
		writeCertLists(p, cs.CertManager(), flags, utc, time.Now().Truncate(time.Second))
	}
	if flags&stroke.ListAlgs != 0 {
		writeAlgorithms(p, RegisteredAlgorithms())
	}
	if flags&stroke.ListPlugins != 0 {
		writePlugins(p, src.Plugins())
	}
	return p.err
}

// AlgorithmClass is one line group of listalgs, in charon's order.
type AlgorithmClass uint8

const (
	AlgEncryption AlgorithmClass = iota
	AlgIntegrity
	AlgAEAD
	AlgHasher
	AlgPRF
	AlgXOF
	AlgKDF
	AlgDRBG
	AlgKeyExchange
	AlgRNG
	AlgNonceGen
	numAlgorithmClasses
)

// algClassLabels are the line heads, each 13 characters wide.
var algClassLabels = [numAlgorithmClasses]string{
	"  encryption:", "  integrity: ", "  aead:      ", "  hasher:    ", "  prf:       ",
	"  xof:       ", "  kdf:       ", "  drbg:      ", "  dh-group:  ", "  random-gen:",
	"  nonce-gen: ",
}

// maxAlgLine is CRYPTO_MAX_ALG_LINE: entries wrap before a line would
// grow beyond it.
const maxAlgLine = 120

// Algorithm is an algorithm goswan implements and who implements it: the
// Go package behind it, where charon names the plugin that registered it.
// Name is empty for the nonce generator, which charon lists by provider
// only.
type Algorithm struct {
	Name, Provider string
}

// Providers of goswan's algorithms. The standard library and x/crypto
// carry most; goswan/crypto is the code of package crypto itself (AES-XCBC,
// AES-CMAC, prf+, NULL encryption).
const (
	provGoswan   = "goswan/crypto"
	provRand     = "crypto/rand"
	provHMAC     = "crypto/hmac"
	provAES      = "crypto/aes"
	provDES      = "crypto/des"
	provChaCha   = "x/crypto/chacha20poly1305"
	provECDH     = "crypto/ecdh"
	provX448     = "circl/dh/x448"
	provBigModex = "math/big"
)

func encryptionProvider(a crypto.EncryptionAlgorithm) string {
	switch a {
	case crypto.EncrAESCBC, crypto.EncrAESCTR, crypto.EncrAESECB, crypto.EncrAESCFB,
		crypto.EncrAESGCM8, crypto.EncrAESGCM12, crypto.EncrAESGCM16,
		crypto.EncrAESCCM8, crypto.EncrAESCCM12, crypto.EncrAESCCM16:
		return provAES
	case crypto.EncrDES, crypto.Encr3DES, crypto.EncrDESECB:
		return provDES
	case crypto.EncrChaCha20Poly1305:
		return provChaCha
	}
	return provGoswan
}

func integrityProvider(a crypto.IntegrityAlgorithm) string {
	switch a {
	case crypto.AuthAESXCBC96, crypto.AuthAESCMAC96, crypto.AuthCamelliaXCBC96:
		return provGoswan
	}
	if strings.HasPrefix(a.String(), "HMAC_") {
		return provHMAC
	}
	return provGoswan
}

func prfProvider(a crypto.PRFAlgorithm) string {
	if strings.HasPrefix(a.String(), "PRF_HMAC_") {
		return provHMAC
	}
	return provGoswan
}

func keProvider(m crypto.KeyExchangeMethod) string {
	switch m {
	case crypto.ECP256, crypto.ECP384, crypto.ECP521, crypto.Curve25519:
		return provECDH
	case crypto.Curve448:
		return provX448
	}
	if strings.HasPrefix(m.String(), "MODP_") {
		return provBigModex
	}
	return provGoswan
}

// maxTransformID bounds the search for supported ids: IANA's ranges plus
// strongSwan's private-use numbers from 1024.
const maxTransformID = 2048

// RegisteredAlgorithms lists what goswan's crypto package implements, per
// listalgs class, in transform id order. It asks package crypto, so it
// follows what crypto supports.
func RegisteredAlgorithms() [numAlgorithmClasses][]Algorithm {
	var out [numAlgorithmClasses][]Algorithm
	for id := range maxTransformID {
		if a := crypto.EncryptionAlgorithm(id); a.Supported() {
			class := AlgEncryption
			if a.IsAEAD() {
				class = AlgAEAD
			}
			out[class] = append(out[class], Algorithm{a.String(), encryptionProvider(a)})
		}
	}
	for id := range maxTransformID {
		if a := crypto.IntegrityAlgorithm(id); a.Supported() {
			out[AlgIntegrity] = append(out[AlgIntegrity], Algorithm{a.String(), integrityProvider(a)})
		}
	}
	// Hash functions are not a transform type; the ones goswan's HMACs
	// and NAT detection run on.
	out[AlgHasher] = []Algorithm{
		{"HASH_SHA1", "crypto/sha1"}, {"HASH_SHA2_256", "crypto/sha256"},
		{"HASH_SHA2_384", "crypto/sha512"}, {"HASH_SHA2_512", "crypto/sha512"},
	}
	for id := range maxTransformID {
		if a := crypto.PRFAlgorithm(id); a.Supported() {
			out[AlgPRF] = append(out[AlgPRF], Algorithm{a.String(), prfProvider(a)})
		}
	}
	// SKEYSEED is a plain PRF, the key material prf+ (RFC 7296 §2.13).
	out[AlgKDF] = []Algorithm{{"KDF_PRF", provGoswan}, {"KDF_PRF_PLUS", provGoswan}}
	for id := range maxTransformID {
		if m := crypto.KeyExchangeMethod(id); m.Supported() {
			out[AlgKeyExchange] = append(out[AlgKeyExchange], Algorithm{m.String(), keProvider(m)})
		}
	}
	// Every random value, keys and nonces alike, comes from the kernel's
	// CSPRNG.
	out[AlgRNG] = []Algorithm{{"RNG_WEAK", provRand}, {"RNG_STRONG", provRand}, {"RNG_TRUE", provRand}}
	out[AlgNonceGen] = []Algorithm{{"", provRand}}
	return out
}

// writeAlgorithms writes listalgs: per class "NAME[provider]" entries,
// wrapped as charon wraps them.
func writeAlgorithms(p *printer, algs [numAlgorithmClasses][]Algorithm) {
	var b strings.Builder
	b.WriteString("\nList of registered IKE algorithms:\n")
	for class, label := range algClassLabels {
		b.WriteString("\n" + label)
		n := len(label)
		for _, a := range algs[class] {
			entry := " [" + a.Provider + "]"
			if a.Name != "" {
				entry = " " + a.Name + "[" + a.Provider + "]"
			}
			if n+len(entry) > maxAlgLine {
				b.WriteString("\n             ")
				n = 13
			}
			b.WriteString(entry)
			n += len(entry)
		}
	}
	b.WriteString("\n")
	p.print(b.String())
}

// writePlugins writes listplugins.
func writePlugins(p *printer, plugins []Plugin) {
	var b strings.Builder
	b.WriteString("\nList of loaded Plugins:\n\n")
	for _, pl := range plugins {
		b.WriteString(pl.Name + ":\n")
		for _, f := range pl.Features {
			switch f.Kind {
			case FeatureProvide:
				b.WriteString("    " + f.Name)
				if f.NotLoaded {
					b.WriteString(" (not loaded)")
				}
				b.WriteByte('\n')
			case FeatureDepends:
				b.WriteString("        " + f.Name + "\n")
			case FeatureSoftDepends:
				b.WriteString("        " + f.Name + " (soft)\n")
			}
		}
	}
	p.print(b.String())
}
