package daemon

import (
	"strings"
	"time"

	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/stroke"
)

// The certificate lists of ipsec listcerts, listcacerts, listocspcerts,
// listaacerts, listcrls, listocsp and listall, as charon's stroke_list.c
// list() with libstrongswan's certificate_printer in detailed mode.

// CertSource is what the certificate lists read; the daemon is one.
type CertSource interface {
	CertManager() *credentials.Manager
}

// CertManager implements CertSource.
func (d *Daemon) CertManager() *credentials.Manager { return d.certs }

// certPrinter is certificate_printer: it prints a caption when the kind
// of certificate changes, and each certificate after an empty line.
type certPrinter struct {
	p       *printer
	utc     bool
	now     time.Time
	caption string
}

func (c *certPrinter) printCaption(caption string) {
	if caption != c.caption {
		c.p.printf("\nList of %ss\n", caption)
		c.caption = caption
	}
	c.p.print("\n")
}

// validity prints the two validity lines of certificates, CRLs and OCSP
// responses.
func (c *certPrinter) validity(label, first, second string, from, until time.Time) {
	c.p.printf("  %s  %s %s, ", label, first, formatTime(from, c.utc))
	if c.now.Before(from) {
		c.p.printf("not valid yet (valid in %s)\n", formatDelta(from, c.now))
	} else {
		c.p.print("ok\n")
	}
	c.p.printf("             %s %s, ", second, formatTime(until, c.utc))
	if c.now.After(until) {
		c.p.printf("expired (%s ago)\n", formatDelta(c.now, until))
	} else {
		c.p.printf("ok (expires in %s)\n", formatDelta(until, c.now))
	}
}

func hexB(b []byte) string { return credentials.ColonHex(b) }

func skipZero(b []byte) []byte {
	for len(b) > 0 && b[0] == 0 {
		b = b[1:]
	}
	return b
}

func (c *certPrinter) printCert(cert *credentials.Certificate, hasKey bool) {
	p := c.p
	p.printf("  subject:  \"%s\"\n", cert.Subject())
	p.printf("  issuer:   \"%s\"\n", cert.Issuer())
	c.validity("validity:", "not before", "not after ", cert.NotBefore(), cert.NotAfter())
	p.printf("  serial:    %s\n", hexB(skipZero(cert.Serial())))
	if sans := cert.SubjectAltNames(); len(sans) > 0 {
		names := make([]string, len(sans))
		for i, s := range sans {
			names[i] = s.String()
		}
		p.printf("  altNames:  %s\n", strings.Join(names, ", "))
	}
	c.printFlags(cert.Flags())
	c.printURIs(cert)
	c.printConstraints(cert)
	c.printPolicies(cert)
	if cert.Flags()&credentials.CertIPAddrBlocks != 0 {
		// goswan does not read RFC 3779 address blocks.
		p.print("  addresses: \n")
	}
	if aki := cert.AuthorityKeyID(); aki != nil {
		p.printf("  authkeyId: %s\n", hexB(aki))
	}
	if ski := cert.SubjectKeyID(); ski != nil {
		p.printf("  subjkeyId: %s\n", hexB(ski))
	}
	c.printPubkey(cert.PublicKey(), hasKey)
}

func (c *certPrinter) printURIs(cert *credentials.Certificate) {
	p := c.p
	for i, cdp := range cert.CRLURIs() {
		if i == 0 {
			p.printf("  CRL URIs:  %s", cdp.URI)
		} else {
			p.printf("           %s", cdp.URI)
		}
		if cdp.Issuer != nil {
			p.printf(" (CRL issuer: %s)", cdp.Issuer)
		}
		p.print("\n")
	}
	for i, uri := range cert.OCSPURIs() {
		if i == 0 {
			p.printf("  OCSP URIs: %s\n", uri)
		} else {
			p.printf("           %s\n", uri)
		}
	}
}

func (c *certPrinter) printConstraints(cert *credentials.Certificate) {
	p := c.p
	if n := cert.PathLen(); n != credentials.NoConstraint {
		p.printf("  pathlen:   %d\n", n)
	}
	for _, permitted := range []bool{true, false} {
		for i, id := range cert.NameConstraints(permitted) {
			if i == 0 {
				if permitted {
					p.print("  permitted nameConstraints:\n")
				} else {
					p.print("  excluded nameConstraints:\n")
				}
			}
			p.printf("           %s\n", id)
		}
	}
}

func (c *certPrinter) printPolicies(cert *credentials.Certificate) {
	p := c.p
	for i, pol := range cert.Policies() {
		if i == 0 {
			p.print("  certificatePolicies:\n")
		}
		p.printf("             %s\n", pol.OID)
		if pol.CPSURI != "" {
			p.printf("             CPS: %s\n", pol.CPSURI)
		}
		if pol.UserNotice != "" {
			p.printf("             Notice: %s\n", pol.UserNotice)
		}
	}
	for i, m := range cert.PolicyMappings() {
		if i == 0 {
			p.print("  policyMappings:\n")
		}
		p.printf("           %s => %s\n", m.IssuerPolicy, m.SubjectPolicy)
	}
	explicit, inhibit, anyPol := cert.RequireExplicitPolicy(), cert.InhibitPolicyMapping(), cert.InhibitAnyPolicy()
	if explicit != credentials.NoConstraint || inhibit != credentials.NoConstraint || anyPol != credentials.NoConstraint {
		p.print("  policyConstraints:\n")
		if explicit != credentials.NoConstraint {
			p.printf("           requireExplicitPolicy: %d\n", explicit)
		}
		if inhibit != credentials.NoConstraint {
			p.printf("           inhibitPolicyMapping: %d\n", inhibit)
		}
		if anyPol != credentials.NoConstraint {
			p.printf("           inhibitAnyPolicy: %d\n", anyPol)
		}
	}
}

// printFlags prints the flags line; like charon it appears whenever any
// flag is set, the RFC 4945 compliance flag included, which has no word.
func (c *certPrinter) printFlags(f credentials.CertFlags) {
	if f == 0 {
		return
	}
	var b strings.Builder
	b.WriteString("  flags:     ")
	for _, x := range []struct {
		flag credentials.CertFlags
		word string
	}{
		{credentials.CertCA, "CA "}, {credentials.CertCRLSign, "CRLSign "},
		{credentials.CertOCSPSigner, "ocspSigning "}, {credentials.CertServerAuth, "serverAuth "},
		{credentials.CertClientAuth, "clientAuth "}, {credentials.CertIKEIntermediate, "ikeIntermediate "},
		{credentials.CertMSSmartcardLogon, "msSmartcardLogon"}, {credentials.CertSelfSigned, "self-signed "},
	} {
		if f&x.flag != 0 {
			b.WriteString(x.word)
		}
	}
	b.WriteString("\n")
	c.p.print(b.String())
}

func (c *certPrinter) printPubkey(k *credentials.PublicKey, hasKey bool) {
	c.p.printf("  pubkey:    %s %d bits", k.Type(), k.Bits())
	if hasKey {
		c.p.print(", has private key")
	}
	c.p.print("\n")
	c.p.printf("  keyid:     %s\n", hexB(k.InfoID()))
	c.p.printf("  subjkey:   %s\n", hexB(k.KeyID()))
}

func (c *certPrinter) printCRL(crl *credentials.CRL) {
	p := c.p
	p.printf("  issuer:   \"%s\"\n", crl.Issuer())
	c.validity("update:  ", "this on", "next on", crl.ThisUpdate(), crl.NextUpdate())
	p.printf("  serial:    %s\n", hexB(skipZero(crl.Number())))
	if crl.IsDelta() {
		p.printf("  delta CRL: for serial %s\n", hexB(skipZero(crl.BaseNumber())))
	}
	p.printf("  authKeyId: %s\n", hexB(crl.AuthorityKeyID()))
	for i, cdp := range crl.DeltaURIs() {
		if i == 0 {
			p.printf("  freshest:  %s", cdp.URI)
		} else {
			p.printf("             %s", cdp.URI)
		}
		if cdp.Issuer != nil {
			p.printf(" (CRL issuer: %s)", cdp.Issuer)
		}
		p.print("\n")
	}
	revoked := crl.Revoked()
	plural, colon := "s", ""
	if len(revoked) == 1 {
		plural = ""
	}
	if len(revoked) > 0 {
		colon = ":"
	}
	p.printf("  %d revoked certificate%s%s\n", len(revoked), plural, colon)
	for _, r := range revoked {
		p.printf("    %s: %s, %s\n", hexB(skipZero(r.Serial)), formatTime(r.Date, c.utc), r.Reason)
	}
}

func (c *certPrinter) printOCSP(r *credentials.OCSPResponse) {
	p := c.p
	p.printf("  issuer:   \"%s\"\n", r.Responder())
	c.validity("update:  ", "this on", "next on", r.ProducedAt(), r.UsableUntil())
	p.print("  responses: ")
	for i, s := range r.Responses() {
		if i > 0 {
			p.print("             ")
		}
		status := "unknown"
		switch s.Status {
		case credentials.ValidationGood:
			status = "good"
		case credentials.ValidationRevoked:
			status = "revoked"
		}
		p.printf("%s: %s", hexB(skipZero(s.Serial)), status)
		if s.Status == credentials.ValidationRevoked {
			p.printf(" on %s, %s", formatTime(s.RevocationTime, c.utc), s.Reason)
		}
		p.print("\n")
	}
}

// uniqueCerts lists the certificates without duplicates, those of one
// issuer kept together (create_unique_cert_list).
func uniqueCerts(all []*credentials.Certificate) []*credentials.Certificate {
	var list []*credentials.Certificate
	for _, cert := range all {
		i, found, same := 0, false, false
		for ; i < len(list); i++ {
			if list[i].Equal(cert) {
				found = true
				break
			}
			previous := same
			same = list[i].HasIssuer(cert.Issuer()) != credentials.MatchNone
			if previous && !same {
				break
			}
		}
		if !found {
			list = append(list[:i], append([]*credentials.Certificate{cert}, list[i:]...)...)
		}
	}
	return list
}

// writeCertLists prints what flags select from the credential manager.
func writeCertLists(p *printer, m *credentials.Manager, flags stroke.ListFlags, utc bool, now time.Time) {
	c := &certPrinter{p: p, utc: utc, now: now}
	if flags&(stroke.ListCerts|stroke.ListCACerts|stroke.ListOCSPCerts|stroke.ListAACerts) != 0 {
		list := uniqueCerts(m.AllCerts())
		for _, sel := range []struct {
			flag    stroke.ListFlags
			role    credentials.CertFlags
			caption string
		}{
			{stroke.ListCerts, 0, "X.509 End Entity Certificate"},
			{stroke.ListCACerts, credentials.CertCA, "X.509 CA Certificate"},
			{stroke.ListOCSPCerts, credentials.CertOCSPSigner, "X.509 OCSP Signer Certificate"},
			{stroke.ListAACerts, credentials.CertAA, "X.509 AA Certificate"},
		} {
			if flags&sel.flag == 0 {
				continue
			}
			for _, cert := range list {
				role := cert.Flags() & credentials.CertAnyRole
				if role&sel.role != 0 || role == sel.role {
					c.printCaption(sel.caption)
					c.printCert(cert, m.HasPrivate(cert))
				}
			}
		}
	}
	if flags&stroke.ListCRLs != 0 {
		var seen []*credentials.CRL
		for _, crl := range m.CRLs() {
			dup := false
			for _, s := range seen {
				if s.Equal(crl) {
					dup = true
				}
			}
			if dup {
				continue
			}
			seen = append(seen, crl)
			c.printCaption("X.509 CRL")
			c.printCRL(crl)
		}
	}
	if flags&stroke.ListOCSP != 0 {
		for _, r := range m.OCSPResponses() {
			c.printCaption("OCSP Response")
			c.printOCSP(r)
		}
	}
}
