package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEVerifyPeerCert verifies the peer's certificate with online revocation
// checks once the IKE_SA is up, ike_verify_peer_cert.c: a make-before-break
// reauthentication queues it after the CHILD_SAs, whose IKE_AUTH ran with
// online checks suspended; a certificate revoked meanwhile deletes the new
// IKE_SA.
type IKEVerifyPeerCert struct {
	ike *sa.IKESA
	del *IKEDelete
}

// NewIKEVerifyPeerCert creates the task (initiator only).
func NewIKEVerifyPeerCert(ike *sa.IKESA) *IKEVerifyPeerCert { return &IKEVerifyPeerCert{ike: ike} }

// Type implements sa.Task.
func (t *IKEVerifyPeerCert) Type() sa.TaskType { return sa.TaskIKEVerifyPeerCert }

// Migrate implements sa.Task.
func (t *IKEVerifyPeerCert) Migrate(ike *sa.IKESA) {
	t.ike = ike
	if t.del != nil {
		t.del.Migrate(ike)
	}
}

// Build implements sa.Task.
func (t *IKEVerifyPeerCert) Build(m *encoding.Message) sa.Status {
	if !t.ike.VerifyPeerCertificate() {
		t.ike.Log(bus.IKE, bus.Control, "peer certificate verification failed, deleting SA")
		t.del = NewIKEDelete(t.ike, true)
		return t.del.Build(m)
	}
	t.ike.Log(bus.IKE, bus.Control, "peer certificate successfully verified")
	m.Exchange = encoding.ExchangeUndefined
	return sa.Success
}

// Process implements sa.Task.
func (t *IKEVerifyPeerCert) Process(m *encoding.Message) sa.Status {
	if t.del != nil {
		return t.del.Process(m)
	}
	return sa.Success
}
