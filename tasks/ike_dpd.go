package tasks

import (
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKEDPD is a liveness check, ike_dpd.c: an empty INFORMATIONAL request
// and its empty response; the retransmission logic does the detecting.
type IKEDPD struct {
	initiator bool
}

// NewIKEDPD creates the task.
func NewIKEDPD(_ *sa.IKESA, initiator bool) *IKEDPD { return &IKEDPD{initiator: initiator} }

// Type implements sa.Task.
func (t *IKEDPD) Type() sa.TaskType { return sa.TaskIKEDPD }

// Migrate implements sa.Task.
func (t *IKEDPD) Migrate(*sa.IKESA) {}

// Build implements sa.Task.
func (t *IKEDPD) Build(*encoding.Message) sa.Status {
	if t.initiator {
		return sa.NeedMore
	}
	return sa.Success
}

// Process implements sa.Task.
func (t *IKEDPD) Process(*encoding.Message) sa.Status {
	if t.initiator {
		return sa.Success
	}
	return sa.NeedMore
}
