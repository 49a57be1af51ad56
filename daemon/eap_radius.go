package daemon

import (
	"crypto/rand"
	"fmt"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/eap/radius"
)

// RADIUS ports (RFC 2865, 2866).
const (
	radiusAuthPort = 1812
	radiusAcctPort = 1813
)

// loadRadius is the eap-radius plugin: its servers from strongswan.conf
// and the EAP_RADIUS server method. Without a server the method is
// registered still, and fails to load, as charon's does.
func (d *Daemon) loadRadius(m *eap.Manager) {
	s := d.Settings()
	const ns = "charon.plugins.eap-radius."
	p := &radius.Plugin{Rand: rand.Reader, Servers: d.radiusServers(s), Options: radius.Options{
		EAPStart:          s.Bool(ns+"eap_start", false),
		IDPrefix:          s.Str(ns+"id_prefix", ""),
		StationIDWithPort: s.Bool(ns+"station_id_with_port", true),
		ClassGroup:        s.Bool(ns+"class_group", false),
	}}
	for _, srv := range p.Servers {
		d.onClose(func() error { srv.Close(); return nil })
	}
	p.Register(m)
}

// radiusServers reads the servers (load_configs): the legacy single
// server (server, secret, port, ...) if set, else each section of
// servers, whose settings default to the plugin's.
func (d *Daemon) radiusServers(s *settings.Settings) []*radius.Pool {
	const ns = "charon.plugins.eap-radius."
	newPool := func(srv radius.Server) *radius.Pool { return radius.NewPool(srv, radius.DialUDP, rand.Reader) }
	if address, ok := s.Value(ns + "server"); ok {
		secret, ok := s.Value(ns + "secret")
		if !ok {
			d.logf(bus.CFG, bus.Control, "no RADIUS secret defined")
			return nil
		}
		return []*radius.Pool{newPool(radius.Server{
			Name: address, Address: address, Secret: []byte(secret),
			AuthPort:      uint16(s.Int(ns+"port", radiusAuthPort)),
			AcctPort:      radiusAcctPort,
			NASIdentifier: s.Str(ns+"nas_identifier", "strongSwan"),
			Sockets:       s.Int(ns+"sockets", 1),
			Tries:         s.Int(ns+"retransmit_tries", 4),
			Timeout:       s.Double(ns+"retransmit_timeout", 2),
			Base:          s.Double(ns+"retransmit_base", 1.4),
		})}
	}
	var out []*radius.Pool
	for _, name := range s.Sections(ns + "servers") {
		key := func(k string) string { return fmt.Sprintf("%sservers.%s.%s", ns, name, k) }
		address, ok := s.Value(key("address"))
		if !ok {
			d.logf(bus.CFG, bus.Control, "RADIUS server '%s' misses address, skipped", name)
			continue
		}
		secret, ok := s.Value(key("secret"))
		if !ok {
			d.logf(bus.CFG, bus.Control, "RADIUS server '%s' misses secret, skipped", name)
			continue
		}
		out = append(out, newPool(radius.Server{
			Name: name, Address: address, Secret: []byte(secret),
			AuthPort:      uint16(s.Int(key("auth_port"), s.Int(key("port"), s.Int(ns+"port", radiusAuthPort)))),
			AcctPort:      uint16(s.Int(key("acct_port"), radiusAcctPort)),
			NASIdentifier: s.Str(key("nas_identifier"), s.Str(ns+"nas_identifier", "strongSwan")),
			Sockets:       s.Int(key("sockets"), s.Int(ns+"sockets", 1)),
			Preference:    s.Int(key("preference"), 0),
			Tries:         s.Int(key("retransmit_tries"), s.Int(ns+"retransmit_tries", 4)),
			Timeout:       s.Double(key("retransmit_timeout"), s.Double(ns+"retransmit_timeout", 2)),
			Base:          s.Double(key("retransmit_base"), s.Double(ns+"retransmit_base", 1.4)),
		}))
	}
	plural := "s"
	if len(out) == 1 {
		plural = ""
	}
	d.logf(bus.CFG, bus.Control, "loaded %d RADIUS server configuration%s", len(out), plural)
	return out
}
