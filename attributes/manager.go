package attributes

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// Attribute is one configuration attribute: its type and raw value, as it
// travels in a configuration payload.
type Attribute struct {
	Type  encoding.ConfigAttribute
	Value []byte
}

// SA is what providers and handlers learn of the IKE_SA they serve, in
// place of charon's ike_sa_t.
type SA struct {
	// ID is the peer's identity for leases: its EAP identity if it had one,
	// else its IKE identity (ike_sa_t.get_other_eap_id).
	ID *credentials.Identity
	// Peer is the peer's IKE address and port: a lease online for the same
	// identity from the same address is handed out again.
	Peer netip.AddrPort
	// Conn is the name of the peer config (stroke's per-conn DNS servers).
	Conn string
	// Log logs in the SA's context; nil discards.
	Log bus.Logger
}

func (s SA) logf(g bus.Group, l bus.Level, format string, args ...any) {
	if s.Log != nil {
		s.Log.Logf(g, l, format, args...)
	}
}

// Provider serves virtual IPs and attributes to peers (attribute_provider_t).
type Provider interface {
	// AcquireAddress picks an address for the peer from the named pools
	// the provider holds; requested is what the peer asked for (the
	// unspecified address of its family for any). The invalid Addr means
	// none.
	AcquireAddress(pools []string, sa SA, requested netip.Addr) netip.Addr
	// ReleaseAddress gives an address back; false if none of the
	// provider's pools handed it out.
	ReleaseAddress(pools []string, addr netip.Addr, sa SA) bool
	// Attributes are the attributes to send along with the virtual IPs
	// assigned (vips, possibly none).
	Attributes(pools []string, sa SA, vips []netip.Addr) []Attribute
}

// Handler takes the attributes a client receives (attribute_handler_t).
type Handler interface {
	// Handle applies an attribute; false if the handler does not take it.
	Handle(sa SA, a Attribute) bool
	// Release undoes Handle when the IKE_SA goes.
	Release(sa SA, a Attribute)
	// Request lists the attributes to ask for along with the virtual IPs
	// requested (usually with empty values).
	Request(sa SA, vips []netip.Addr) []Attribute
}

// Request is an attribute to request together with the handler that asked
// for it, which is tried first when the answer arrives.
type Request struct {
	Attribute
	Handler Handler
}

// Manager dispatches to the registered providers and handlers in the order
// they were added, as charon's attribute_manager does.
type Manager struct {
	mu        sync.RWMutex
	providers []Provider
	handlers  []Handler
}

// NewManager returns a manager without providers or handlers.
func NewManager() *Manager { return &Manager{} }

// AddProvider registers a provider after the others.
func (m *Manager) AddProvider(p Provider) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.providers = append(m.providers, p)
}

// RemoveProvider unregisters a provider.
func (m *Manager) RemoveProvider(p Provider) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.Index(m.providers, p); i >= 0 {
		m.providers = slices.Delete(m.providers, i, i+1)
	}
}

// AddHandler registers a handler after the others.
func (m *Manager) AddHandler(h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.handlers = append(m.handlers, h)
}

// RemoveHandler unregisters a handler.
func (m *Manager) RemoveHandler(h Handler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if i := slices.Index(m.handlers, h); i >= 0 {
		m.handlers = slices.Delete(m.handlers, i, i+1)
	}
}

func (m *Manager) snapshot() ([]Provider, []Handler) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return slices.Clone(m.providers), slices.Clone(m.handlers)
}

// AcquireAddress asks the providers in turn for an address from pools;
// the first one that has one wins.
func (m *Manager) AcquireAddress(pools []string, sa SA, requested netip.Addr) netip.Addr {
	providers, _ := m.snapshot()
	for _, p := range providers {
		if a := p.AcquireAddress(pools, sa, requested); a.IsValid() {
			return a
		}
	}
	return netip.Addr{}
}

// ReleaseAddress returns addr to the provider that handed it out.
func (m *Manager) ReleaseAddress(pools []string, addr netip.Addr, sa SA) bool {
	providers, _ := m.snapshot()
	for _, p := range providers {
		if p.ReleaseAddress(pools, addr, sa) {
			return true
		}
	}
	return false
}

// ResponderAttributes collects every provider's attributes for a peer
// that was assigned vips.
func (m *Manager) ResponderAttributes(pools []string, sa SA, vips []netip.Addr) []Attribute {
	providers, _ := m.snapshot()
	var out []Attribute
	for _, p := range providers {
		out = append(out, p.Attributes(pools, sa, vips)...)
	}
	return out
}

// InitiatorRequests collects the attributes every handler wants to
// request along with vips.
func (m *Manager) InitiatorRequests(sa SA, vips []netip.Addr) []Request {
	_, handlers := m.snapshot()
	var out []Request
	for _, h := range handlers {
		for _, a := range h.Request(sa, vips) {
			out = append(out, Request{Attribute: a, Handler: h})
		}
	}
	return out
}

// Handle gives a received attribute to the handler that requested it, or
// else to the first that takes it, and returns that handler (nil if none
// did, which is logged as charon does).
func (m *Manager) Handle(sa SA, requester Handler, a Attribute) Handler {
	_, handlers := m.snapshot()
	if requester != nil && slices.Contains(handlers, requester) && requester.Handle(sa, a) {
		return requester
	}
	for _, h := range handlers {
		if h.Handle(sa, a) {
			return h
		}
	}
	sa.logf(bus.CFG, bus.Control, "handling %s attribute failed", a.Type)
	return nil
}

// Release hands a handled attribute back to its handler, if it is still
// registered.
func (m *Manager) Release(h Handler, sa SA, a Attribute) {
	_, handlers := m.snapshot()
	if h != nil && slices.Contains(handlers, h) {
		h.Release(sa, a)
	}
}
