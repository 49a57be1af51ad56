package eap

// TLSSettings are the eap-tls plugin's and charon.tls's settings.
type TLSSettings struct {
	// FragmentSize is the largest EAP-TLS packet sent (fragment_size).
	FragmentSize int
	// MaxMessageCount limits the packets of one conversation
	// (max_message_count, 0: no limit).
	MaxMessageCount int
	// IncludeLength sends the TLS message length in unfragmented packets
	// too (include_length).
	IncludeLength bool
	// MinVersion and MaxVersion bound the TLS versions (charon.tls).
	MinVersion, MaxVersion uint16
}

// DefaultTLSSettings are strongSwan 5.9.8's defaults: 1024-octet
// fragments, at most 32 packets, the length always included, TLS 1.2 only.
func DefaultTLSSettings() TLSSettings {
	return TLSSettings{FragmentSize: 1024, MaxMessageCount: 32, IncludeLength: true,
		MinVersion: 0x0303, MaxVersion: 0x0303}
}
