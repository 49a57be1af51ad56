package daemon

import (
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/ha_state"
)

// startHAState starts the ha-state plugin: the IKE_SAs and stroke's pool
// leases kept in charon.plugins.ha-state.file and taken up again after a
// restart, with RFC 6311's message ID synchronization.
func (d *Daemon) startHAState() {
	deps := ha_state.Deps{Env: d.env, Manager: d.manager, Log: bus.Ctx{Bus: d.bus}}
	if d.pools != nil {
		deps.Pools = d.pools
	}
	d.haState = ha_state.Start(ha_state.OptionsFrom(d.Settings()), deps)
}
