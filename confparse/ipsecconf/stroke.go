package ipsecconf

import "fmt"

// AddConnMsg holds the values starter_stroke_add_conn() (starterstroke.c)
// puts into a stroke add_conn message, field for field in the order of
// stroke_msg.h. The stroke encoder writes them at the offsets of
// reference/strongswan/stroke_wire.md §4.3 to build a message byte-identical
// to starter's.
//
// String fields are pushed into the message buffer in this order (the
// offsets on the wire follow it): Name, EAPIdentity, AAAIdentity,
// XauthIdentity, IKE, ESP, AH, MediatedBy, PeerID, then for Me and then
// Other: Auth, Auth2, ID, ID2, RSAKey, Cert, Cert2, CertPolicy, CA, CA2,
// Groups, Groups2, Updown, Address, Subnets, SourceIP, DNS; finally the
// authby= expansion in Authby: MeAuth, OtherAuth, then MeAuth2 or
// OtherAuth2. On the wire the expansion lands in me.auth/other.auth/...;
// it is kept apart here only because it is pushed last.
type AddConnMsg struct {
	Name          string
	Version       int32
	EAPIdentity   Str
	AAAIdentity   Str
	XauthIdentity Str
	Mode          int32
	Mobike        int32 // the raw option bit: 64 or 0
	Aggressive    int32
	PushMode      int32 // 16 or 0
	ForceEncap    int32 // 128 or 0
	Fragmentation int32
	IPComp        int32 // 2 or 0
	Inactivity    int64
	ProxyMode     int32
	InstallPolicy int32
	CloseAction   int32
	ReqID         uint32
	TFC           uint32
	IKEDSCP       uint8
	CRLPolicy     int32
	Unique        int32
	IKE, ESP, AH  Str
	Rekey         AddConnRekey
	DPD           AddConnDPD
	Mediation     int32
	MediatedBy    Str
	PeerID        Str
	MarkIn        Mark
	MarkOut       Mark
	Me, Other     AddConnEnd
	ReplayWindow  uint32
	SHA256_96     bool
	Authby        AuthbyExpansion
	// OutputVerbosity is what starter always sends: -1, silent.
	OutputVerbosity int32
}

// AddConnRekey is add_conn.rekey. With rekey=no everything but Tries is 0.
type AddConnRekey struct {
	Reauth        int32
	IPsecLifetime int64
	IKELifetime   int64
	Margin        int64
	LifeBytes     uint64
	MarginBytes   uint64
	LifePackets   uint64
	MarginPackets uint64
	Tries         uint64
	Fuzz          uint64
}

// AddConnDPD is add_conn.dpd.
type AddConnDPD struct {
	Delay   int64
	Timeout int64
	Action  int32
}

// AddConnEnd is a stroke_end_t as starter fills it.
type AddConnEnd struct {
	Auth, Auth2, ID, ID2, RSAKey, Cert, Cert2, CertPolicy Str
	CA, CA2, Groups, Groups2, Updown                      Str
	Address                                               Str // "%any" when the host is not set
	Subnets, SourceIP, DNS                                Str
	IKEPort                                               uint16
	SendCert                                              int32
	HostAccess                                            int32
	ToHost                                                int32 // 1 when no subnet is given
	AllowAny                                              int32
	Protocol                                              uint8
	FromPort                                              uint16
	ToPort                                                uint16
}

// AuthbyExpansion is the legacy authby= translation starter pushes when
// neither leftauth nor rightauth is set.
type AuthbyExpansion struct {
	MeAuth, OtherAuth, MeAuth2, OtherAuth2 Str
}

// StrokeName is the name starter sends for the conn: "%auto" becomes
// conn_<id>, where id is starter's running counter of conns it has added
// (1 for the first conn with auto other than ignore after start).
func (c *Conn) StrokeName(id uint64) string {
	if c.Name == "%auto" {
		return fmt.Sprintf("conn_%d", id)
	}
	return c.Name
}

func b2i(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

func addConnEnd(e *End) AddConnEnd {
	return AddConnEnd{
		Auth: e.Auth, Auth2: e.Auth2, ID: e.ID, ID2: e.ID2, RSAKey: e.SigKey,
		Cert: e.Cert, Cert2: e.Cert2, CertPolicy: e.CertPolicy, CA: e.CA, CA2: e.CA2,
		Groups: e.Groups, Groups2: e.Groups2, Updown: e.Updown,
		Address:    S(e.Host.Or("%any")),
		Subnets:    e.Subnet,
		SourceIP:   e.SourceIP,
		DNS:        e.DNS,
		IKEPort:    uint16(e.IKEPort),
		SendCert:   int32(e.SendCert),
		HostAccess: b2i(e.HostAccess),
		ToHost:     b2i(!e.Subnet.Set),
		AllowAny:   b2i(e.AllowAny),
		Protocol:   e.Protocol,
		FromPort:   e.FromPort,
		ToPort:     e.ToPort,
	}
}

// AddConn returns the add_conn message starter sends for c, with setup the
// config setup section and id the conn's number for "%auto" names.
func (c *Conn) AddConn(setup *Setup, id uint64) AddConnMsg {
	m := AddConnMsg{
		Name:            c.StrokeName(id),
		Version:         int32(c.KeyExchange),
		EAPIdentity:     c.EAPIdentity,
		AAAIdentity:     c.AAAIdentity,
		XauthIdentity:   c.XauthIdentity,
		Mode:            int32(c.Mode),
		ProxyMode:       b2i(c.ProxyMode),
		Mobike:          int32(c.Options & OptMobike),
		ForceEncap:      int32(c.Options & OptForceEncap),
		Fragmentation:   int32(c.Fragmentation),
		IKEDSCP:         uint8(c.IKEDSCP),
		IPComp:          int32(c.Options & OptCompress),
		InstallPolicy:   b2i(c.InstallPolicy),
		Aggressive:      b2i(c.Aggressive),
		PushMode:        int32(c.Options & OptModecfgPush),
		CRLPolicy:       int32(setup.StrictCRLPolicy),
		Unique:          int32(setup.UniqueIDs),
		IKE:             c.IKE,
		ESP:             c.ESP,
		AH:              c.AH,
		DPD:             AddConnDPD{Delay: int64(c.DPDDelay), Timeout: int64(c.DPDTimeout), Action: int32(c.DPDAction)},
		CloseAction:     int32(c.CloseAction),
		SHA256_96:       c.SHA256_96,
		Inactivity:      int64(c.Inactivity),
		Mediation:       b2i(c.MeMediation),
		MediatedBy:      c.MeMediatedBy,
		PeerID:          c.MePeerID,
		ReqID:           c.ReqID,
		ReplayWindow:    c.ReplayWindow,
		MarkIn:          c.MarkIn,
		MarkOut:         c.MarkOut,
		TFC:             c.TFC,
		Me:              addConnEnd(&c.Left),
		Other:           addConnEnd(&c.Right),
		OutputVerbosity: -1,
	}
	m.Rekey.Tries = c.KeyingTries
	if c.Options&OptDontRekey == 0 {
		m.Rekey.Reauth = b2i(c.Options&OptDontReauth == 0)
		m.Rekey.IPsecLifetime = int64(c.Lifetime)
		m.Rekey.IKELifetime = int64(c.IKELifetime)
		m.Rekey.Margin = int64(c.Margin)
		m.Rekey.LifeBytes = c.LifeBytes
		m.Rekey.MarginBytes = c.MarginBytes
		m.Rekey.LifePackets = c.LifePackets
		m.Rekey.MarginPackets = c.MarginPackets
		m.Rekey.Fuzz = c.RekeyFuzz
	}
	if !c.Left.Auth.Set && !c.Right.Auth.Set && c.Authby.Set {
		xauth := func(a *AuthbyExpansion) {
			if c.Options&OptXauthServer != 0 {
				a.OtherAuth2 = S("xauth")
			} else {
				a.MeAuth2 = S("xauth")
			}
		}
		a := &m.Authby
		switch c.Authby.Value {
		case "rsa", "rsasig", "ecdsa", "ecdsasig", "pubkey":
			a.MeAuth, a.OtherAuth = S("pubkey"), S("pubkey")
		case "secret", "psk":
			a.MeAuth, a.OtherAuth = S("psk"), S("psk")
		case "xauthrsasig":
			a.MeAuth, a.OtherAuth = S("pubkey"), S("pubkey")
			xauth(a)
		case "xauthpsk":
			a.MeAuth, a.OtherAuth = S("psk"), S("psk")
			xauth(a)
		}
	}
	return m
}

// AddCAMsg holds the values starter_stroke_add_ca() sends, pushed in this
// order.
type AddCAMsg struct {
	Name, CACert, CRLURI, CRLURI2, OCSPURI, OCSPURI2, CertURIBase Str
}

// AddCA returns the add_ca message starter sends for ca.
func (ca *CA) AddCA() AddCAMsg {
	return AddCAMsg{
		Name: S(ca.Name), CACert: ca.CACert, CRLURI: ca.CRLURI, CRLURI2: ca.CRLURI2,
		OCSPURI: ca.OCSPURI, OCSPURI2: ca.OCSPURI2, CertURIBase: ca.CertURIBase,
	}
}
