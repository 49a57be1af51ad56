package daemon

import (
	"context"
	"os"
	"path/filepath"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/confparse/secrets"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// The certificate directories of ipsec.d that charon's stroke plugin reads.
const (
	caCertDir   = "/etc/ipsec.d/cacerts"
	aaCertDir   = "/etc/ipsec.d/aacerts"
	ocspCertDir = "/etc/ipsec.d/ocspcerts"
	attrCertDir = "/etc/ipsec.d/acerts"
	crlDir      = "/etc/ipsec.d/crls"
)

// strokeCred loads ipsec.secrets into the credential store (the stroke
// plugin's stroke_cred.c). Shared secrets (PSK, EAP, XAUTH) are what goswan
// authenticates with; certificates and private keys are reported and
// skipped.
type strokeCred struct {
	d    *Daemon
	file string
}

var _ stroke.Credentials = (*strokeCred)(nil)

func newStrokeCred(d *Daemon) *strokeCred {
	return &strokeCred{d: d, file: d.Settings().Str("charon.plugins.stroke.secrets_file", secrets.DefaultPath)}
}

func (c *strokeCred) log(l bus.Level, format string, args ...any) {
	c.d.bus.Log(0, nil, bus.CFG, l, format, args...)
}

// loadAll is what the plugin does when it loads: certificates, then
// secrets.
func (c *strokeCred) loadAll() {
	c.log(bus.Control, "loading ca certificates from '%s'", caCertDir)
	c.certDir(caCertDir, "ca certificate")
	c.log(bus.Control, "loading aa certificates from '%s'", aaCertDir)
	c.certDir(aaCertDir, "AA certificate")
	c.log(bus.Control, "loading ocsp signer certificates from '%s'", ocspCertDir)
	c.certDir(ocspCertDir, "certificate")
	c.log(bus.Control, "loading attribute certificates from '%s'", attrCertDir)
	c.certDir(attrCertDir, "attribute certificate")
	c.log(bus.Control, "loading crls from '%s'", crlDir)
	c.certDir(crlDir, "crl")
	c.loadSecrets(nil)
}

// certDir reports each file of a certificate directory as not loaded:
// goswan has no X.509 support yet, and an operator must see that rather
// than find the certificate silently ignored.
func (c *strokeCred) certDir(dir, what string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !os.IsNotExist(err) {
			c.log(bus.Control, "  reading directory failed")
		}
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() {
			c.log(bus.Control, "  loading %s from '%s' failed", what, filepath.Join(dir, e.Name()))
		}
	}
}

// loadSecrets reads ipsec.secrets and replaces the shared keys with what
// it holds, logging each entry as charon does. out, when not nil, is the
// stroke client to ask for %prompt secrets (ipsec rereadsecrets).
func (c *strokeCred) loadSecrets(out *stroke.Reply) {
	c.log(bus.Control, "loading secrets from '%s'", c.file)
	sec, err := secrets.Load(c.file, nil)
	if sec == nil {
		c.log(bus.Control, "opening secrets file '%s' failed: %v", c.file, err)
		return
	}
	announced := map[string]bool{c.file: true}
	var keys []*credentials.SharedKey
	for _, e := range sec.Entries {
		if f := e.Pos.File; f != "" && !announced[f] {
			announced[f] = true
			c.log(bus.Control, "loading secrets from '%s'", f)
		}
		k := e.SharedKey()
		if k == nil {
			c.log(bus.Control, "  loading private key from '%s' failed", e.File)
			continue
		}
		if k.Type != credentials.SharedIKE && k.Type != credentials.SharedEAP {
			c.log(bus.Control, "line %d: %s secrets are not supported", e.Pos.Line, e.Kind)
			k.Wipe()
			continue
		}
		if e.Prompt {
			if out == nil {
				c.log(bus.Control, "line %d: %%prompt secrets can only be loaded with ipsec rereadsecrets", e.Pos.Line)
				k.Wipe()
				continue
			}
			answer, err := out.Prompt("Passphrase:")
			if err != nil {
				k.Wipe()
				continue
			}
			k.Wipe()
			k.Secret = credentials.Secret(answer)
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
}

// Reread implements stroke.Credentials (ipsec rereadsecrets, rereadall).
func (c *strokeCred) Reread(_ context.Context, flags stroke.RereadFlags, out *stroke.Reply) {
	if flags&stroke.RereadSecrets != 0 {
		c.log(bus.Control, "rereading secrets")
		c.loadSecrets(out)
	}
	dirs := []struct {
		flag      stroke.RereadFlags
		what, dir string
	}{
		{stroke.RereadCACerts, "ca certificates", caCertDir},
		{stroke.RereadAACerts, "aa certificates", aaCertDir},
		{stroke.RereadOCSPCerts, "ocsp signer certificates", ocspCertDir},
		{stroke.RereadACerts, "attribute certificates", attrCertDir},
		{stroke.RereadCRLs, "crls", crlDir},
	}
	for _, x := range dirs {
		if flags&x.flag != 0 {
			c.log(bus.Control, "rereading %s from '%s'", x.what, x.dir)
			c.certDir(x.dir, x.what)
		}
	}
}

// CacheCRLs implements stroke.Credentials (config setup's cachecrls=yes):
// CRLs need certificates, which goswan does not load yet.
func (c *strokeCred) CacheCRLs(_ context.Context, enabled bool) {
	if enabled {
		c.log(bus.Control, "cachecrls=yes needs %s, which goswan does not do yet; ignored", feature.Certificates)
	}
}

// FlushCache implements stroke.Credentials: goswan caches no OCSP
// responses, CRLs or certificates.
func (c *strokeCred) FlushCache(context.Context, stroke.PurgeFlags) {}

// Export implements stroke.Credentials: there are no certificates to
// export.
func (c *strokeCred) Export(context.Context, stroke.ExportFlags, stroke.Str, *stroke.Reply) {}

// durationMS converts charon's millisecond settings.
func durationMS(ms int) time.Duration { return time.Duration(max(ms, 0)) * time.Millisecond }
