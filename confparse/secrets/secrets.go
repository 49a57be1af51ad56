// Package secrets reads ipsec.secrets as charon's stroke plugin does
// (libcharon/plugins/stroke/stroke_cred.c) and looks shared keys up as
// libstrongswan's credential manager does (credential_manager.c,
// mem_cred.c): the best match for both identities wins.
package secrets

import (
	"fmt"
	"strings"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/ident"
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

// SharedType is libstrongswan's shared_key_type_t.
type SharedType int

const (
	SharedAny            SharedType = 0
	SharedIKE            SharedType = 1 // PSK
	SharedEAP            SharedType = 2 // EAP and XAUTH
	SharedPrivateKeyPass SharedType = 3
	SharedPIN            SharedType = 4
	SharedNTHash         SharedType = 5 // NTLM
)

func (k Kind) shared() SharedType {
	switch k {
	case PSK:
		return SharedIKE
	case EAP, XAUTH:
		return SharedEAP
	case NTLM:
		return SharedNTHash
	}
	return SharedAny
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
	Owners []*ident.ID
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

// Type is the shared key type a shared secret is stored as.
func (s *Secret) Type() SharedType { return s.Kind.shared() }

// Redacted renders the line with the secret values hidden, for display.
func (s *Secret) Redacted() string {
	var owners []string
	for _, o := range s.Owners {
		owners = append(owners, o.String())
	}
	var b strings.Builder
	b.WriteString(strings.Join(owners, " "))
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
