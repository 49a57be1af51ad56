package sa

import (
	"crypto/sha1"
	"net/netip"

	"github.com/goswan/goswan/encoding"
)

// initHash hashes an IKE_SA_INIT request to recognise retransmissions.
func initHash(data []byte) [sha1.Size]byte { return sha1.Sum(data) }

// CheckoutByMessage finds the IKE_SA an incoming message belongs to, or
// creates a responder SA for a new IKE_SA_INIT request. The boolean is
// true if the SA was created for this message.
func (m *Manager) CheckoutByMessage(msg *encoding.Message, raw []byte, src netip.AddrPort, thread int) (*IKESA, bool) {
	// Our role is the opposite of the sender's initiator flag.
	id := IKESAID{SPIi: msg.SPIi, SPIr: msg.SPIr, Initiator: !msg.Initiator}
	if msg.Exchange == encoding.ExchangeIKESAInit && !msg.Response && msg.SPIr == 0 && msg.MessageID == 0 {
		h := initHash(raw)
		m.mu.Lock()
		for _, e := range m.idx.bySPI[spiKey{msg.SPIi, false}] {
			if e.initSrc == src {
				if e.initHash == h {
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
				m.mu.Unlock()
				return nil, false // same SPI, other content: ignore
			}
		}
		if m.shutdown {
			m.mu.Unlock()
			return nil, false
		}
		m.ikeIDs++
		uid := m.ikeIDs
		m.mu.Unlock()
		ike := NewIKESA(m.env, IKESAID{SPIi: msg.SPIi, SPIr: m.NewSPI(), Initiator: false}, uid)
		ike.thread = thread
		m.mu.Lock()
		e := &entry{ike: ike, busy: true, halfOpen: true, initHash: h, initSrc: src}
		m.idx.add(e)
		m.idx.setHalfOpen(e, true)
		m.halfOpen++
		m.halfOpenResp++
		m.mu.Unlock()
		return ike, true
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

// halfOpenFrom is the number of half-open IKE_SAs ip started with us.
func (m *Manager) halfOpenFrom(ip netip.Addr) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.idx.halfOpenIP[ip]
}
