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

// listClasses maps the algorithm table's transform types onto listalgs'
// classes; AEADs move from encryption to their own line.
var listClasses = []struct {
	t     crypto.TransformType
	class AlgorithmClass
}{
	{crypto.TransformEncryption, AlgEncryption},
	{crypto.TransformIntegrity, AlgIntegrity},
	{crypto.TransformHash, AlgHasher},
	{crypto.TransformPRF, AlgPRF},
	{crypto.TransformKDF, AlgKDF},
	{crypto.TransformKeyExchange, AlgKeyExchange},
	{crypto.TransformRNG, AlgRNG},
}

// RegisteredAlgorithms lists what goswan's crypto package implements, per
// listalgs class, in transform id order: the rows of crypto's algorithm
// table that have an implementation.
func RegisteredAlgorithms() [numAlgorithmClasses][]Algorithm {
	var out [numAlgorithmClasses][]Algorithm
	for _, c := range listClasses {
		for _, a := range crypto.Algorithms(c.t) {
			if !a.Supported() {
				continue
			}
			class := c.class
			if a.IsAEAD() {
				class = AlgAEAD
			}
			out[class] = append(out[class], Algorithm{a.Name, a.Provider})
		}
	}
	// Nonces come from the same CSPRNG; charon lists the generator by
	// plugin only.
	out[AlgNonceGen] = []Algorithm{{"", "crypto/rand"}}
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
