package vici

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
)

// The credential commands (vici_cred.c). Shared keys go into a credential
// set of their own beside stroke's; certificates and private keys need a
// CertStore.

func (p *Plugin) registerCred() {
	p.srv.Command("clear-creds", p.clearCreds)
	p.srv.Command("flush-certs", p.flushCerts)
	p.srv.Command("load-cert", p.loadCert)
	p.srv.Command("load-key", p.loadKey)
	p.srv.Command("unload-key", p.unloadKey)
	p.srv.Command("get-keys", p.getKeys)
	p.srv.Command("load-token", p.loadToken)
	p.srv.Command("load-shared", p.loadShared)
	p.srv.Command("unload-shared", p.unloadShared)
	p.srv.Command("get-shared", p.getShared)
}

var certTypeNames = []string{"ANY", "X509", "X509_CRL", "OCSP_REQUEST", "OCSP_RESPONSE", "X509_AC", "PUBKEY",
	"PKCS10_REQUEST", "PGP"}

var x509FlagNames = []string{"NONE", "CA", "AA", "OCSP", "ANY"}

// enumName is enum_from_name: the name as the enum spells it, matched
// without regard to case.
func enumName(names []string, s string) (string, bool) {
	for _, n := range names {
		if strings.EqualFold(n, s) {
			return n, true
		}
	}
	return "", false
}

// legacyCertTypes is vici_cert_info.c: swanctl's directory names as types.
var legacyCertTypes = map[string][2]string{
	"x509": {"X509", "NONE"}, "x509ca": {"X509", "CA"}, "x509ocsp": {"X509", "OCSP"},
	"x509aa": {"X509", "AA"}, "x509ac": {"X509_AC", "NONE"}, "x509crl": {"X509_CRL", "NONE"},
	"pubkey": {"PUBKEY", "NONE"},
}

func legacyCertType(s string) (typ, flag string, ok bool) {
	t, ok := legacyCertTypes[strings.ToLower(s)]
	return t[0], t[1], ok
}

func (p *Plugin) loadCert(r *Request) []byte {
	str, ok := r.Msg.Str("type")
	if !ok {
		return reply("certificate type missing")
	}
	typ, flag := "", "NONE"
	if t, ok := enumName(certTypeNames, str); ok {
		typ = t
		if typ == "X509" {
			fs := r.Msg.StrDefault("flag", "NONE")
			if flag, ok = enumName(x509FlagNames, fs); !ok {
				return reply("invalid certificate flag '%s'", fs)
			}
		}
	} else if typ, flag, ok = legacyCertType(str); !ok {
		return reply("invalid certificate type '%s'", str)
	}
	data, ok := r.Msg.Value("data")
	if !ok || len(data) == 0 {
		return reply("certificate data missing")
	}
	certs := p.deps.Features.Certs
	if certs == nil {
		return reply("parsing %s certificate failed: %s", typ, whyCerts)
	}
	subject, err := certs.LoadCert(typ, flag, data)
	if subject != "" {
		p.logf(bus.Control, "loaded certificate '%s'", subject)
	}
	if err != nil {
		if subject != "" {
			p.logf(bus.Control, "  %s", err)
		}
		return reply("%s", err.Error())
	}
	return reply("")
}

var keyTypeNames = []string{"ANY", "RSA", "ECDSA", "DSA", "ED25519", "ED448", "BLISS"}

func (p *Plugin) loadKey(r *Request) []byte {
	str, ok := r.Msg.Str("type")
	if !ok {
		return reply("key type missing")
	}
	typ, ok := enumName(keyTypeNames, str)
	if !ok {
		return reply("invalid key type: %s", str)
	}
	data, ok := r.Msg.Value("data")
	if !ok || len(data) == 0 {
		return reply("key data missing")
	}
	certs := p.deps.Features.Certs
	if certs == nil {
		return reply("parsing %s private key failed: private keys over vici are not supported by goswan yet", typ)
	}
	keyid, err := certs.LoadKey(typ, data)
	if err != nil {
		return reply("%s", err.Error())
	}
	p.logf(bus.Control, "loaded %s private key", typ)
	b := NewBuilder()
	b.KV("success", "yes")
	b.KV("id", hex.EncodeToString(keyid))
	return p.finish(b)
}

// fromHex is chunk_from_hex: pairs of hex digits, a ':' or other non-hex
// separator skipped.
func fromHex(s string) []byte {
	var out []byte
	var cur byte
	half := false
	for i := 0; i < len(s); i++ {
		v, ok := hexDigit(s[i])
		if !ok {
			continue
		}
		if half {
			out = append(out, cur<<4|v)
		} else {
			cur = v
		}
		half = !half
	}
	return out
}

func hexDigit(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

func (p *Plugin) unloadKey(r *Request) []byte {
	s, ok := r.Msg.Str("id")
	if !ok {
		return reply("key id missing")
	}
	keyid := fromHex(s)
	p.logf(bus.Control, "unloaded private key with id %s", hex.EncodeToString(keyid))
	if certs := p.deps.Features.Certs; certs != nil && certs.UnloadKey(keyid) {
		return reply("")
	}
	return reply("key not found")
}

func (p *Plugin) getKeys(*Request) []byte {
	b := NewBuilder()
	b.BeginList("keys")
	if certs := p.deps.Features.Certs; certs != nil {
		for _, id := range certs.KeyIDs() {
			b.Item(hex.EncodeToString(id))
		}
	}
	b.EndList()
	return p.finish(b)
}

// loadToken answers as charon without the pkcs11 plugin: goswan has no
// PKCS#11 support, so no key can come from a token.
func (p *Plugin) loadToken(r *Request) []byte {
	if _, ok := r.Msg.Str("handle"); !ok {
		return reply("keyid missing")
	}
	return reply("loading private key from token failed")
}

func (p *Plugin) loadShared(r *Request) []byte {
	unique, hasUnique := r.Msg.Str("id")
	str, ok := r.Msg.Str("type")
	if !ok {
		return reply("shared key type missing")
	}
	var typ credentials.SharedKeyType
	switch strings.ToLower(str) {
	case "ike":
		typ = credentials.SharedIKE
	case "eap", "xauth":
		typ = credentials.SharedEAP
	case "ntlm":
		typ = credentials.SharedNTHash
	case "ppk":
		typ = credentials.SharedPPK
	default:
		return reply("invalid shared key type: %s", str)
	}
	data, ok := r.Msg.Value("data")
	if !ok || len(data) == 0 {
		return reply("shared key data missing")
	}
	var owners []*credentials.Identity
	for _, e := range r.Msg.Elements {
		if e.Kind != List || e.Name != "owners" {
			continue
		}
		for _, it := range e.Items {
			s, ok := stringify(it, 256)
			if !ok {
				return reply("parsing shared key owners failed")
			}
			owners = append(owners, credentials.ParseIdentity(s))
		}
	}
	if len(owners) == 0 {
		owners = []*credentials.Identity{credentials.ParseIdentity("%any")}
	}
	var names strings.Builder
	for _, o := range owners {
		if names.Len() > 0 {
			names.WriteString(", ")
		}
		fmt.Fprintf(&names, "'%s'", o)
	}
	if hasUnique {
		p.logf(bus.Control, "loaded %s shared key with id '%s' for: %s", typ, unique, names.String())
	} else {
		p.logf(bus.Control, "loaded %s shared key for: %s", typ, names.String())
	}
	key := &credentials.SharedKey{Type: typ, Secret: credentials.Secret(append([]byte(nil), data...)), Owners: owners}
	p.shared.AddUnique(unique, key)
	return reply("")
}

func (p *Plugin) unloadShared(r *Request) []byte {
	unique, ok := r.Msg.Str("id")
	if !ok {
		return reply("unique identifier missing")
	}
	p.logf(bus.Control, "unloaded shared key with id '%s'", unique)
	p.shared.RemoveUnique(unique)
	return reply("")
}

func (p *Plugin) getShared(*Request) []byte {
	b := NewBuilder()
	b.BeginList("keys")
	for _, id := range p.shared.UniqueIDs() {
		b.Item(id)
	}
	b.EndList()
	return p.finish(b)
}

func (p *Plugin) clearCreds(*Request) []byte {
	p.shared.Clear()
	if certs := p.deps.Features.Certs; certs != nil {
		certs.Clear()
		certs.Flush("ANY")
	}
	return reply("")
}

func (p *Plugin) flushCerts(r *Request) []byte {
	typ := "ANY"
	if str, ok := r.Msg.Str("type"); ok {
		t, ok := enumName(certTypeNames, str)
		if !ok {
			if t, _, ok = legacyCertType(str); !ok {
				return reply("invalid certificate type '%s'", str)
			}
		}
		typ = t
	}
	// Without certificate support there is no cache to flush.
	if certs := p.deps.Features.Certs; certs != nil {
		certs.Flush(typ)
	}
	return reply("")
}
