// Package secrets reads ipsec.secrets as charon's stroke plugin does
// (libcharon/plugins/stroke/stroke_cred.c) and looks shared keys up as
// libstrongswan's credential manager does (credential_manager.c,
// mem_cred.c): the best match for both identities wins.
package secrets

import (
	"fmt"
	"strings"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/credentials"
)

// Kind is the TYPE word of a secrets line.
type Kind int

const (
	PSK Kind = iota
	EAP
	XAUTH
	NTLM
	RSA
	ECDSA
	BLISS
	PKCS8
	P12
	PIN
)

var kindNames = []string{"PSK", "EAP", "XAUTH", "NTLM", "RSA", "ECDSA", "BLISS", "PKCS8", "P12", "PIN"}

func (k Kind) String() string { return kindNames[k] }

func (k Kind) shared() credentials.SharedKeyType {
	switch k {
	case PSK:
		return credentials.SharedIKE
	case EAP, XAUTH:
		return credentials.SharedEAP
	case NTLM:
		return credentials.SharedNTHash
	}
	return credentials.SharedAny
}

// IsShared reports whether the kind is a shared secret (PSK, EAP, XAUTH,
// NTLM) rather than a key reference.
func (k Kind) IsShared() bool { return k <= NTLM }

// Secret is one line of ipsec.secrets.
type Secret struct {
	Pos  confparse.Position
	Kind Kind
	// Selectors is the text before the separator, as written.
	Selectors string
	// Owners are the identities in Selectors ("%any" when none is given).
	// strongSwan ignores them for private keys.
	Owners []*credentials.Identity
	// Key is the decoded shared secret, or the PIN.
	Key []byte

	// File is the key or PKCS#12 file, relative names resolved against the
	// private key directory (/etc/ipsec.d/private).
	File string
	// Passphrases unlock File: none, one, or two for PKCS#12 files that
	// use different ones for encryption and integrity.
	Passphrases [][]byte
	// Prompt is set for %prompt: charon asks on the stroke socket when
	// secrets are reloaded from `ipsec rereadsecrets`, and skips the
	// entry when it loads them without a terminal.
	Prompt bool
	// Smartcard is the %smartcard specifier of a PIN line.
	Smartcard string
}

// Type is the shared key type a shared secret is stored as (SharedAny for
// the kinds that are no shared secret).
func (s *Secret) Type() credentials.SharedKeyType { return s.Kind.shared() }

// SharedKey is a PSK, EAP, XAUTH or NTLM line as charon's credential set
// holds it, ready for credentials.Store: a copy of the secret (the store
// wipes its keys), the owners, and the selector text exactly as charon logs
// it ("loaded IKE secret for <Selectors>", blanks included). It is nil for
// the other kinds.
func (s *Secret) SharedKey() *credentials.SharedKey {
	if !s.Kind.IsShared() {
		return nil
	}
	return &credentials.SharedKey{
		Type:      s.Type(),
		Secret:    append(credentials.Secret(nil), s.Key...),
		Owners:    append([]*credentials.Identity(nil), s.Owners...),
		Selectors: s.Selectors,
	}
}

// Redacted renders the line with the secret values hidden, for display; it
// reads back as the same line but for the secrets.
func (s *Secret) Redacted() string {
	owners := strings.Trim(s.Selectors, " \t")
	if owners == "" {
		owners = "%any"
	}
	var b strings.Builder
	b.WriteString(owners)
	b.WriteString(" : ")
	b.WriteString(s.Kind.String())
	switch {
	case s.Kind.IsShared():
		fmt.Fprintf(&b, " <%d bytes>", len(s.Key))
	case s.Kind == PIN:
		fmt.Fprintf(&b, " %s", s.Smartcard)
		if s.Prompt {
			b.WriteString(" %prompt")
		} else {
			b.WriteString(" <PIN>")
		}
	default:
		fmt.Fprintf(&b, " %q", s.File)
		switch {
		case s.Prompt:
			b.WriteString(" %prompt")
		case len(s.Passphrases) > 0:
			fmt.Fprintf(&b, " <%d passphrase(s)>", len(s.Passphrases))
		}
	}
	return b.String()
}
