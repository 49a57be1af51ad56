package daemon

import (
	"context"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/confparse/secrets"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/stroke"
)

// The ipsec.secrets half of the stroke plugin's credentials (stroke_cred.c's
// load_secrets): shared keys and private keys, with passphrases.

// loadSecrets reads ipsec.secrets and replaces the shared keys and private
// keys with what it holds, logging each entry as charon does. out, when
// not nil, is the stroke client to ask for %prompt passphrases (ipsec
// rereadsecrets).
func (c *strokeCred) loadSecrets(out *stroke.Reply) {
	c.log(bus.Control, "loading secrets from '%s'", c.file)
	sec, err := secrets.Load(c.file, &secrets.Options{PrivateKeyDir: c.d.ipsecD("private")})
	if sec == nil {
		c.log(bus.Control, "opening secrets file '%s' failed: %v", c.file, err)
		return
	}
	announced := map[string]bool{c.file: true}
	var keys []*credentials.SharedKey
	var privs []*credentials.PrivateKey
	for _, e := range sec.Entries {
		if f := e.Pos.File; f != "" && !announced[f] {
			announced[f] = true
			c.log(bus.Control, "loading secrets from '%s'", f)
		}
		switch e.Kind {
		case secrets.RSA, secrets.ECDSA, secrets.PKCS8:
			if k := c.loadPrivate(e, out); k != nil {
				privs = append(privs, k)
			}
			continue
		case secrets.P12:
			privs = append(privs, c.loadPKCS12(e, out)...)
			continue
		}
		k := e.SharedKey()
		if k == nil {
			c.log(bus.Control, "line %d: %s secrets are not supported", e.Pos.Line, e.Kind)
			continue
		}
		if k.Type != credentials.SharedIKE && k.Type != credentials.SharedEAP {
			c.log(bus.Control, "line %d: %s secrets are not supported", e.Pos.Line, e.Kind)
			k.Wipe()
			continue
		}
		c.log(bus.Control, "  loaded %s secret for %s", k.Type, k.OwnersText())
		keys = append(keys, k)
	}
	for _, p := range sec.Problems {
		if p.Pos.Line > 0 {
			c.log(bus.Control, "line %d: %s", p.Pos.Line, p.Msg)
		} else {
			c.log(bus.Control, "%s", p.Msg)
		}
	}
	c.d.creds.Replace(keys)
	c.d.certs.ReplaceKeys(privs)
}

// passphrases are the passphrases to try for an entry: those written in
// the secrets file, or, for %prompt, what the user types at the stroke
// client, three tries at most (stroke_cred passphrase_cb). Without a
// client a %prompt entry has none.
func (c *strokeCred) passphrases(e *secrets.Secret, out *stroke.Reply, what string) credentials.Passphrases {
	if !e.Prompt {
		return credentials.StaticPassphrases(e.Passphrases...)
	}
	if out == nil {
		return nil
	}
	try := 0
	return func() ([]byte, bool) {
		try++
		if try > 4 {
			return nil, false
		}
		if try > 3 {
			out.Printf("Passphrase invalid, giving up.\n")
			return nil, false
		}
		if try > 1 {
			out.Printf("Passphrase invalid!\n")
		}
		out.Printf("%s '%s' is encrypted.\n", what, e.File)
		answer, err := out.Prompt("Passphrase:")
		if err != nil || answer == "" {
			return nil, false
		}
		return []byte(answer), true
	}
}

func keyTypeOf(k secrets.Kind) credentials.KeyType {
	switch k {
	case secrets.RSA:
		return credentials.KeyRSA
	case secrets.ECDSA:
		return credentials.KeyECDSA
	}
	return credentials.KeyAny
}

// loadPrivate loads the key of an RSA, ECDSA or PKCS8 line.
func (c *strokeCred) loadPrivate(e *secrets.Secret, out *stroke.Reply) *credentials.PrivateKey {
	var k *credentials.PrivateKey
	if data, ok := c.readFile(e.File); ok {
		var err error
		k, err = credentials.ParsePrivateKey(data, keyTypeOf(e.Kind), c.passphrases(e, out, "Private key"))
		if err != nil {
			c.logKeyError(err)
		}
	}
	if k == nil {
		switch e.Kind {
		case secrets.RSA:
			c.d.logBuildFailed(buildPrivRSA)
		case secrets.ECDSA:
			c.d.logBuildFailed(buildPrivECDSA)
		default:
			c.d.logBuildFailed(buildPrivAny)
		}
		c.log(bus.Control, "  loading private key from '%s' failed", e.File)
		return nil
	}
	c.log(bus.Control, "  loaded %s private key from '%s'", k.Type(), e.File)
	return k
}

// loadPKCS12 loads a P12 line: its certificates join the trusted set, its
// keys are returned.
func (c *strokeCred) loadPKCS12(e *secrets.Secret, out *stroke.Reply) []*credentials.PrivateKey {
	var p *credentials.PKCS12
	if data, ok := c.readFile(e.File); ok {
		var err error
		p, err = credentials.ParsePKCS12(data, c.passphrases(e, out, "PKCS#12 file"))
		if err != nil {
			c.logKeyError(err)
		}
	}
	if p == nil {
		c.d.logBuildFailed(buildContPKCS12)
		c.log(bus.Control, "  loading credentials from '%s' failed", e.File)
		return nil
	}
	parser := c.d.certs.Options().Parser
	for _, cert := range p.Certs {
		cert, err := cert.As(parser, c.credLog)
		if err != nil {
			continue
		}
		if cert.Flags()&credentials.CertCA != 0 {
			c.log(bus.Control, "  loaded ca certificate \"%s\" from '%s'", cert.Subject(), e.File)
		} else {
			c.log(bus.Control, "  loaded certificate \"%s\" from '%s'", cert.Subject(), e.File)
		}
		c.d.certs.AddCert(cert, true)
	}
	for _, k := range p.Keys {
		c.log(bus.Control, "  loaded %s private key from '%s'", k.Type(), e.File)
	}
	return p.Keys
}

// Reread implements stroke.Credentials (ipsec rereadsecrets, rereadall,
// rereadcacerts, rereadcrls and the others).
func (c *strokeCred) Reread(_ context.Context, flags stroke.RereadFlags, out *stroke.Reply) {
	if flags&stroke.RereadSecrets != 0 {
		c.log(bus.Control, "rereading secrets")
		c.loadSecrets(out)
	}
	if flags&stroke.RereadCACerts != 0 {
		c.d.ca.reloadSections()
		c.log(bus.Control, "rereading ca certificates from '%s'", c.d.ipsecD("cacerts"))
		c.d.certs.ReplaceCACerts(c.caDir())
	}
	if flags&stroke.RereadAACerts != 0 {
		c.log(bus.Control, "rereading aa certificates from '%s'", c.d.ipsecD("aacerts"))
		c.d.certs.ReplaceAACerts(c.aaDir())
	}
	if flags&stroke.RereadOCSPCerts != 0 {
		c.log(bus.Control, "rereading ocsp signer certificates from '%s'", c.d.ipsecD("ocspcerts"))
		c.ocspDir()
	}
	if flags&stroke.RereadACerts != 0 {
		c.log(bus.Control, "rereading attribute certificates from '%s'", c.d.ipsecD("acerts"))
		c.attrDir()
	}
	if flags&stroke.RereadCRLs != 0 {
		c.log(bus.Control, "rereading crls from '%s'", c.d.ipsecD("crls"))
		c.loadCRLDir()
	}
}

// CacheCRLs implements stroke.Credentials (config setup cachecrls).
func (c *strokeCred) CacheCRLs(_ context.Context, enabled bool) {
	state := "disabled"
	if enabled {
		state = "enabled"
	}
	c.log(bus.Control, "crl caching to %s %s", c.d.ipsecD("crls"), state)
	c.d.certs.SetCacheCRLs(enabled)
}

// writeCRL stores a fetched CRL in ipsec.d/crls named by its authority key
// identifier, as charon's cache_cert does.
func (c *strokeCred) writeCRL(crl *credentials.CRL, log credentials.LogFunc) {
	name := hexString(crl.AuthorityKeyID())
	if crl.IsDelta() {
		name += "_delta"
	}
	path := filepath.Join(c.d.ipsecD("crls"), name+".crl")
	if err := writeFileUmask(path, crl.Raw()); err != nil {
		log(credentials.LogCFG, 1, "  writing crl file '%s' failed: %s", path, errnoText(unwrapPathError(err)))
		return
	}
	log(credentials.LogCFG, 1, "  written crl file '%s' (%d bytes)", path, len(crl.Raw()))
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// writeFileUmask writes a file readable by all (charon's chunk_write with
// mask 022), replacing it.
func writeFileUmask(path string, data []byte) error {
	return os.WriteFile(path, data, 0o644)
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// FlushCache implements stroke.Credentials (ipsec purgecerts, purgecrls,
// purgeocsp).
func (c *strokeCred) FlushCache(_ context.Context, flags stroke.PurgeFlags) {
	if flags&stroke.PurgeCerts != 0 {
		c.d.certs.PurgeCerts()
	}
	if flags&stroke.PurgeCRLs != 0 {
		c.d.certs.PurgeCRLs()
	}
	if flags&stroke.PurgeOCSP != 0 {
		c.d.certs.PurgeOCSP()
	}
}

// durationMS converts charon's millisecond settings.
func durationMS(ms int) time.Duration { return time.Duration(max(ms, 0)) * time.Millisecond }

// Export implements stroke.Credentials (ipsec exportcert and the
// connection certificate exports): certificates as PEM.
func (c *strokeCred) Export(_ context.Context, flags stroke.ExportFlags, selector stroke.Str, out *stroke.Reply) {
	if flags&stroke.ExportX509 != 0 {
		id := credentials.ParseIdentity(selector.Value)
		for _, cert := range c.d.certs.Certs(credentials.KeyAny, id) {
			out.Printf("%s", pemCert(cert))
		}
	}
	if flags&(stroke.ExportConnCert|stroke.ExportConnChain) != 0 {
		c.d.EachIKESA(true, func(ike *sa.IKESA) {
			if ike.Name() != selector.Value {
				return
			}
			for _, a := range ike.AuthCfgs(false) {
				if s := a.Subject(); s != nil {
					out.Printf("%s", pemCert(s))
				}
				if flags&stroke.ExportConnChain != 0 {
					for _, x := range append(append([]*credentials.Certificate(nil), a.IMCerts...), a.CACerts...) {
						out.Printf("%s", pemCert(x))
					}
				}
			}
		})
	}
}

func pemCert(c *credentials.Certificate) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw()})
}

// logKeyError logs why a key or container did not load, at the level
// charon's parsers log the same reasons.
func (c *strokeCred) logKeyError(err error) {
	switch {
	case errors.Is(err, credentials.ErrPKCS12MAC):
		c.d.bus.Log(0, nil, bus.ASN, bus.Control, "  %v", err)
	case err.Error() == "file coded in unknown format, discarded":
		c.logLib("  %v", err)
	default:
		c.d.bus.Log(0, nil, bus.ASN, bus.Diag, "  %v", err)
	}
}

// readdirNames is a directory's entries in the order the file system
// returns them (os.ReadDir would sort them by name).
func readdirNames(dir string) ([]string, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return f.Readdirnames(-1)
}
