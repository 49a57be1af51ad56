package stroke

import "fmt"

// AddConn is STR_ADD_CONN, a conn section of ipsec.conf as starter sends it
// after applying its defaults. Every field of stroke_msg_t's add_conn member
// is here, holding the value as it is on the wire: several "boolean" fields
// carry starter's option bit rather than 1 (mobike 64, pushmode 16,
// force_encap 128, ipcomp 2), and charon only tests them for nonzero.
type AddConn struct {
	Name          Str
	Version       int32 // keyexchange: 0 ike (either), 1 ikev1, 2 ikev2
	EAPIdentity   Str
	AAAIdentity   Str
	XauthIdentity Str
	Mode          Mode
	Mobike        int32
	Aggressive    int32
	Pushmode      int32 // modeconfig=push
	ForceEncap    int32 // forceencaps=yes
	Fragmentation Fragmentation
	IPComp        int32 // compress=yes
	Inactivity    int64 // seconds (time_t)
	ProxyMode     int32
	InstallPolicy int32
	CloseAction   Action
	Reqid         uint32
	TFC           uint32 // bytes of TFC padding, 0xffffffff = %mtu
	IKEDSCP       uint8  // DSCP value of IKE packets, 6 bits
	CRLPolicy     CRLPolicy
	Unique        Unique
	Algorithms    Algorithms
	Rekey         RekeyConfig
	DPD           DPD
	IKEME         IKEME
	MarkIn        Mark
	MarkOut       Mark
	Me            End    // left
	Other         End    // right
	ReplayWindow  uint32 // 0xffffffff: use charon.replay_window
	SHA256_96     bool   // sha256_96=yes (a C bool, one byte)
}

// Algorithms are the proposal strings of ike=, esp= and ah=.
type Algorithms struct {
	IKE Str
	ESP Str
	AH  Str
}

// RekeyConfig holds the lifetimes and rekeying options. Starter leaves all
// but Tries zero for rekey=no.
type RekeyConfig struct {
	Reauth        int32  // reauth=yes
	IPsecLifetime int64  // lifetime=, seconds (time_t)
	IKELifetime   int64  // ikelifetime=, seconds
	Margin        int64  // rekeymargin=, seconds
	LifeBytes     uint64 // lifebytes=
	MarginBytes   uint64 // marginbytes=
	LifePackets   uint64 // lifepackets=
	MarginPackets uint64 // marginpackets=
	Tries         uint64 // keyingtries=, 0 = %forever (unsigned long)
	Fuzz          uint64 // rekeyfuzz=, percent (unsigned long)
}

// DPD holds dead peer detection options.
type DPD struct {
	Delay   int64 // dpddelay=, seconds (time_t)
	Timeout int64 // dpdtimeout=, seconds (time_t)
	Action  Action
}

// IKEME holds the IKE mediation extension options.
type IKEME struct {
	Mediation  int32
	MediatedBy Str
	PeerID     Str
}

// Mark is a mark value and mask (mark_in=, mark_out=).
type Mark struct {
	Value uint32
	Mask  uint32
}

// End is stroke_end_t, one side of a connection.
type End struct {
	Auth       Str
	Auth2      Str
	ID         Str
	ID2        Str
	EAPID      Str // in the struct but sent by neither starter nor stroke
	RSAKey     Str
	Cert       Str
	Cert2      Str
	CA         Str
	CA2        Str
	Groups     Str
	Groups2    Str
	CertPolicy Str
	Updown     Str
	Address    Str // left=; starter sends "%any" when unset
	IKEPort    uint16
	SourceIP   Str
	DNS        Str
	Subnets    Str
	SendCert   CertPolicy
	HostAccess int32
	ToHost     int32 // starter: 1 when no subnet was given
	AllowAny   int32 // left=%<address>
	Protocol   uint8
	FromPort   uint16
	ToPort     uint16
}

// Absolute offsets of the two ends in the message.
const (
	offMe    = 296
	offOther = 472
)

func (*AddConn) member() string { return "add_conn" }

func (b *AddConn) walk(w walker) {
	w.str(16, "add_conn.name", &b.Name)
	w.i32(24, "add_conn.version", &b.Version)
	w.str(32, "add_conn.eap_identity", &b.EAPIdentity)
	w.str(40, "add_conn.aaa_identity", &b.AAAIdentity)
	w.str(48, "add_conn.xauth_identity", &b.XauthIdentity)
	w.i32(56, "add_conn.mode", (*int32)(&b.Mode))
	w.i32(60, "add_conn.mobike", &b.Mobike)
	w.i32(64, "add_conn.aggressive", &b.Aggressive)
	w.i32(68, "add_conn.pushmode", &b.Pushmode)
	w.i32(72, "add_conn.force_encap", &b.ForceEncap)
	w.i32(76, "add_conn.fragmentation", (*int32)(&b.Fragmentation))
	w.i32(80, "add_conn.ipcomp", &b.IPComp)
	w.i64(88, "add_conn.inactivity", &b.Inactivity)
	w.i32(96, "add_conn.proxy_mode", &b.ProxyMode)
	w.i32(100, "add_conn.install_policy", &b.InstallPolicy)
	w.i32(104, "add_conn.close_action", (*int32)(&b.CloseAction))
	w.u32(108, "add_conn.reqid", &b.Reqid)
	w.u32(112, "add_conn.tfc", &b.TFC)
	w.u8(116, "add_conn.ikedscp", &b.IKEDSCP)
	w.i32(120, "add_conn.crl_policy", (*int32)(&b.CRLPolicy))
	w.i32(124, "add_conn.unique", (*int32)(&b.Unique))
	w.str(128, "add_conn.algorithms.ike", &b.Algorithms.IKE)
	w.str(136, "add_conn.algorithms.esp", &b.Algorithms.ESP)
	w.str(144, "add_conn.algorithms.ah", &b.Algorithms.AH)
	w.i32(152, "add_conn.rekey.reauth", &b.Rekey.Reauth)
	w.i64(160, "add_conn.rekey.ipsec_lifetime", &b.Rekey.IPsecLifetime)
	w.i64(168, "add_conn.rekey.ike_lifetime", &b.Rekey.IKELifetime)
	w.i64(176, "add_conn.rekey.margin", &b.Rekey.Margin)
	w.u64(184, "add_conn.rekey.life_bytes", &b.Rekey.LifeBytes)
	w.u64(192, "add_conn.rekey.margin_bytes", &b.Rekey.MarginBytes)
	w.u64(200, "add_conn.rekey.life_packets", &b.Rekey.LifePackets)
	w.u64(208, "add_conn.rekey.margin_packets", &b.Rekey.MarginPackets)
	w.u64(216, "add_conn.rekey.tries", &b.Rekey.Tries)
	w.u64(224, "add_conn.rekey.fuzz", &b.Rekey.Fuzz)
	w.i64(232, "add_conn.dpd.delay", &b.DPD.Delay)
	w.i64(240, "add_conn.dpd.timeout", &b.DPD.Timeout)
	w.i32(248, "add_conn.dpd.action", (*int32)(&b.DPD.Action))
	w.i32(256, "add_conn.ikeme.mediation", &b.IKEME.Mediation)
	w.str(264, "add_conn.ikeme.mediated_by", &b.IKEME.MediatedBy)
	w.str(272, "add_conn.ikeme.peerid", &b.IKEME.PeerID)
	w.u32(280, "add_conn.mark_in.value", &b.MarkIn.Value)
	w.u32(284, "add_conn.mark_in.mask", &b.MarkIn.Mask)
	w.u32(288, "add_conn.mark_out.value", &b.MarkOut.Value)
	w.u32(292, "add_conn.mark_out.mask", &b.MarkOut.Mask)
	b.Me.walk(w, offMe, "add_conn.me.")
	b.Other.walk(w, offOther, "add_conn.other.")
	w.u32(648, "add_conn.replay_window", &b.ReplayWindow)
	w.boolean(652, "add_conn.sha256_96", &b.SHA256_96)
}

func (e *End) walk(w walker, base int, prefix string) {
	w.str(base+0, prefix+"auth", &e.Auth)
	w.str(base+8, prefix+"auth2", &e.Auth2)
	w.str(base+16, prefix+"id", &e.ID)
	w.str(base+24, prefix+"id2", &e.ID2)
	w.str(base+32, prefix+"eap_id", &e.EAPID)
	w.str(base+40, prefix+"rsakey", &e.RSAKey)
	w.str(base+48, prefix+"cert", &e.Cert)
	w.str(base+56, prefix+"cert2", &e.Cert2)
	w.str(base+64, prefix+"ca", &e.CA)
	w.str(base+72, prefix+"ca2", &e.CA2)
	w.str(base+80, prefix+"groups", &e.Groups)
	w.str(base+88, prefix+"groups2", &e.Groups2)
	w.str(base+96, prefix+"cert_policy", &e.CertPolicy)
	w.str(base+104, prefix+"updown", &e.Updown)
	w.str(base+112, prefix+"address", &e.Address)
	w.u16(base+120, prefix+"ikeport", &e.IKEPort)
	w.str(base+128, prefix+"sourceip", &e.SourceIP)
	w.str(base+136, prefix+"dns", &e.DNS)
	w.str(base+144, prefix+"subnets", &e.Subnets)
	w.i32(base+152, prefix+"sendcert", (*int32)(&e.SendCert))
	w.i32(base+156, prefix+"hostaccess", &e.HostAccess)
	w.i32(base+160, prefix+"tohost", &e.ToHost)
	w.i32(base+164, prefix+"allow_any", &e.AllowAny)
	w.u8(base+168, prefix+"protocol", &e.Protocol)
	w.u16(base+170, prefix+"from_port", &e.FromPort)
	w.u16(base+172, prefix+"to_port", &e.ToPort)
}

// addConnPushOrder is the order in which starter pushes the strings of an
// add_conn (starter_stroke_add_conn and add_end): the connection's own
// strings, then each end. stroke's "add" pushes a subset in the same order.
// eap_id is pushed by nobody; it goes last.
var addConnPushOrder = func() []string {
	order := []string{
		"add_conn.name", "add_conn.eap_identity", "add_conn.aaa_identity",
		"add_conn.xauth_identity", "add_conn.algorithms.ike", "add_conn.algorithms.esp",
		"add_conn.algorithms.ah", "add_conn.ikeme.mediated_by", "add_conn.ikeme.peerid",
	}
	for _, end := range []string{"add_conn.me.", "add_conn.other."} {
		for _, f := range []string{"auth", "auth2", "id", "id2", "rsakey", "cert", "cert2",
			"cert_policy", "ca", "ca2", "groups", "groups2", "updown", "address", "subnets",
			"sourceip", "dns"} {
			order = append(order, end+f)
		}
	}
	return append(order, "add_conn.me.eap_id", "add_conn.other.eap_id")
}()

// PushLast sets Order so that the named strings are packed after all others,
// in the order given, and the rest in the default order. This is what
// starter does when it expands the legacy authby= option: the auth strings
// it derives are pushed last, "add_conn.me.auth", "add_conn.other.auth" and,
// for xauth*, "add_conn.other.auth2" (xauth=server) or "add_conn.me.auth2".
func (m *Msg) PushLast(names ...string) error {
	body, err := m.checkBody()
	if err != nil {
		return err
	}
	all := defaultOrder(body)
	index := make(map[string]bool, len(all))
	for _, n := range all {
		index[n] = true
	}
	last := make(map[string]bool, len(names))
	for _, n := range names {
		if !index[n] {
			return fmt.Errorf("stroke: %s has no string field %q", m.Type, n)
		}
		last[n] = true
	}
	order := make([]string, 0, len(all))
	for _, n := range all {
		if !last[n] {
			order = append(order, n)
		}
	}
	m.Order = append(order, names...)
	return nil
}
