package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKECertPre handles certificate requests and received certificates before
// authentication, ike_cert_pre.c. goswan has no certificate store yet, so
// it sends no CERTREQ (charon sends none without CA certificates either)
// and only records the peer's requests.
type IKECertPre struct {
	ike       *sa.IKESA
	initiator bool
}

// NewIKECertPre creates the task.
func NewIKECertPre(ike *sa.IKESA, initiator bool) *IKECertPre {
	return &IKECertPre{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKECertPre) Type() sa.TaskType { return sa.TaskIKECertPre }

// Migrate implements sa.Task.
func (t *IKECertPre) Migrate(ike *sa.IKESA) { t.ike = ike }

func (t *IKECertPre) process(m *encoding.Message) {
	for _, p := range m.Get(encoding.PayloadCERTREQ) {
		cr := p.(*encoding.CertReq)
		t.ike.SetCondition(sa.CondCertReqSeen, true)
		for _, kid := range cr.KeyIDs() {
			t.ike.Log(bus.IKE, bus.Control, "received cert request for unknown ca with keyid %s", colonHex(kid))
		}
	}
	for range m.Get(encoding.PayloadCERT) {
		t.ike.Log(bus.IKE, bus.Control, "received certificate, but certificates are not supported yet, ignored")
	}
}

// Build implements sa.Task.
func (t *IKECertPre) Build(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKEAuth {
		if t.initiator {
			return sa.NeedMore
		}
		return sa.Success
	}
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *IKECertPre) Process(m *encoding.Message) sa.Status {
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		t.process(m)
		return sa.NeedMore
	case encoding.ExchangeIKEAuth:
		t.process(m)
		if t.initiator {
			return sa.Success
		}
		return sa.NeedMore
	}
	return sa.NeedMore
}
