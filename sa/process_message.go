package sa

import (
	"errors"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
)

// ProcessPacket handles one received IKE datagram: the receiver's checks
// and the process_message job in one go, on the caller's thread (the
// simulation and tests; the daemon queues the job in between).
func (m *Manager) ProcessPacket(thread int, p Packet) {
	if in, ok := m.Receive(thread, p); ok {
		m.Process(thread, in)
	}
}

// Process is charon's process_message_job for a datagram Receive
// accepted: parse the message, find or create its IKE_SA, let the SA
// process it, check the SA in (or destroy it).
func (m *Manager) Process(thread int, in *Incoming) {
	defer m.Untrack(in) // every way out ends the receiver's count
	p := in.Packet
	log := func(g bus.Group, l bus.Level, format string, args ...any) {
		m.env.Bus.Log(thread, nil, g, l, format, args...)
	}
	msg, err := encoding.Decode(p.Data)
	if err != nil && msg == nil {
		log(bus.NET, bus.Control, "received invalid IKE header from %s - ignored", p.Src.Addr())
		return
	}
	if err != nil {
		switch {
		case errors.Is(err, encoding.ErrHeader), errors.Is(err, encoding.ErrUnsupportedVersion):
			// Receive took care of these; the bytes have not changed.
			return
		case errors.Is(err, encoding.ErrUnsupportedExchange):
			log(bus.ENC, bus.Control, "%v", err)
			log(bus.NET, bus.Control, "parsing IKE header from %s failed", p.Src.Addr())
			return
		}
		// A payload error: the SA answers INVALID_SYNTAX if it is a
		// request (or destroys a half-open one).
	}
	ike, _ := m.checkoutByMessage(msg, p.Data, p.Src, thread, in)
	if ike == nil {
		if !(msg.Exchange == encoding.ExchangeIKESAInit && !msg.Response) {
			m.env.Events.Alert(nil, AlertInvalidIKESPI, msg)
			log(bus.MGR, bus.Diag, "IKE_SA checkout not successful")
		}
		return
	}
	ike.Log(bus.NET, bus.Control, "received packet: from %s to %s (%d bytes)", FormatHost(p.Src), FormatHost(p.Dst), len(p.Data))
	// A message whose unprotected part failed to parse goes on with its
	// error: the task manager answers it as charon would.
	m.Release(ike, ike.ProcessMessage(msg, err, p.Data, p.Src, p.Dst))
}
