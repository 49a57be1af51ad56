package sa

import (
	"crypto/sha1"
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
)

// initHash hashes an IKE_SA_INIT request to recognise retransmissions.
func initHash(data []byte) [sha1.Size]byte { return sha1.Sum(data) }

// CheckoutByMessage finds the IKE_SA an incoming message belongs to, or
// creates a responder SA for a new IKE_SA_INIT request. The boolean is
// true if the SA was created for this message.
func (m *Manager) CheckoutByMessage(msg *encoding.Message, raw []byte, src netip.AddrPort, thread int) (*IKESA, bool) {
	return m.checkoutByMessage(msg, raw, src, thread, nil)
}

// checkoutByMessage is CheckoutByMessage for a datagram the receiver
// counted as half open (in): the count ends where the new SA's begins, or
// where the request turns out to be a retransmission or refused, so that
// the half-open figures never dip in between.
func (m *Manager) checkoutByMessage(msg *encoding.Message, raw []byte, src netip.AddrPort, thread int, in *Incoming) (*IKESA, bool) {
	// Our role is the opposite of the sender's initiator flag.
	id := IKESAID{SPIi: msg.SPIi, SPIr: msg.SPIr, Initiator: !msg.Initiator}
	if msg.Exchange == encoding.ExchangeIKESAInit && !msg.Response && msg.SPIr == 0 && msg.MessageID == 0 {
		return m.checkoutInit(msg, raw, src, thread, in)
	}
	if msg.Exchange == encoding.ExchangeIKESAInit && msg.Response {
		// We initiated; the SA is registered without the responder SPI.
		id.SPIr = 0
	}
	ike := m.Checkout(id, thread)
	if ike != nil && ike.id.SPIr == 0 && msg.SPIr != 0 {
		ike.SetResponderSPI(msg.SPIr)
	}
	return ike, false
}

// checkoutInit finds the responder SA of a retransmitted IKE_SA_INIT
// request or creates one for a new request, within charon.ikesa_limit.
func (m *Manager) checkoutInit(msg *encoding.Message, raw []byte, src netip.AddrPort, thread int, in *Incoming) (*IKESA, bool) {
	h := initHash(raw)
	m.mu.Lock()
	for _, e := range m.idx.bySPI[spiKey{msg.SPIi, false}] {
		if e.ike.id.Initiator || e.initSrc != src {
			continue
		}
		m.untrackLocked(in)
		if e.initHash != h {
			m.mu.Unlock()
			return nil, false // same SPI, other content: ignore
		}
		// A retransmission: the existing SA answers it.
		if !m.waitLocked(e) {
			m.mu.Unlock()
			return nil, false
		}
		e.busy = true
		e.ike.thread = thread
		m.mu.Unlock()
		return e.ike, false
	}
	if m.shutdown {
		m.untrackLocked(in)
		m.mu.Unlock()
		return nil, false
	}
	if lim := int(m.env.Settings.IKESALimit); lim != 0 && m.idx.n >= lim {
		m.untrackLocked(in)
		m.mu.Unlock()
		m.env.Bus.Log(thread, nil, bus.MGR, bus.Control, "ignoring %s, hitting IKE_SA limit (%d)", msg.Exchange, lim)
		return nil, false
	}
	m.ikeIDs++
	uid := m.ikeIDs
	m.mu.Unlock()
	ike := NewIKESA(m.env, IKESAID{SPIi: msg.SPIi, SPIr: m.NewSPI(), Initiator: false}, uid)
	ike.thread = thread
	m.mu.Lock()
	e := &entry{ike: ike, busy: true, initHash: h, initSrc: src}
	m.addLocked(e)
	m.setHalfOpenLocked(e, true, src.Addr())
	m.untrackLocked(in)
	m.mu.Unlock()
	return ike, true
}

// HalfOpen is the number of half-open IKE_SAs in both roles (what status
// shows and init_limit_half_open limits on initiation).
func (m *Manager) HalfOpen() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.halfOpen
}

// HalfOpenResponder is the number of half-open IKE_SAs a peer started
// (what the receiver's DoS limits count).
func (m *Manager) HalfOpenResponder() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.halfOpenResp
}

// halfOpenFrom is the number of half-open IKE_SAs ip started with us,
// its queued IKE_SA_INIT requests included.
func (m *Manager) halfOpenFrom(ip netip.Addr) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idx.halfOpenIP[ip]
}

// HalfOpenAddresses reports how many peer addresses have half-open
// IKE_SAs (or queued IKE_SA_INITs) with us as responder, and the most any
// one of them has: what block_threshold bounds.
func (m *Manager) HalfOpenAddresses() (addresses, most int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, n := range m.idx.halfOpenIP {
		most = max(most, n)
	}
	return len(m.idx.halfOpenIP), most
}
