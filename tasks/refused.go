package tasks

import (
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
)

// explainRefused follows charon's "no IKE config found" and "no matching
// peer config found": goswan answers as charon without the conns it
// refused (config.Refused), and logs which of those fit the addresses and
// why they were not added, since the peer most likely meant one.
func explainRefused(log func(g bus.Group, l bus.Level, format string, args ...any), b *config.Backends, me, other netip.Addr) {
	for _, r := range b.RefusedFor(me, other) {
		for _, why := range r.Reasons {
			log(bus.CFG, bus.Control, "conn '%s' would fit, but was not added: %s", r.Child.Name, why)
		}
	}
}
