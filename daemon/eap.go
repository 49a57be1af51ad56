package daemon

import (
	"crypto/rand"
	"time"

	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/eap"
)

// newEAP creates the EAP method manager with the methods of the loaded
// eap-* plugins (charon->eap); eap-radius registers when it has servers.
func (d *Daemon) newEAP(plugins []string) *eap.Manager {
	s := d.Settings()
	m := eap.NewManager(&eap.Env{
		Rand:  rand.Reader,
		Creds: d.creds,
		Certs: d.certs,
		Now:   time.Now,
		Delay: time.Sleep,
		TLS:   tlsSettings(s),
	})
	for _, p := range plugins {
		switch p {
		case "eap-radius":
			d.loadRadius(m)
		default:
			m.Load(p)
		}
	}
	return m
}

// tlsVersions are tls_numeric_version_names.
var tlsVersions = map[string]uint16{"1.0": 0x0301, "1.1": 0x0302, "1.2": 0x0303, "1.3": 0x0304}

// tlsSettings reads the eap-tls plugin's settings and charon.tls's
// version bounds (determine_versions: 1.2 unless configured, the minimum
// lowered to a lower maximum).
func tlsSettings(s *settings.Settings) eap.TLSSettings {
	t := eap.DefaultTLSSettings()
	t.FragmentSize = s.Int("charon.plugins.eap-tls.fragment_size", t.FragmentSize)
	t.MaxMessageCount = s.Int("charon.plugins.eap-tls.max_message_count", t.MaxMessageCount)
	t.IncludeLength = s.Bool("charon.plugins.eap-tls.include_length", t.IncludeLength)
	if v, ok := tlsVersions[s.Str("charon.tls.version_min", "")]; ok {
		t.MinVersion = v
	}
	if v, ok := tlsVersions[s.Str("charon.tls.version_max", "")]; ok {
		t.MaxVersion = v
	}
	if t.MaxVersion < t.MinVersion {
		t.MinVersion = t.MaxVersion
	}
	return t
}
