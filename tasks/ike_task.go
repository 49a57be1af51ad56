package tasks

import "github.com/goswan/goswan/sa"

// ikeTask is what an IKE_SA task that needs only its IKE_SA and its role
// holds (the ike_sa and initiator fields of charon's task structs), with the
// Migrate all of them implement alike. Embed it rather than copying both.
type ikeTask struct {
	ike       *sa.IKESA
	initiator bool
}

// Migrate implements sa.Task: after a rekey the task moves to the new IKE_SA.
func (t *ikeTask) Migrate(ike *sa.IKESA) { t.ike = ike }
