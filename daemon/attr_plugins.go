package daemon

import (
	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/vici"
)

// startAttributePlugins registers the attribute providers and handlers of
// the loaded plugins with the attribute manager, in the order the plugins
// load (which is the order charon asks them in): stroke's pools and
// leftdns= requests, attr's strongswan.conf attributes, resolve's
// resolv.conf writer, vici's pools.
func (d *Daemon) startAttributePlugins(plugins []string) {
	for _, p := range plugins {
		switch p {
		case "stroke":
			d.pools = attributes.NewPools()
			d.connRequests = attributes.NewConnRequests()
			d.attrs.AddProvider(d.pools)
			d.attrs.AddHandler(d.connRequests)
		case "attr":
			legacy, kvs := d.attrSettings()
			d.attrPlugin = attributes.NewAttr(legacy, kvs, bus.Ctx{Bus: d.bus})
			d.attrs.AddProvider(d.attrPlugin)
		case "resolve":
			d.resolve = newResolveHandler(d)
			d.attrs.AddHandler(d.resolve)
		case "vici":
			d.viciPools = vici.NewPools(bus.Ctx{Bus: d.bus})
			d.attrs.AddProvider(d.viciPools)
		}
	}
}

// attrSettings reads charon.dns1/2, charon.nbns1/2 and the keys of
// charon.plugins.attr in file order.
func (d *Daemon) attrSettings() (attributes.Legacy, []attributes.KeyValue) {
	s := d.Settings()
	var legacy attributes.Legacy
	for i, n := range []string{"1", "2"} {
		legacy.DNS[i] = s.Str("charon.dns"+n, "")
		legacy.NBNS[i] = s.Str("charon.nbns"+n, "")
	}
	var kvs []attributes.KeyValue
	for _, kv := range s.KeyValues("charon.plugins.attr") {
		kvs = append(kvs, attributes.KeyValue{Key: kv.Key, Value: kv.Value})
	}
	return legacy, kvs
}

// reloadAttrPlugin rereads the attr plugin's settings (SIGHUP).
func (d *Daemon) reloadAttrPlugin() {
	if d.attrPlugin != nil {
		legacy, kvs := d.attrSettings()
		d.attrPlugin.Reload(legacy, kvs, bus.Ctx{Bus: d.bus})
	}
}
