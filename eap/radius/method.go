package radius

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/encoding"
)

// Options are the eap-radius plugin's settings the method uses.
type Options struct {
	// EAPStart starts with an empty EAP-Message (EAP-Start) instead of
	// the peer's EAP-Identity response (eap_start).
	EAPStart bool
	// IDPrefix is put before the identity in User-Name and the
	// EAP-Identity response (id_prefix).
	IDPrefix string
	// StationIDWithPort adds the port to Called- and Calling-Station-Id
	// (station_id_with_port).
	StationIDWithPort bool
	// ClassGroup makes Class attributes group memberships (class_group).
	ClassGroup bool
}

// Plugin is eap-radius: the configured servers and options; its method
// forwards a conversation to the best server.
type Plugin struct {
	Servers []*Pool
	Options Options
	// Rand breaks ties between servers of equal preference.
	Rand io.Reader
}

// Register adds the method (EAP_RADIUS, server role) to m.
func (p *Plugin) Register(m *eap.Manager) {
	m.Add(eap.TypeRadius, 0, eap.Server, p.NewMethod)
}

// selectServer picks the server with the highest preference, choosing
// between equal ones at random (eap_radius_create_client).
func (p *Plugin) selectServer(log bus.Logger) *Pool {
	var best *Pool
	bestPref := -1
	for _, s := range p.Servers {
		pref := s.Preference()
		var coin [1]byte
		_, _ = io.ReadFull(p.Rand, coin[:])
		if pref > bestPref || (pref == bestPref && coin[0]%2 == 0) {
			log.Logf(bus.CFG, bus.Diag, "RADIUS server '%s' is candidate: %d", s.Server.Name, pref)
			best, bestPref = s, pref
		} else {
			log.Logf(bus.CFG, bus.Diag, "RADIUS server '%s' skipped: %d", s.Server.Name, pref)
		}
	}
	return best
}

// NewMethod creates the method for a conversation; nil without a server.
func (p *Plugin) NewMethod(ctx *eap.Context) eap.Method {
	srv := p.selectServer(ctx.Log)
	if srv == nil {
		return nil
	}
	return &method{ctx: ctx, opts: p.Options, client: NewClient(srv, ctx.Log), typ: eap.TypeRadius}
}

// method is eap_radius.c: the EAP server side handed to a RADIUS server.
// Its type is EAP_RADIUS until the server picks a method.
type method struct {
	ctx         *eap.Context
	opts        Options
	client      *Client
	typ, vendor uint32
	identifier  uint8
	auth        *eap.Auth
}

// identityResponse is the peer's EAP-Identity response the method sends
// in its name.
func (m *method) identityResponse() []byte {
	id := append([]byte(m.opts.IDPrefix), m.ctx.Peer.Encoding()...)
	p := []byte{byte(encoding.EAPResponse), m.identifier, 0, 0, byte(eap.TypeIdentity)}
	p = append(p, id...)
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	return p
}

// newRequest is an Access-Request with User-Name and the attributes that
// describe the IKE_SA.
func (m *method) newRequest() *Message {
	req := &Message{Code: AccessRequest}
	req.Add(AttrUserName, append([]byte(m.opts.IDPrefix), m.ctx.Peer.Encoding()...))
	m.addSAAttributes(req)
	return req
}

// addSAAttributes adds eap_radius_build_attributes' attributes: a virtual
// NAS port of a framed service, the IKE_SA's unique ID and name, our
// address, and both ends as station IDs.
func (m *method) addSAAttributes(req *Message) {
	u32 := func(v uint32) []byte { return binary.BigEndian.AppendUint32(nil, v) }
	req.Add(AttrNASPortType, u32(5)) // virtual
	req.Add(AttrServiceType, u32(2)) // framed
	sa := m.ctx.SA
	req.Add(AttrNASPort, u32(sa.UniqueID))
	req.Add(AttrNASPortID, []byte(sa.Name))
	my := sa.MyHost.Addr().Unmap()
	switch {
	case my.Is4():
		a := my.As4()
		req.Add(AttrNASIPAddress, a[:])
	case my.Is6():
		a := my.As16()
		req.Add(AttrNASIPv6Address, a[:])
	}
	req.Add(AttrCalledStationID, []byte(m.stationID(sa.MyHost)))
	req.Add(AttrCallingStationID, []byte(m.stationID(sa.OtherHost)))
}

// stationID prints a host as %H (address) or %#H (address[port]).
func (m *method) stationID(h netip.AddrPort) string {
	a := h.Addr().Unmap().String()
	if m.opts.StationIDWithPort {
		return fmt.Sprintf("%s[%d]", a, h.Port())
	}
	return a
}

// fromRADIUS is radius2ike: the EAP-Message attributes of the response,
// joined; the method becomes the type the server selected.
func (m *method) fromRADIUS(resp *Message) ([]byte, bool) {
	var msg []byte
	for _, a := range resp.Attributes {
		if a.Type == AttrEAPMessage && len(a.Value) > 0 {
			msg = append(msg, a.Value...)
		}
	}
	if len(msg) == 0 {
		return nil, false
	}
	m.typ, m.vendor = eap.PacketType(msg)
	m.ctx.Log.Logf(bus.IKE, bus.Raw, "%s payload %x", eap.TypeName(m.typ), msg)
	return msg, true
}

func (m *method) Initiate() ([]byte, eap.Status) {
	req := m.newRequest()
	if m.opts.EAPStart {
		req.Add(AttrEAPMessage, nil)
	} else {
		req.Add(AttrEAPMessage, m.identityResponse())
	}
	resp := m.client.Request(req)
	if resp == nil {
		return nil, eap.Failed
	}
	if resp.Code == AccessChallenge {
		if out, ok := m.fromRADIUS(resp); ok {
			return out, eap.NeedMore
		}
		return nil, eap.Failed
	}
	// An Access-Accept without authentication (as Microsoft's servers
	// may send) is as good as a reject.
	m.ctx.Log.Logf(bus.IKE, bus.Control, "RADIUS authentication of '%s' failed", m.ctx.Peer)
	return nil, eap.Failed
}

func (m *method) Process(in []byte) ([]byte, eap.Status) {
	req := m.newRequest()
	m.ctx.Log.Logf(bus.IKE, bus.Raw, "%s payload %x", eap.TypeName(m.typ), in)
	// EAP messages longer than an attribute are split over several.
	data := in
	for len(data) > MaxAttributeSize {
		req.Add(AttrEAPMessage, data[:MaxAttributeSize])
		data = data[MaxAttributeSize:]
	}
	req.Add(AttrEAPMessage, data)
	resp := m.client.Request(req)
	if resp == nil {
		return nil, eap.Failed
	}
	switch resp.Code {
	case AccessChallenge:
		if out, ok := m.fromRADIUS(resp); ok {
			return out, eap.NeedMore
		}
		return nil, eap.Failed
	case AccessAccept:
		m.processAttributes(resp)
		m.ctx.Log.Logf(bus.IKE, bus.Control, "RADIUS authentication of '%s' successful", m.ctx.Peer)
		return nil, eap.Success
	}
	m.ctx.Log.Logf(bus.IKE, bus.Control, "RADIUS authentication of '%s' failed", m.ctx.Peer)
	return nil, eap.Failed
}

// processAttributes takes what an Access-Accept grants the peer
// (eap_radius_process_attributes): group memberships from Class
// attributes shorter than 44 octets (longer ones serve other purposes,
// as with Microsoft's NPS), if class_group is set, and the
// Session-Timeout as the authentication's lifetime.
func (m *method) processAttributes(resp *Message) {
	m.auth = &eap.Auth{}
	for _, a := range resp.Attributes {
		switch {
		case a.Type == AttrClass && m.opts.ClassGroup && len(a.Value) < 44:
			id := credentials.FromData(a.Value)
			m.ctx.Log.Logf(bus.CFG, bus.Control, "received group membership '%s' from RADIUS", id)
			m.auth.Groups = append(m.auth.Groups, id)
		case a.Type == AttrSessionTimeout && len(a.Value) == 4:
			t := binary.BigEndian.Uint32(a.Value)
			m.auth.SessionTimeout = &t
		}
	}
}

// Auth implements eap.AuthProvider.
func (m *method) Auth() *eap.Auth { return m.auth }

func (m *method) Type() (uint32, uint32) { return m.typ, m.vendor }

// MSK is the one of the MPPE keys; a method without them established
// none (had it failed to, the server would have rejected).
func (m *method) MSK() ([]byte, eap.Status) {
	if msk := m.client.MSK(); len(msk) > 0 {
		return msk, eap.Success
	}
	return nil, eap.NotSupported
}

func (m *method) Identifier() uint8      { return m.identifier }
func (m *method) SetIdentifier(id uint8) { m.identifier = id }

// IsMutual: only EAP-AKA and EAP-SIM authenticate the server too.
func (m *method) IsMutual() bool { return m.vendor == 0 && (m.typ == 23 || m.typ == 18) }

func (m *method) Destroy() { m.client.Destroy() }
