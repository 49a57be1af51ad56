package kernel

import (
	"errors"
	"net/netip"
	"time"

	"github.com/goswan/goswan/selectors"
)

// ErrNotFound is returned when an SA or policy does not exist (NOT_FOUND).
var ErrNotFound = errors.New("not found")

// ErrLastUser is returned by DelPolicy with ManagePolicy.HandOver when the
// caller is the policy's last user: nothing was changed.
var ErrLastUser = errors.New("last user of the policy")

// ErrNotSupported is returned for an operation the backend cannot do.
var ErrNotSupported = errors.New("not supported")

// IPsec is the SA and policy half of the kernel interface, kernel_ipsec_t.
// Implementations are safe for concurrent use.
type IPsec interface {
	Features() Feature
	// GetSPI allocates an SPI for an inbound SA from src to dst, creating a
	// larval SA that AddSA with Update set completes.
	GetSPI(src, dst netip.Addr, proto uint8, reqid uint32) (uint32, error)
	// GetCPI allocates an IPComp CPI.
	GetCPI(src, dst netip.Addr, reqid uint32) (uint16, error)
	AddSA(id SAID, d AddSA) error
	UpdateSA(id SAID, d UpdateSA) error
	QuerySA(id SAID) (Usage, error)
	DelSA(id SAID, cpi uint16) error
	FlushSAs() error
	// AddPolicy adds or, if installed already, references a policy again.
	AddPolicy(id PolicyID, d ManagePolicy) error
	// QueryPolicy reports when the policy was last used.
	QueryPolicy(id PolicyID) (time.Time, error)
	// DelPolicy drops one reference; the policy goes when none is left, or is
	// updated to the next SA that still uses it.
	DelPolicy(id PolicyID, d ManagePolicy) error
	FlushPolicies() error
	// BypassSocket exempts an IKE socket from IPsec policies.
	BypassSocket(fd int, family int) error
	// EnableUDPDecap turns a UDP socket into an ESP-in-UDP endpoint.
	EnableUDPDecap(fd int, family int, port uint16) error
	// Close releases the backend. It does not remove SAs or policies.
	Close() error
}

// AddrType selects addresses for Net.Addresses, kernel_address_type_t.
type AddrType uint8

const (
	AddrRegular AddrType = 1 << iota
	AddrDown
	AddrIgnored
	AddrLoopback
	AddrVirtual
	AddrAll AddrType = 1<<5 - 1
)

// Net is the networking half of the kernel interface, kernel_net_t.
type Net interface {
	Features() Feature
	// SourceAddr returns the local address used to reach dst (src, if
	// valid, is a hint to check).
	SourceAddr(dst, src netip.Addr) (netip.Addr, error)
	// NextHop returns the gateway towards dst and the interface.
	NextHop(dst netip.Addr, prefix int, src netip.Addr) (netip.Addr, string, error)
	// Interface returns the name of the interface that holds addr.
	Interface(addr netip.Addr) (string, bool)
	Addresses(which AddrType) ([]netip.Addr, error)
	AddIP(vip netip.Addr, prefix int, iface string) error
	DelIP(vip netip.Addr, prefix int, wait bool) error
	AddRoute(dst netip.Prefix, gateway, src netip.Addr, iface string, pass bool) error
	DelRoute(dst netip.Prefix, gateway, src netip.Addr, iface string, pass bool) error
	Close() error
}

// Listener receives kernel events, kernel_listener_t. Every method is
// optional in spirit: embed NopListener and override what you need.
type Listener interface {
	// Acquire: a packet matched a trap policy with this reqid.
	Acquire(reqid uint32, src, dst selectors.TS)
	// Expire: an SA reached its soft (hard=false) or hard lifetime.
	Expire(proto uint8, spi uint32, dst netip.Addr, hard bool)
	// Mapping: the NAT mapping of an ESP-in-UDP SA changed.
	Mapping(proto uint8, spi uint32, dst netip.Addr, remote netip.AddrPort)
	// Migrate: a MIGRATE message (XFRM_MSG_MIGRATE) for a policy.
	Migrate(reqid uint32, src, dst selectors.TS, dir PolicyDir, local, remote netip.Addr)
	// Roam: addresses or routes changed.
	Roam(address bool)
}

// NopListener implements Listener with methods that do nothing.
type NopListener struct{}

func (NopListener) Acquire(uint32, selectors.TS, selectors.TS)                                    {}
func (NopListener) Expire(uint8, uint32, netip.Addr, bool)                                        {}
func (NopListener) Mapping(uint8, uint32, netip.Addr, netip.AddrPort)                             {}
func (NopListener) Migrate(uint32, selectors.TS, selectors.TS, PolicyDir, netip.Addr, netip.Addr) {}
func (NopListener) Roam(bool)                                                                     {}
