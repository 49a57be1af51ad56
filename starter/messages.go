package starter

import (
	"encoding/binary"
	"strings"

	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/stroke"
)

// The stroke messages starter sends (starterstroke.c). Every one goes out
// with output_verbosity -1: starter is not a terminal and wants no log back.

func str(s ipsecconf.Str) stroke.Str {
	if !s.Set {
		return stroke.Str{}
	}
	return stroke.S(s.Value)
}

func quiet(t stroke.Type, body stroke.Body) *stroke.Msg {
	return &stroke.Msg{Type: t, Verbosity: stroke.VerbositySilent, Body: body}
}

// message is one stroke message starter sends, encoded.
type message struct {
	Type stroke.Type
	// Name is the conn or ca the message is about ("" for STR_CONFIG).
	Name string
	Raw  []byte
	// Err is set when the message cannot be built (it would exceed 64 KiB);
	// starter then logs it instead of sending it.
	Err error
}

func encode(m *stroke.Msg, name string) message {
	raw, err := m.Encode()
	return message{Type: m.Type, Name: name, Raw: raw, Err: err}
}

// addConnMsg is starter_stroke_add_conn for conn number id.
func addConnMsg(setup *ipsecconf.Setup, c *ipsecconf.Conn, id uint64) message {
	m := c.AddConn(setup, id)
	body := &stroke.AddConn{
		Name:          stroke.S(m.Name),
		Version:       m.Version,
		EAPIdentity:   str(m.EAPIdentity),
		AAAIdentity:   str(m.AAAIdentity),
		XauthIdentity: str(m.XauthIdentity),
		Mode:          stroke.Mode(m.Mode),
		Mobike:        m.Mobike,
		Aggressive:    m.Aggressive,
		Pushmode:      m.PushMode,
		ForceEncap:    m.ForceEncap,
		Fragmentation: stroke.Fragmentation(m.Fragmentation),
		IPComp:        m.IPComp,
		Inactivity:    m.Inactivity,
		ProxyMode:     m.ProxyMode,
		InstallPolicy: m.InstallPolicy,
		CloseAction:   stroke.Action(m.CloseAction),
		Reqid:         m.ReqID,
		TFC:           m.TFC,
		IKEDSCP:       m.IKEDSCP,
		CRLPolicy:     stroke.CRLPolicy(m.CRLPolicy),
		Unique:        stroke.Unique(m.Unique),
		Algorithms:    stroke.Algorithms{IKE: str(m.IKE), ESP: str(m.ESP), AH: str(m.AH)},
		Rekey: stroke.RekeyConfig{
			Reauth:        m.Rekey.Reauth,
			IPsecLifetime: m.Rekey.IPsecLifetime,
			IKELifetime:   m.Rekey.IKELifetime,
			Margin:        m.Rekey.Margin,
			LifeBytes:     m.Rekey.LifeBytes,
			MarginBytes:   m.Rekey.MarginBytes,
			LifePackets:   m.Rekey.LifePackets,
			MarginPackets: m.Rekey.MarginPackets,
			Tries:         m.Rekey.Tries,
			Fuzz:          m.Rekey.Fuzz,
		},
		DPD:          stroke.DPD{Delay: m.DPD.Delay, Timeout: m.DPD.Timeout, Action: stroke.Action(m.DPD.Action)},
		IKEME:        stroke.IKEME{Mediation: m.Mediation, MediatedBy: str(m.MediatedBy), PeerID: str(m.PeerID)},
		MarkIn:       stroke.Mark{Value: m.MarkIn.Value, Mask: m.MarkIn.Mask},
		MarkOut:      stroke.Mark{Value: m.MarkOut.Value, Mask: m.MarkOut.Mask},
		Me:           strokeEnd(&m.Me),
		Other:        strokeEnd(&m.Other),
		ReplayWindow: m.ReplayWindow,
		SHA256_96:    m.SHA256_96,
	}
	msg := quiet(stroke.TypeAddConn, body)
	// The legacy authby= expansion is pushed after everything else.
	a := m.Authby
	var last []string
	var again []pushedTwice
	push := func(dst *stroke.Str, v ipsecconf.Str, name string, off int) {
		switch {
		case !v.Set:
		case dst.Valid:
			// leftauth2= and authby=xauth*: starter pushes the string a
			// second time and repoints the field, leaving the first copy
			// in the message.
			again = append(again, pushedTwice{off, v.Value})
		default:
			*dst = stroke.S(v.Value)
			last = append(last, name)
		}
	}
	push(&body.Me.Auth, a.MeAuth, "add_conn.me.auth", offMeAuth)
	push(&body.Other.Auth, a.OtherAuth, "add_conn.other.auth", offOtherAuth)
	push(&body.Other.Auth2, a.OtherAuth2, "add_conn.other.auth2", offOtherAuth2)
	push(&body.Me.Auth2, a.MeAuth2, "add_conn.me.auth2", offMeAuth2)
	if len(last) > 0 {
		if err := msg.PushLast(last...); err != nil {
			return message{Type: stroke.TypeAddConn, Name: m.Name, Err: err}
		}
	}
	out := encode(msg, m.Name)
	for _, p := range again {
		if out.Err == nil {
			out.Raw, out.Err = pushString(out.Raw, p.off, p.value)
		}
	}
	return out
}

// pushedTwice is a string field starter sets a second time.
type pushedTwice struct {
	off   int
	value string
}

// Offsets of the auth fields in an add_conn (stroke_wire.md §4.3: me at 296,
// other at 472, auth at +0, auth2 at +8) and of the two header fields that
// pushString updates.
const (
	offMeAuth     = 296
	offMeAuth2    = 304
	offOtherAuth  = 472
	offOtherAuth2 = 480
	offLength     = 0
	offBuflen     = 656
	structSize    = 664  // sizeof(stroke_msg_t)
	bufLenInc     = 1024 // STROKE_BUF_LEN_INC
)

// pushString is starter's push_string on an encoded message: append s and
// its NUL, point the field at off to it, and grow length and buflen as
// starter's realloc does.
func pushString(raw []byte, off int, s string) ([]byte, error) {
	length := len(raw)
	n := len(s) + 1
	if strings.IndexByte(s, 0) >= 0 {
		return nil, stroke.ErrNUL
	}
	if length+n >= stroke.MaxLen {
		return nil, stroke.ErrTooLong
	}
	buflen := int(binary.LittleEndian.Uint16(raw[offBuflen:]))
	for length+n > structSize+buflen {
		buflen += bufLenInc
	}
	binary.LittleEndian.PutUint64(raw[off:], uint64(length))
	raw = append(append(raw, s...), 0)
	binary.LittleEndian.PutUint16(raw[offLength:], uint16(len(raw)))
	binary.LittleEndian.PutUint16(raw[offBuflen:], uint16(buflen))
	return raw, nil
}

func strokeEnd(e *ipsecconf.AddConnEnd) stroke.End {
	return stroke.End{
		Auth: str(e.Auth), Auth2: str(e.Auth2), ID: str(e.ID), ID2: str(e.ID2),
		RSAKey: str(e.RSAKey), Cert: str(e.Cert), Cert2: str(e.Cert2), CA: str(e.CA), CA2: str(e.CA2),
		Groups: str(e.Groups), Groups2: str(e.Groups2), CertPolicy: str(e.CertPolicy),
		Updown: str(e.Updown), Address: str(e.Address), IKEPort: e.IKEPort,
		SourceIP: str(e.SourceIP), DNS: str(e.DNS), Subnets: str(e.Subnets),
		SendCert: stroke.CertPolicy(e.SendCert), HostAccess: e.HostAccess, ToHost: e.ToHost,
		AllowAny: e.AllowAny, Protocol: e.Protocol, FromPort: e.FromPort, ToPort: e.ToPort,
	}
}

// addCAMsg is starter_stroke_add_ca.
func addCAMsg(ca *ipsecconf.CA) message {
	m := ca.AddCA()
	return encode(quiet(stroke.TypeAddCA, &stroke.AddCA{
		Name: str(m.Name), CACert: str(m.CACert), CRLURI: str(m.CRLURI), CRLURI2: str(m.CRLURI2),
		OCSPURI: str(m.OCSPURI), OCSPURI2: str(m.OCSPURI2), CertURIBase: str(m.CertURIBase),
	}), ca.Name)
}

func delConnMsg(name string) message {
	return encode(quiet(stroke.TypeDelConn, &stroke.DelConn{Name: stroke.S(name)}), name)
}

func delCAMsg(name string) message {
	return encode(quiet(stroke.TypeDelCA, &stroke.DelCA{Name: stroke.S(name)}), name)
}

func routeMsg(name string) message {
	return encode(quiet(stroke.TypeRoute, &stroke.Route{Name: stroke.S(name)}), name)
}

func unrouteMsg(name string) message {
	return encode(quiet(stroke.TypeUnroute, &stroke.Unroute{Name: stroke.S(name)}), name)
}

func initiateMsg(name string) message {
	return encode(quiet(stroke.TypeInitiate, &stroke.Initiate{Name: stroke.S(name)}), name)
}

// configMsg is starter_stroke_configure's STR_CONFIG for cachecrls=yes.
func configMsg() message {
	return encode(quiet(stroke.TypeConfig, &stroke.Config{CacheCRL: 1}), "")
}

// EncodeAddConn is the add_conn message starter sends for conn c with
// number id, byte for byte; tests hand it to charon.
func EncodeAddConn(setup *ipsecconf.Setup, c *ipsecconf.Conn, id uint64) ([]byte, error) {
	m := addConnMsg(setup, c, id)
	return m.Raw, m.Err
}
