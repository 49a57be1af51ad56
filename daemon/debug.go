package daemon

import (
	"github.com/goswan/goswan/kernel_libipsec"
)

// DebugState is what a test lab asks a running daemon about its own
// bookkeeping (cmd/charon's GOSWAN_DEBUG_SOCKET): figures strongSwan has
// no command for, to find state that outlived what the daemon shows.
type DebugState struct {
	IKESAs            int `json:"ike_sas"`
	HalfOpen          int `json:"half_open"`
	HalfOpenResponder int `json:"half_open_responder"`
	// HalfOpenAddresses is how many peer addresses have half-open
	// IKE_SAs with us; HalfOpenMostPerIP the most any one has.
	HalfOpenAddresses int `json:"half_open_addresses"`
	HalfOpenMostPerIP int `json:"half_open_most_per_ip"`
	JobsQueued        int `json:"jobs_queued"`
	// The userspace data plane's SAs (installed and larval) and
	// policies; -1 without kernel-libipsec.
	DataPlaneSAs      int `json:"dataplane_sas"`
	DataPlaneLarval   int `json:"dataplane_larval"`
	DataPlanePolicies int `json:"dataplane_policies"`
}

// DebugState returns the figures of DebugState.
func (d *Daemon) DebugState() DebugState {
	s := DebugState{DataPlaneSAs: -1, DataPlaneLarval: -1, DataPlanePolicies: -1}
	if d.manager == nil {
		return s
	}
	s.IKESAs = d.manager.Count()
	s.HalfOpen = d.manager.HalfOpen()
	s.HalfOpenResponder = d.manager.HalfOpenResponder()
	s.HalfOpenAddresses, s.HalfOpenMostPerIP = d.manager.HalfOpenAddresses()
	s.JobsQueued = d.pool.JobLoad()
	if k, ok := d.ipsec.(*kernel_libipsec.IPsec); ok {
		s.DataPlaneSAs, s.DataPlaneLarval, s.DataPlanePolicies = k.Sizes()
	}
	return s
}
