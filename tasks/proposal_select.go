package tasks

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/sa"
)

// selectProposal picks a proposal as proposal_select() does, with its log
// lines: both lists at level 2 and the choice at level 1 on success, both
// lists at level 1 when nothing matched.
func selectProposal(ike *sa.IKESA, configured, supplied []*config.Proposal, flags config.SelectFlags) *config.Proposal {
	p := config.SelectProposal(configured, supplied, flags)
	lvl := bus.Control
	if p != nil {
		lvl = bus.Diag
	}
	ike.Log(bus.CFG, lvl, "received proposals: %s", config.FormatProposals(supplied))
	ike.Log(bus.CFG, lvl, "configured proposals: %s", config.FormatProposals(configured))
	if p != nil {
		ike.Log(bus.CFG, bus.Control, "selected proposal: %s", p)
	}
	return p
}
