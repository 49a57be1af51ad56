package sa

import (
	"encoding/binary"
	"io"
	"net/netip"
	"time"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/kernel"
)

// Packet is an IKE datagram with its addresses (ports included).
type Packet struct {
	Data     []byte
	Src, Dst netip.AddrPort
}

// Sender sends IKE packets. The network layer adds the non-ESP marker on
// port 4500.
type Sender interface {
	Send(p Packet)
}

// Clock is the time source of the protocol core: monotonic time for
// timers and statistics.
type Clock interface {
	Now() time.Time
}

// Settings are the charon.* values the protocol core reads, with
// strongSwan 5.9.8's defaults from DefaultSettings.
type Settings struct {
	RetransmitTries   uint32
	RetransmitTimeout float64 // seconds
	RetransmitBase    float64
	RetransmitJitter  uint32 // percent, at most 20
	RetransmitLimit   uint32 // seconds, 0: none

	DeleteRekeyedDelay uint32 // seconds
	// DeleteRekeyedOutboundDelay is charon.delete_rekeyed_outbound_delay
	// (goswan's, seconds, default 0): how long the outbound SA and
	// policies of a rekeyed CHILD_SA stay after its replacement's are in.
	// charon removes them at once, and a packet the kernel had already
	// bound to the old SA on its way out is then dropped
	// (XfrmOutStateInvalid); a few milliseconds more let it leave. The
	// peer keeps its old inbound SA for its own delete_rekeyed_delay.
	// It cannot outlast the rekeyed CHILD_SA: when that is destroyed
	// (DeleteRekeyedDelay after the rekey), its outbound SA goes with it,
	// so a longer value acts as DeleteRekeyedDelay.
	DeleteRekeyedOutboundDelay float64
	HalfOpenTimeout            uint32 // seconds
	ReuseIKESA                 bool
	MakeBeforeBreak            bool
	// KeepReqIDs is charon.keep_reqids (goswan's, default no): a CHILD_SA
	// that is rekeyed, restarted or triggered by a trap keeps a reference
	// to its reqid until the new CHILD_SA has taken it over, and an IKE_SA
	// destroys its CHILD_SAs first to last, as strongSwan 5.9.12 does
	// (strongswan/strongswan#1855). Without it reqids behave as in 5.9.8,
	// where a restarted IKE_SA's CHILD_SAs can swap or share reqids.
	KeepReqIDs                bool
	FragmentSize              int // bytes of IP payload, 0: 1280
	PreferConfiguredProposals bool
	AcceptPrivateAlgs         bool
	SendVendorID              bool
	MultipleAuthentication    bool
	// ForceEAPOnlyAuthentication uses EAP-only authentication as a
	// responder even if the peer did not announce support for it.
	ForceEAPOnlyAuthentication bool
	SignatureAuthentication    bool
	FollowRedirects            bool
	KeepAlive                  uint32 // seconds, NAT-T keepalive interval
	ReplayWindow               uint32
	InstallRoutes              bool
	InstallVirtualIP           bool
	CloseIKEOnChildFailure     bool
	InactivityCloseIKE         bool
	SPIMin, SPIMax             uint32
	IKESALimit                 uint32 // charon.ikesa_limit, 0: none
	InitLimitHalfOpen          uint32
	InitLimitJobLoad           uint32 // charon.init_limit_job_load, 0: none
	// MaxPacket is charon.max_packet: the largest IKE message accepted,
	// also after reassembling fragments (0: 10000).
	MaxPacket         int
	CookieThreshold   uint32
	CookieThresholdIP uint32 // charon.cookie_threshold_ip
	BlockThreshold    uint32
	DOSProtection     bool
	InitiatorOnly     bool
	// NATTPort is the local NAT-T port (charon.port_nat_t), used when
	// floating from 500.
	NATTPort uint16
	// Port is the local IKE port (charon.port).
	Port uint16
	// PreferBestPath (charon.prefer_best_path) makes roaming switch to a
	// better path with MOBIKE even if the current one still works;
	// CheckCurrentPath (charon.check_current_path) sends a DPD on a roam
	// event that keeps the path.
	PreferBestPath, CheckCurrentPath bool
	// MIDSyncResponder makes a responder announce
	// IKEV2_MESSAGE_ID_SYNC_SUPPORTED (RFC 6311), which it does when it
	// restores IKE_SAs from saved state; strongSwan's never does.
	MIDSyncResponder bool
	// SocketFamily is the one family the IKE socket serves (4 or 6), 0
	// for both (MOBIKE probes only paths the socket can use).
	SocketFamily int
}

// DefaultSettings returns charon 5.9.8's defaults.
func DefaultSettings() Settings {
	return Settings{
		RetransmitTries: 5, RetransmitTimeout: 4.0, RetransmitBase: 1.8,
		DeleteRekeyedDelay: 5, HalfOpenTimeout: 30, ReuseIKESA: true,
		FragmentSize: 1280, PreferConfiguredProposals: true,
		MultipleAuthentication: true, SignatureAuthentication: true, FollowRedirects: true,
		KeepAlive: 20, ReplayWindow: 32, InstallRoutes: true, InstallVirtualIP: true,
		SPIMin: kernel.SPIMin, SPIMax: kernel.SPIMax,
		CookieThreshold: 30, CookieThresholdIP: 3, BlockThreshold: 5, DOSProtection: true,
		NATTPort: 4500, Port: 500, MaxPacket: 10000,
	}
}

// Env is everything an IKE_SA needs from outside: charon's globals made
// explicit so that several daemons can live in one process (see doc.go).
//
// It is built in two steps, each in one place. The caller (the daemon, or
// a test's simulation) fills in the first group in one literal; NewManager
// then creates the core's own registries of the second group, and
// NewTrapManager adds itself as Traps. No other production code writes to
// an Env (tests adjust a simulated node's settings in place).
type Env struct {
	// Given by the caller.

	Clock Clock
	Rand  io.Reader
	// NonceSource, if set, supplies nonces instead of Rand: tests pin
	// them to decide rekey collisions, as strongSwan's exchange tests do
	// with nonce_first_byte.
	NonceSource io.Reader
	Sender      Sender
	Bus         *bus.Bus
	Kernel      kernel.IPsec
	Net         kernel.Net
	Backends    *config.Backends
	Creds       *credentials.Store
	// Certs holds certificates, CRLs and private keys and validates
	// chains (nil: public key authentication is impossible).
	Certs *credentials.Manager
	// Attributes hands out virtual IPs and configuration attributes
	// (gateway) and takes the ones received (client); nil: none.
	Attributes *attributes.Manager
	Settings   Settings
	// EAP creates the EAP methods of the loaded eap-* plugins (nil: none).
	EAP *eap.Manager
	// Resolve resolves host names in configs (nil: literal addresses only).
	Resolve config.Resolver
	// NewTaskManager creates the task manager of a new IKE_SA: tasks.New.
	// Required. It is the one way in from package tasks, handed in here
	// because sa cannot import tasks (tasks imports sa); everything else
	// the SA asks of its tasks goes through the TaskManager it returns.
	NewTaskManager func(ike *IKESA) TaskManager

	// Created by NewManager.

	// Manager is the IKE_SA manager: SA creation, lookups, jobs.
	Manager *Manager
	// Events dispatches SA events to listeners (updown, status, tests).
	Events *Events
	// Children indexes CHILD_SAs for kernel events.
	Children *ChildSAManager
	// ReqIDs hands out reqids.
	ReqIDs *ReqIDs

	// Set by NewTrapManager; nil without one (then dpdaction=hold and
	// closeaction=hold cannot route).

	// Traps installs trap policies (auto=route, dpdaction=hold).
	Traps Traps
}

// Traps is the trap manager as the core needs it.
type Traps interface {
	// Install routes a CHILD_SA config and returns the reqid of its trap
	// policies (0 on failure).
	Install(thread int, peer *config.PeerCfg, child *config.ChildCfg) uint32
}

// RandUint64 returns a uniform random number in [0, n) from the Env's
// randomness; 0 if n is 0 or the source fails (jitter then falls away,
// which is harmless).
func (e *Env) RandUint64(n uint64) uint64 {
	if n == 0 {
		return 0
	}
	var b [8]byte
	// Rejection sampling keeps the distribution uniform.
	limit := ^uint64(0) - (^uint64(0) % n)
	for {
		if _, err := io.ReadFull(e.Rand, b[:]); err != nil {
			return 0
		}
		v := binary.BigEndian.Uint64(b[:])
		if v < limit {
			return v % n
		}
	}
}

// Read fills b from the Env's randomness.
func (e *Env) Read(b []byte) error {
	_, err := io.ReadFull(e.Rand, b)
	return err
}
