package tasks

import (
	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/encoding"
)

// capabilities are the notifies charon sends to announce what it can do,
// with the feature each one promises. goswan sends one only when it does
// the feature (config/feature): a peer that believed an announcement
// would otherwise try what is not there. MOBIKE_SUPPORTED is in the list
// although goswan has no task that sends it yet: mobike=yes, the default,
// is honoured by announcing nothing.
var capabilities = []struct {
	notify  encoding.NotifyType
	feature *feature.Feature
}{
	{encoding.NotifySignatureHashAlgorithms, feature.Certificates}, // RFC 7427 signatures need public keys
	{encoding.NotifyRedirectSupported, feature.Redirect},
	{encoding.NotifyEAPOnlyAuthentication, feature.EAP},
	{encoding.NotifyIKEv2MessageIDSyncSupported, feature.MessageIDSync},
	{encoding.NotifyMOBIKESupported, feature.MOBIKE},
}

// announces reports whether goswan may send the capability notify n.
func announces(n encoding.NotifyType) bool {
	for _, c := range capabilities {
		if c.notify == n {
			return c.feature.Supported
		}
	}
	return true
}

// Unannounced lists the capability notifies charon sends and goswan does
// not, for tests that compare goswan's messages with charon's.
func Unannounced() []encoding.NotifyType {
	var out []encoding.NotifyType
	for _, c := range capabilities {
		if !c.feature.Supported {
			out = append(out, c.notify)
		}
	}
	return out
}

// announce adds those of the capability notifies ns goswan has.
func announce(m *encoding.Message, ns ...encoding.NotifyType) {
	for _, n := range ns {
		if announces(n) {
			m.AddNotify(n, nil)
		}
	}
}
