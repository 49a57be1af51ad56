package daemon

import (
	"context"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// strokeCA holds the ca sections of ipsec.conf (stroke_ca.c): a CA
// certificate each, with the CRL and OCSP URIs to use for what it issued.
type strokeCA struct {
	d *Daemon
}

var _ stroke.CAs = (*strokeCA)(nil)

func (c *strokeCA) log(format string, args ...any) {
	c.d.bus.Log(0, nil, bus.CFG, bus.Control, format, args...)
}

// AddCA implements stroke.CAs: the section's certificate is loaded (from
// ipsec.d/cacerts if relative) and held with the section.
func (c *strokeCA) AddCA(_ context.Context, ca *stroke.AddCA) {
	if !ca.CACert.Valid {
		c.log("missing cacert parameter")
		return
	}
	cert := c.d.cred.loadCACert(c.caCertPath(ca.CACert.Value), ca.CACert.Value)
	if cert == nil {
		return
	}
	s := &credentials.CASection{Name: ca.Name.Value, Path: ca.CACert.Value, Cert: cert}
	for _, u := range []stroke.Str{ca.CRLURI, ca.CRLURI2} {
		if u.Valid {
			s.CRLURIs = append(s.CRLURIs, u.Value)
		}
	}
	for _, u := range []stroke.Str{ca.OCSPURI, ca.OCSPURI2} {
		if u.Valid {
			s.OCSPURIs = append(s.OCSPURIs, u.Value)
		}
	}
	if ca.CertURIBase.Valid {
		s.CertURIBase = ca.CertURIBase.Value
	}
	c.d.certs.AddCASection(s)
	c.log("added ca '%s'", ca.Name.Value)
}

// caCertPath resolves a cacert= value as charon does.
func (c *strokeCA) caCertPath(name string) string {
	if len(name) > 0 && name[0] == '/' {
		return name
	}
	return c.d.ipsecD("cacerts") + "/" + name
}

// DelCA implements stroke.CAs.
func (c *strokeCA) DelCA(_ context.Context, name stroke.Str) {
	if !c.d.certs.DelCASection(name.Value) {
		// charon's message carries a stray newline.
		c.log("no ca named '%s' found\n", name.Value)
	}
}

// reloadSections reloads the certificates of the ca sections before the
// cacerts directory is reread (stroke_ca reload_certs).
func (c *strokeCA) reloadSections() {
	sections := c.d.certs.CASections()
	if len(sections) > 0 {
		c.log("rereading ca certificates in ca sections")
	}
	for _, s := range sections {
		cert := c.d.cred.loadCACert(c.caCertPath(s.Path), s.Path)
		if cert == nil {
			c.log("failed to reload certificate '%s', removing ca '%s'", s.Path, s.Name)
		}
		c.d.certs.ReloadCASection(s.Name, cert)
	}
}

// ListCAInfos implements stroke.CAs (ipsec listcainfos, part of listall).
func (c *strokeCA) ListCAInfos(_ context.Context, _ bool, out *stroke.Reply) {
	writeCAInfos(out, c.d.certs.CASections())
}

func writeCAInfos(out interface{ Printf(string, ...any) }, sections []*credentials.CASection) {
	for i, s := range sections {
		if i == 0 {
			out.Printf("\nList of CA Information Sections:\n")
		}
		out.Printf("\n")
		out.Printf("  authname:    \"%s\"\n", s.Cert.Subject())
		out.Printf("  authkey:      %s\n", credentials.ColonHex(s.Cert.PublicKey().KeyID()))
		out.Printf("  keyid:        %s\n", credentials.ColonHex(s.Cert.PublicKey().InfoID()))
		listURIs(out, s.CRLURIs, "  crluris:     ")
		listURIs(out, s.OCSPURIs, "  ocspuris:    ")
		if s.CertURIBase != "" {
			out.Printf("  certuribase: '%s'\n", s.CertURIBase)
		}
	}
}

func listURIs(out interface{ Printf(string, ...any) }, uris []string, label string) {
	for i, u := range uris {
		if i == 0 {
			out.Printf("%s", label)
		} else {
			out.Printf("            ")
		}
		out.Printf("'%s'\n", u)
	}
}
