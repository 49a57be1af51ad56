package daemon

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/confparse/secrets"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// DefaultIPsecDir is charon's IPSEC_CONFDIR/ipsec.d.
const DefaultIPsecDir = "/etc/ipsec.d"

// The directories of ipsec.d that charon's stroke plugin reads.
func (d *Daemon) ipsecD(sub string) string {
	dir := d.ipsecDir
	if dir == "" {
		dir = DefaultIPsecDir
	}
	return filepath.Join(dir, sub)
}

// strokeCred loads certificates, CRLs and ipsec.secrets into the
// credential sets (the stroke plugin's stroke_cred.c): CA, AA and OCSP
// signer certificates and CRLs from ipsec.d, shared secrets and private
// keys (RSA, ECDSA, PKCS8, P12, encrypted ones opened with the passphrase
// given or asked for) from the secrets file.
type strokeCred struct {
	d    *Daemon
	file string
	// forceCA treats every certificate in cacerts and ca sections as a
	// CA (ignore_missing_ca_basic_constraint).
	forceCA bool
}

var _ stroke.Credentials = (*strokeCred)(nil)

func newStrokeCred(d *Daemon) *strokeCred {
	s := d.Settings()
	c := &strokeCred{
		d:       d,
		file:    s.Str("charon.plugins.stroke.secrets_file", secrets.DefaultPath),
		forceCA: s.Bool("charon.plugins.stroke.ignore_missing_ca_basic_constraint", false),
	}
	d.certs.OnCacheCRL = c.writeCRL
	if s.Bool("charon.cache_crls", false) {
		c.CacheCRLs(context.Background(), true)
	}
	return c
}

func (c *strokeCred) log(l bus.Level, format string, args ...any) {
	c.d.bus.Log(0, nil, bus.CFG, l, format, args...)
}

func (c *strokeCred) logLib(format string, args ...any) {
	c.d.bus.Log(0, nil, bus.LIB, bus.Control, format, args...)
}

// credLog routes the credential layer's lines logged outside an IKE_SA.
func (c *strokeCred) credLog(g credentials.LogGroup, level int, format string, args ...any) {
	grp := bus.CFG
	switch g {
	case credentials.LogLIB:
		grp = bus.LIB
	case credentials.LogASN:
		grp = bus.ASN
	case credentials.LogIKE:
		grp = bus.IKE
	}
	c.d.bus.Log(0, nil, grp, bus.Level(level), format, args...)
}

// loadAll is what the plugin does when it loads: certificates, then
// secrets.
func (c *strokeCred) loadAll() {
	c.log(bus.Control, "loading ca certificates from '%s'", c.d.ipsecD("cacerts"))
	c.d.certs.ReplaceCACerts(c.caDir())
	c.log(bus.Control, "loading aa certificates from '%s'", c.d.ipsecD("aacerts"))
	for _, a := range c.aaDir() {
		c.d.certs.AddAACert(a)
	}
	c.log(bus.Control, "loading ocsp signer certificates from '%s'", c.d.ipsecD("ocspcerts"))
	c.ocspDir()
	c.log(bus.Control, "loading attribute certificates from '%s'", c.d.ipsecD("acerts"))
	c.attrDir()
	c.log(bus.Control, "loading crls from '%s'", c.d.ipsecD("crls"))
	c.loadCRLDir()
	c.loadSecrets(nil)
}

// readFile reads a credential file, logging as charon's pem plugin when
// it cannot be opened.
func (c *strokeCred) readFile(path string) ([]byte, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		c.logLib("  opening '%s' failed: %s", path, errnoText(err))
		return nil, false
	}
	return data, true
}

// errnoText prints an error as strerror does ("No such file or
// directory"), capitalised as glibc's messages are.
func errnoText(err error) string {
	s := err.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// parseCertFile reads a PEM or DER certificate with extra flags.
func (c *strokeCred) parseCertFile(path string, flags credentials.CertFlags) *credentials.Certificate {
	cert := c.certFromFile(path, flags)
	if cert == nil {
		c.d.logBuildFailed(buildCertX509)
	}
	return cert
}

func (c *strokeCred) certFromFile(path string, flags credentials.CertFlags) *credentials.Certificate {
	data, ok := c.readFile(path)
	if !ok {
		return nil
	}
	der, _, err := credentials.Unarmor(data, nil)
	if err != nil {
		c.logLib("  %v", err)
		return nil
	}
	cert, err := c.d.certs.ParseCertificate(der, flags, c.credLog)
	if err != nil {
		c.d.bus.Log(0, nil, bus.ASN, bus.Diag, "  %v", err)
		return nil
	}
	return cert
}

// loadCACert loads a CA certificate (cacerts, ca sections): a certificate
// without CA basic constraint is discarded unless forced.
func (c *strokeCred) loadCACert(path, name string) *credentials.Certificate {
	var flags credentials.CertFlags
	if c.forceCA {
		flags = credentials.CertCA
	}
	cert := c.parseCertFile(path, flags)
	if cert == nil {
		return nil
	}
	if cert.Flags()&credentials.CertCA == 0 {
		c.log(bus.Control, "  ca certificate \"%s\" lacks ca basic constraint, discarded", cert.Subject())
		return nil
	}
	c.log(bus.Control, "  loaded ca certificate \"%s\" from '%s'", cert.Subject(), name)
	return cert
}

// dirFiles lists the regular files of a directory in readdir's order, as
// charon's directory enumerator, or logs that it could not be read.
func (c *strokeCred) dirFiles(dir string) []string {
	names, err := readdirNames(dir)
	if err != nil {
		c.logLib("opening directory '%s' failed: %s", dir, errnoText(unwrapPathError(err)))
		c.log(bus.Control, "  reading directory failed")
		return nil
	}
	var out []string
	for _, name := range names {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			out = append(out, p)
		}
	}
	return out
}

func (c *strokeCred) caDir() []*credentials.Certificate {
	var out []*credentials.Certificate
	for _, p := range c.dirFiles(c.d.ipsecD("cacerts")) {
		cert := c.loadCACert(p, p)
		if cert == nil {
			c.log(bus.Control, "  loading ca certificate from '%s' failed", p)
			continue
		}
		out = append(out, c.d.certs.CACertRef(cert))
	}
	return out
}

func (c *strokeCred) aaDir() []*credentials.Certificate {
	var out []*credentials.Certificate
	for _, p := range c.dirFiles(c.d.ipsecD("aacerts")) {
		cert := c.parseCertFile(p, credentials.CertAA)
		if cert == nil {
			c.log(bus.Control, "  loading AA certificate from '%s' failed", p)
			continue
		}
		c.log(bus.Control, "  loaded AA certificate \"%s\" from '%s'", cert.Subject(), p)
		out = append(out, cert)
	}
	return out
}

func (c *strokeCred) ocspDir() {
	for _, p := range c.dirFiles(c.d.ipsecD("ocspcerts")) {
		cert := c.parseCertFile(p, credentials.CertOCSPSigner)
		if cert == nil {
			c.log(bus.Control, "  loading certificate from '%s' failed", p)
			continue
		}
		c.log(bus.Control, "  loaded certificate \"%s\" from '%s'", cert.Subject(), p)
		c.d.certs.AddCert(cert, true)
	}
}

// attrDir reports attribute certificates as not loaded: goswan does not
// read them (charon's acert plugin authorizes with their groups).
func (c *strokeCred) attrDir() {
	for _, p := range c.dirFiles(c.d.ipsecD("acerts")) {
		c.log(bus.Control, "  loading attribute certificate from '%s' failed", p)
	}
}

func (c *strokeCred) loadCRLDir() {
	for _, p := range c.dirFiles(c.d.ipsecD("crls")) {
		data, ok := c.readFile(p)
		var crl *credentials.CRL
		if ok {
			der, _, err := credentials.Unarmor(data, nil)
			if err != nil {
				c.logLib("  %v", err)
			} else if crl, err = credentials.ParseCRL(der); err != nil {
				c.d.bus.Log(0, nil, bus.ASN, bus.Diag, "  %v", err)
			}
		}
		if crl == nil {
			c.d.logBuildFailed(buildCertCRL)
			c.log(bus.Control, "  loading crl from '%s' failed", p)
			continue
		}
		c.log(bus.Control, "  loaded crl from '%s'", p)
		c.d.certs.AddCRL(crl, c.credLog)
	}
}

// LoadPeerCert loads leftcert/rightcert (stroke_cred load_peer): relative
// names are in ipsec.d/certs. The certificate joins the trusted set.
func (c *strokeCred) LoadPeerCert(name string) *credentials.Certificate {
	path := name
	if !filepath.IsAbs(name) {
		path = filepath.Join(c.d.ipsecD("certs"), name)
	}
	cert := c.certFromFile(path, 0)
	if cert == nil {
		c.d.logBuildFailed(buildCertAny)
		c.log(bus.Control, "  loading certificate from '%s' failed", name)
		return nil
	}
	cert = c.d.certs.AddCert(cert, true)
	c.log(bus.Control, "  loaded certificate \"%s\" from '%s'", cert.Subject(), name)
	return cert
}
