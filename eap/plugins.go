package eap

// Plugins are the eap-* plugins of this package with the methods each
// registers, server before peer as the plugins do (eap-radius is in
// eap/radius).
var Plugins = map[string][]struct {
	Type uint32
	Role Role
	New  Constructor
}{
	"eap-identity": {{TypeIdentity, Server, NewIdentityServer}, {TypeIdentity, Peer, NewIdentityPeer}},
	"eap-md5":      {{TypeMD5, Server, NewMD5Server}, {TypeMD5, Peer, NewMD5Peer}},
	"eap-mschapv2": {{TypeMSCHAPv2, Server, NewMSCHAPv2Server}, {TypeMSCHAPv2, Peer, NewMSCHAPv2Peer}},
	"eap-tls":      {{TypeTLS, Server, NewTLSServer}, {TypeTLS, Peer, NewTLSPeer}},
}

// Load registers the methods of a plugin; false if the package has no
// such plugin.
func (m *Manager) Load(plugin string) bool {
	methods, ok := Plugins[plugin]
	for _, x := range methods {
		m.Add(x.Type, 0, x.Role, x.New)
	}
	return ok
}
