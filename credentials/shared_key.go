package credentials

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// SharedKeyType says what a shared secret is for (shared_key_type_t).
type SharedKeyType int

const (
	SharedAny            SharedKeyType = iota // SHARED_ANY: in a lookup, any type
	SharedIKE                                 // SHARED_IKE: IKE pre-shared key (PSK)
	SharedEAP                                 // SHARED_EAP: EAP and XAUTH passwords
	SharedPrivateKeyPass                      // SHARED_PRIVATE_KEY_PASS: private key passphrase
	SharedPIN                                 // SHARED_PIN: smartcard PIN
	SharedNTHash                              // SHARED_NT_HASH: NTLM hash (NTLM secrets)
	SharedPPK                                 // SHARED_PPK: postquantum preshared key
)

var sharedKeyTypeNames = [...]string{"ANY", "IKE", "EAP", "PRIVATE_KEY_PASS", "PIN", "NTLM", "PPK"}

// String is charon's name for the type, as in "loaded IKE secret for ...".
func (t SharedKeyType) String() string {
	if t >= 0 && int(t) < len(sharedKeyTypeNames) {
		return sharedKeyTypeNames[t]
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}

// Secret is the key material of a shared key. It formats as "<secret>"
// with every fmt verb, so printing a key or a struct holding one never
// shows it; use the bytes directly where they are needed.
type Secret []byte

// Format redacts the secret.
func (Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, "<secret>") }

// SharedKey is a secret and the identities that share it, one entry of
// ipsec.secrets. An entry without owners belongs to %any.
type SharedKey struct {
	Type   SharedKeyType
	Secret Secret
	Owners []*Identity
	// Selectors is the owner text as the secrets file wrote it
	// ("@moon.strongswan.org @sun.strongswan.org"), kept because charon logs
	// that text rather than the parsed identities; empty for "%any".
	Selectors string
}

// NewSharedKey makes a key from owner strings, each parsed with
// ParseIdentity; with no owners the key belongs to %any, as a secrets line
// without selectors does.
func NewSharedKey(t SharedKeyType, secret []byte, owners ...string) *SharedKey {
	k := &SharedKey{Type: t, Secret: secret, Selectors: strings.Join(owners, " ")}
	for _, o := range owners {
		k.Owners = append(k.Owners, ParseIdentity(o))
	}
	if len(k.Owners) == 0 {
		k.Owners = []*Identity{anyIdentity}
	}
	return k
}

// OwnersText renders the owners the way charon's load message does: the
// selector text as written, else the owners as %Y separated by spaces, else
// "%any".
func (k *SharedKey) OwnersText() string {
	if k.Selectors != "" {
		return k.Selectors
	}
	if len(k.Owners) == 0 {
		return "%any"
	}
	parts := make([]string, len(k.Owners))
	for i, o := range k.Owners {
		parts[i] = o.String()
	}
	return strings.Join(parts, " ")
}

// String describes the key without its secret: "IKE secret for @moon @sun".
// Prefix "loaded " for charon's log line when secrets are (re)read.
func (k *SharedKey) String() string {
	if k == nil {
		return "(null)"
	}
	return k.Type.String() + " secret for " + k.OwnersText()
}

// Clone copies the key, secret included, so the copy can be wiped on its own.
func (k *SharedKey) Clone() *SharedKey {
	c := *k
	c.Secret = append(Secret(nil), k.Secret...)
	c.Owners = append([]*Identity(nil), k.Owners...)
	return &c
}

// Wipe overwrites the secret with zeros (best effort: Go may have copied
// it before, e.g. when it was converted from a string).
func (k *SharedKey) Wipe() {
	if k == nil {
		return
	}
	clear(k.Secret)
}

// sameEntry is charon's test for a repeated secrets entry: same type, same
// secret, and equal owners in the same order.
func sameEntry(a, b *SharedKey) bool {
	if a.Type != b.Type || string(a.Secret) != string(b.Secret) || len(a.Owners) != len(b.Owners) {
		return false
	}
	for i := range a.Owners {
		if !a.Owners[i].Equals(b.Owners[i]) {
			return false
		}
	}
	return true
}

// bestOwnerMatch is how well id matches the best of the key's owners.
func (k *SharedKey) bestOwnerMatch(id *Identity) MatchLevel {
	best := MatchNone
	for _, o := range k.Owners {
		if m := id.Matches(o); m > best {
			best = m
		}
	}
	return best
}
