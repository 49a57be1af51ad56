package tasks

import (
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKECertPost sends our certificate after AUTH is built, ike_cert_post.c;
// with pre-shared keys there is none to send.
type IKECertPost struct {
	ike       *sa.IKESA
	initiator bool
}

// NewIKECertPost creates the task.
func NewIKECertPost(ike *sa.IKESA, initiator bool) *IKECertPost {
	return &IKECertPost{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKECertPost) Type() sa.TaskType { return sa.TaskIKECertPost }

// Migrate implements sa.Task.
func (t *IKECertPost) Migrate(ike *sa.IKESA) { t.ike = ike }

// Build implements sa.Task.
func (t *IKECertPost) Build(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKEAuth {
		return sa.Success
	}
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *IKECertPost) Process(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKEAuth {
		return sa.Success
	}
	return sa.NeedMore
}
