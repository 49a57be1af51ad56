package sa

import (
	"errors"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
)

// ProcessPacket handles one received IKE datagram on a worker: parse the
// header, find or create its IKE_SA, let the SA process it, check the SA
// in (or destroy it). It combines charon's receiver checks and
// process_message_job.
func (m *Manager) ProcessPacket(thread int, p Packet) {
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
		case errors.Is(err, encoding.ErrHeader):
			log(bus.NET, bus.Control, "received invalid IKE header from %s - ignored", p.Src.Addr())
			return
		case errors.Is(err, encoding.ErrUnsupportedVersion):
			log(bus.NET, bus.Control, "received unsupported IKE version %d.%d from %s, sending INVALID_MAJOR_VERSION",
				msg.MajorVersion, msg.MinorVersion, p.Src.Addr())
			m.sendInvalidMajorVersion(msg, p)
			return
		case errors.Is(err, encoding.ErrUnsupportedExchange):
			log(bus.ENC, bus.Control, "%v", err)
			log(bus.NET, bus.Control, "parsing IKE header from %s failed", p.Src.Addr())
			return
		}
		// A payload error: the SA answers INVALID_SYNTAX if it is a
		// request (or destroys a half-open one).
	}
	if msg.Exchange == encoding.ExchangeIKESAInit && !msg.Response {
		if m.env.Settings.InitiatorOnly || !msg.Initiator || m.dropIKESAInit(thread, msg, p) {
			return
		}
	}
	ike, _ := m.CheckoutByMessage(msg, p.Data, p.Src, thread)
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

// sendInvalidMajorVersion answers an IKE_SA_INIT of another major version
// (RFC 7296 §2.5).
func (m *Manager) sendInvalidMajorVersion(req *encoding.Message, p Packet) {
	if req.Exchange != encoding.ExchangeIKESAInit || req.Response {
		return
	}
	m.sendNotify(req, p, encoding.NotifyInvalidMajorVersion, nil)
}

// sendNotify answers a request with a notify outside of any IKE_SA, as
// charon's receiver does (COOKIE, INVALID_MAJOR_VERSION): the SPIs of the
// request with our role flag, unencrypted.
func (m *Manager) sendNotify(req *encoding.Message, p Packet, t encoding.NotifyType, data []byte) {
	resp := encoding.NewMessage(req.Exchange, req.MessageID)
	resp.SPIi, resp.SPIr, resp.Response = req.SPIi, req.SPIr, true
	resp.Initiator = !req.Initiator
	resp.AddNotify(t, data)
	b, err := resp.Encode(nil, m.env.Rand)
	if err != nil {
		return
	}
	m.env.Sender.Send(Packet{Data: b, Src: p.Dst, Dst: p.Src})
}
