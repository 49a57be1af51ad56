package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKECertPre handles certificate requests and received certificates
// before authentication, ike_cert_pre.c: it asks the peer for
// certificates of the CAs we trust (CERTREQ with the SHA-1 of each CA's
// SubjectPublicKeyInfo), notes the CAs the peer asks for, and keeps the
// certificates and CRLs the peer sends for the authenticator.
// Hash-and-URL certificates are refused, as charon refuses them unless
// hash_and_url is enabled (goswan does not fetch certificates).
type IKECertPre struct {
	ike       *sa.IKESA
	initiator bool
	// certReqSent: the initiator sends CERTREQs in its first IKE_AUTH only.
	certReqSent bool
}

// NewIKECertPre creates the task.
func NewIKECertPre(ike *sa.IKESA, initiator bool) *IKECertPre {
	return &IKECertPre{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKECertPre) Type() sa.TaskType { return sa.TaskIKECertPre }

// Migrate implements sa.Task.
func (t *IKECertPre) Migrate(ike *sa.IKESA) {
	t.ike = ike
	t.certReqSent = false
}

// processCertReq notes the CAs a CERTREQ payload asks for in our round in
// progress (they become trust anchors when we pick our certificate).
func (t *IKECertPre) processCertReq(cr *encoding.CertReq) {
	t.ike.SetCondition(sa.CondCertReqSeen, true)
	if cr.Encoding != encoding.CertX509Signature {
		t.ike.Log(bus.IKE, bus.Control, "cert payload %s not supported - ignored", "ANY")
		return
	}
	certs := t.ike.Env().Certs
	unknown := 0
	for _, kid := range cr.KeyIDs() {
		id := credentials.FromEncoding(credentials.IDKeyID, kid)
		var ca *credentials.Certificate
		if certs != nil {
			ca = certs.GetCert(credentials.KeyAny, id, true)
		}
		if ca == nil {
			t.ike.Log(bus.IKE, bus.Diag, "received cert request for unknown ca with keyid %s", id)
			unknown++
			continue
		}
		t.ike.Log(bus.IKE, bus.Control, "received cert request for \"%s\"", ca.Subject())
		cur := t.ike.CurrentAuth(true)
		cur.CACerts = append(cur.CACerts, ca)
	}
	if unknown > 0 {
		t.ike.Log(bus.IKE, bus.Control, "received %d cert requests for an unknown ca", unknown)
	}
}

// processCertReqs handles the CERTREQ payloads and the
// HTTP_CERT_LOOKUP_SUPPORTED notify of a message.
func (t *IKECertPre) processCertReqs(m *encoding.Message) {
	for _, p := range m.Payloads {
		switch x := p.(type) {
		case *encoding.CertReq:
			t.processCertReq(x)
		case *encoding.Notify:
			if x.NotifyType == encoding.NotifyHTTPCertLookupSupported {
				t.ike.Enable(sa.ExtHashAndURL)
			}
		}
	}
}

// processCerts keeps the peer's certificates: the first X.509 certificate
// is its end entity certificate, the others its issuers.
func (t *IKECertPre) processCerts(m *encoding.Message) {
	h := t.ike.Helpers()
	first := true
	for _, p := range m.Get(encoding.PayloadCERT) {
		c := p.(*encoding.Cert)
		switch c.Encoding {
		case encoding.CertX509Signature:
			cert, err := t.ike.Env().Certs.ParseCertificate(c.Data, 0, t.ike.CredLog())
			if err != nil {
				t.ike.Log(bus.ASN, bus.Control, "  parsing X.509 certificate failed: %v", err)
				continue
			}
			if first {
				t.ike.Log(bus.IKE, bus.Control, "received end entity cert \"%s\"", cert.Subject())
				h.Subject = cert
				first = false
			} else {
				t.ike.Log(bus.IKE, bus.Control, "received issuer cert \"%s\"", cert.Subject())
				h.IM = append(h.IM, cert)
			}
		case encoding.CertX509HashAndURL:
			t.ike.Log(bus.IKE, bus.Control, "received hash-and-url encoded cert, but we don't accept them, ignore")
		case encoding.CertCRL:
			crl, err := credentials.ParseCRL(c.Data)
			if err != nil {
				t.ike.Log(bus.ASN, bus.Control, "  parsing X.509 CRL failed: %v", err)
				continue
			}
			t.ike.Log(bus.IKE, bus.Control, "received CRL \"%s\"", crl.Issuer())
			h.CRLs = append(h.CRLs, crl)
		default:
			t.ike.Log(bus.ENC, bus.Control, "certificate encoding %s not supported", c.Encoding)
		}
	}
}

// buildCertReqs asks for the CAs the peer config requires, or else every
// trusted CA.
func (t *IKECertPre) buildCertReqs(m *encoding.Message) {
	cfg := t.ike.IKECfg()
	certs := t.ike.Env().Certs
	if cfg == nil || !cfg.CertReq || certs == nil {
		return
	}
	var data []byte
	add := func(ca *credentials.Certificate) {
		if ca.Flags()&credentials.CertCA == 0 {
			return
		}
		data = append(data, ca.PublicKey().InfoID()...)
		t.ike.Log(bus.IKE, bus.Control, "sending cert request for \"%s\"", ca.Subject())
	}
	if peer := t.ike.PeerCfg(); peer != nil {
		for _, r := range peer.RemoteAuth {
			for _, ca := range r.CACerts {
				add(ca)
			}
		}
	}
	if len(data) == 0 {
		for _, ca := range certs.TrustedCACerts() {
			add(ca)
		}
	}
	if len(data) > 0 {
		m.Add(&encoding.CertReq{Encoding: encoding.CertX509Signature, Data: data})
	}
}

// finalAuth: a message with AUTH and no ANOTHER_AUTH_FOLLOWS ends the
// peer's authentication.
func finalAuth(m *encoding.Message) bool {
	return m.First(encoding.PayloadAUTH) != nil && m.Notify(encoding.NotifyAnotherAuthFollows) == nil
}

// Build implements sa.Task.
func (t *IKECertPre) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		if m.Exchange == encoding.ExchangeIKEAuth && !t.certReqSent {
			t.buildCertReqs(m)
			t.certReqSent = true
		}
		return sa.NeedMore
	}
	if m.Exchange == encoding.ExchangeIKESAInit {
		t.buildCertReqs(m)
	}
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *IKECertPre) Process(m *encoding.Message) sa.Status {
	if t.initiator {
		switch m.Exchange {
		case encoding.ExchangeIKESAInit:
			t.processCertReqs(m)
		case encoding.ExchangeIKEAuth:
			t.processCerts(m)
			if finalAuth(m) {
				return sa.Success
			}
		}
		return sa.NeedMore
	}
	if m.Exchange == encoding.ExchangeIKEAuth {
		t.processCertReqs(m)
		t.processCerts(m)
		if finalAuth(m) {
			return sa.Success
		}
	}
	return sa.NeedMore
}
