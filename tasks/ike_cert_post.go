package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKECertPost sends our certificates after the AUTH payload is built,
// ike_cert_post.c: the end entity certificate our authenticator used, then
// its intermediate CAs, as leftsendcert allows. Nothing is sent with PSK
// or EAP, and goswan never sends hash-and-URL.
type IKECertPost struct{ ikeTask }

// NewIKECertPost creates the task.
func NewIKECertPost(ike *sa.IKESA, initiator bool) *IKECertPost {
	return &IKECertPost{ikeTask{ike: ike, initiator: initiator}}
}

// Type implements sa.Task.
func (t *IKECertPost) Type() sa.TaskType { return sa.TaskIKECertPost }

func (t *IKECertPost) buildCerts(m *encoding.Message) {
	auth, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	peer := t.ike.PeerCfg()
	if peer == nil || auth == nil || auth.Method == encoding.AuthPSK {
		return
	}
	switch peer.CertPolicy {
	case config.CertNeverSend:
		return
	case config.CertSendIfAsked:
		if !t.ike.Has(sa.CondCertReqSeen) {
			return
		}
	}
	// Our round in progress holds what the authenticator used.
	r := t.ike.CurrentAuth(true)
	subject := r.Subject()
	if subject == nil {
		return
	}
	t.ike.Log(bus.IKE, bus.Control, "sending end entity cert \"%s\"", subject.Subject())
	m.Add(&encoding.Cert{Encoding: encoding.CertX509Signature, Data: subject.Raw()})
	for _, im := range r.IMCerts {
		t.ike.Log(bus.IKE, bus.Control, "sending issuer cert \"%s\"", im.Subject())
		m.Add(&encoding.Cert{Encoding: encoding.CertX509Signature, Data: im.Raw()})
	}
}

// Build implements sa.Task.
func (t *IKECertPost) Build(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKEAuth {
		t.buildCerts(m)
	}
	if t.initiator || !t.ike.Has(sa.CondAuthenticated) {
		// More rounds may follow with more certificates.
		return sa.NeedMore
	}
	return sa.Success
}

// Process implements sa.Task.
func (t *IKECertPost) Process(m *encoding.Message) sa.Status {
	if t.initiator && t.ike.Has(sa.CondAuthenticated) {
		return sa.Success
	}
	return sa.NeedMore
}
