package vici

import "fmt"

// The virtual IP pool commands (vici_attribute.c). Pools need a PoolStore;
// without one, load-pool refuses and the listings are empty, which is
// what the daemon then holds.

func (p *Plugin) registerAttribute() {
	p.srv.Command("load-pool", p.loadPool)
	p.srv.Command("unload-pool", p.unloadPool)
	p.srv.Command("get-pools", p.getPools)
}

func (p *Plugin) loadPool(r *Request) []byte {
	pools := p.deps.Features.Pools
	for _, e := range r.Msg.Elements {
		if e.Kind != Section {
			continue
		}
		if pools == nil {
			return reply("unable to load pool '%s': the daemon keeps no vici pools", e.Name)
		}
		if err := pools.LoadPool(e.Name, e.Sub); err != nil {
			return reply("%s", err.Error())
		}
	}
	if r.Err != nil {
		return reply("parsing request failed")
	}
	return reply("")
}

func (p *Plugin) unloadPool(r *Request) []byte {
	name, ok := r.Msg.Str("name")
	if !ok {
		return reply("missing pool name to unload")
	}
	pools := p.deps.Features.Pools
	if pools == nil {
		return reply("%s not found", name)
	}
	if err := pools.UnloadPool(name); err != nil {
		return reply("%s", err.Error())
	}
	return reply("")
}

func (p *Plugin) getPools(r *Request) []byte {
	leases := r.Msg.Bool("leases", false)
	name, _ := r.Msg.Str("name")
	b := NewBuilder()
	if pools := p.deps.Features.Pools; pools != nil {
		for _, pool := range pools.Pools(name, leases) {
			b.BeginSection(pool.Name)
			b.KV("base", pool.Base)
			b.KVf("size", "%d", pool.Size)
			b.KVf("online", "%d", pool.Online)
			b.KVf("offline", "%d", pool.Offline)
			if leases {
				b.BeginSection("leases")
				for i, l := range pool.Leases {
					b.BeginSection(fmt.Sprint(i))
					b.KV("address", l.Address)
					b.KV("identity", l.Identity)
					b.KV("status", map[bool]string{true: "online", false: "offline"}[l.Online])
					b.EndSection()
				}
				b.EndSection()
			}
			b.EndSection()
		}
	}
	return p.finish(b)
}
