package load_tester

import (
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/confparse/settings"
)

// Options are charon.plugins.load-tester's settings, with charon's
// defaults.
type Options struct {
	Enable     bool
	Initiators int
	// Iterations per initiator; 0 means forever.
	Iterations int
	// Delay between two initiations of one initiator, in milliseconds.
	Delay int
	// InitLimit throttles while more IKE_SAs than this are half open
	// (0: no limit).
	InitLimit            int
	ShutdownWhenComplete bool
	FakeKernel           bool
	// DeleteAfterEstablished deletes each IKE_SA once it is up.
	DeleteAfterEstablished bool

	// Initiator is the initiators' local address (their ike_cfg's
	// local), Responder the address they connect to.
	Initiator, Responder string
	// Port, if set, gives initiator n the local port Port+n-1 and makes
	// it connect to 4500 (dynamic_port).
	Port int
	// Proposal and ESP are the IKE and ESP proposals.
	Proposal, ESP []*config.Proposal
	// InitiatorAuth and ResponderAuth are auth rounds separated by '|'
	// ("psk", "pubkey", "eap-md5", "xauth-..."); the IDs are format
	// strings taking the initiator's number and the round.
	InitiatorAuth, ResponderAuth             string
	InitiatorID, InitiatorMatch, ResponderID string
	PreSharedKey                             string
	// RequestVirtualIP asks for an IPv4 and an IPv6 virtual IP; Pool is
	// the responder's pool.
	RequestVirtualIP                                       bool
	Pool                                                   string
	Mode                                                   string
	InitiatorTSi, InitiatorTSr, ResponderTSi, ResponderTSr string
	// IKERekey and ChildRekey are the rekey times in seconds (the CHILD_SA
	// lives twice as long); 0 disables.
	IKERekey, ChildRekey uint32
	DPDDelay, DPDTimeout uint32
	Version              config.IKEVersion
}

// OptionsFrom reads the options.
func OptionsFrom(s *settings.Settings) Options {
	const p = "charon.plugins.load-tester."
	o := Options{
		Enable:                 s.Bool(p+"enable", false),
		Initiators:             s.Int(p+"initiators", 0),
		Iterations:             s.Int(p+"iterations", 1),
		Delay:                  s.Int(p+"delay", 0),
		InitLimit:              s.Int(p+"init_limit", 0),
		ShutdownWhenComplete:   s.Bool(p+"shutdown_when_complete", false),
		FakeKernel:             s.Bool(p+"fake_kernel", false),
		DeleteAfterEstablished: s.Bool(p+"delete_after_established", false),
		Initiator:              s.Str(p+"initiator", "0.0.0.0"),
		Responder:              s.Str(p+"responder", "127.0.0.1"),
		Port:                   s.Int(p+"dynamic_port", 0),
		InitiatorAuth:          s.Str(p+"initiator_auth", "pubkey"),
		ResponderAuth:          s.Str(p+"responder_auth", "pubkey"),
		InitiatorID:            s.Str(p+"initiator_id", ""),
		InitiatorMatch:         s.Str(p+"initiator_match", ""),
		ResponderID:            s.Str(p+"responder_id", ""),
		PreSharedKey:           s.Str(p+"preshared_key", "default-psk"),
		RequestVirtualIP:       s.Bool(p+"request_virtual_ip", false),
		Pool:                   s.Str(p+"pool", ""),
		Mode:                   s.Str(p+"mode", ""),
		InitiatorTSi:           s.Str(p+"initiator_tsi", ""),
		InitiatorTSr:           s.Str(p+"initiator_tsr", ""),
		ResponderTSi:           s.Str(p+"responder_tsi", ""),
		ResponderTSr:           s.Str(p+"responder_tsr", ""),
		IKERekey:               uint32(s.Int(p+"ike_rekey", 0)),
		ChildRekey:             uint32(s.Int(p+"child_rekey", 600)),
		DPDDelay:               uint32(s.Int(p+"dpd_delay", 0)),
		DPDTimeout:             uint32(s.Int(p+"dpd_timeout", 0)),
		// charon's default is IKE_ANY, which initiates IKEv2; goswan
		// speaks nothing else
		Version: config.IKEVersion(s.Int(p+"version", int(config.IKEv2))),
	}
	// one proposal each, as proposal_create_from_string parses it (no
	// defaults appended), falling back to the plugin's default when it
	// does not parse
	o.Proposal = []*config.Proposal{oneProposal(config.ProtoIKE, s.Str(p+"proposal", defaultIKE), defaultIKE)}
	o.ESP = []*config.Proposal{oneProposal(config.ProtoESP, s.Str(p+"esp", defaultESP), defaultESP)}
	return o
}

// The plugin's default proposals.
const (
	defaultIKE = "aes128-sha1-modp768"
	defaultESP = "aes128-sha1"
)

// oneProposal parses value, or def if value does not parse.
func oneProposal(proto config.Protocol, value, def string) *config.Proposal {
	if pr, err := config.ParseProposal(proto, value); err == nil {
		return pr
	}
	pr, err := config.ParseProposal(proto, def)
	if err != nil {
		panic("load-tester: default proposal " + def + ": " + err.Error())
	}
	return pr
}
