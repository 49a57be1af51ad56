package ipsecconf

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// This file decodes stroke messages captured from Debian's starter, using
// the layout in reference/strongswan/stroke_wire.md §4, into the message
// types of stroke.go, so that tests can compare what starter sent with what
// Conn.AddConn computes. It also checks what the stroke encoder will have to
// reproduce: every string is pushed in starter's order, back to back from
// offset 658, and every byte that belongs to no field is zero.

const strokeBufferOffset = 658

type capturedMsg struct {
	Type      MsgType
	Verbosity int32
	Length    int
	BufLen    uint16
	Name      string // initiate/route/unroute/del_conn/del_ca name
	AddConn   *AddConnMsg
	AddCA     *AddCAMsg
	CacheCRL  int32
}

type strField struct {
	off   int
	name  string
	value string
}

type decoder struct {
	b       []byte
	covered []bool
	strs    []strField
	err     error
}

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf(format, args...)
	}
}

func (d *decoder) mark(off, n int) {
	for i := off; i < off+n && i < len(d.covered); i++ {
		d.covered[i] = true
	}
}

func (d *decoder) u8(off int) uint8 { d.mark(off, 1); return d.b[off] }
func (d *decoder) u16(off int) uint16 {
	d.mark(off, 2)
	return binary.LittleEndian.Uint16(d.b[off:])
}
func (d *decoder) u32(off int) uint32 {
	d.mark(off, 4)
	return binary.LittleEndian.Uint32(d.b[off:])
}
func (d *decoder) i32(off int) int32 { return int32(d.u32(off)) }
func (d *decoder) u64(off int) uint64 {
	d.mark(off, 8)
	return binary.LittleEndian.Uint64(d.b[off:])
}
func (d *decoder) i64(off int) int64 { return int64(d.u64(off)) }

func (d *decoder) str(off int, name string, dst *Str) {
	p := d.u64(off)
	if p == 0 {
		return
	}
	if p < strokeBufferOffset || p >= uint64(len(d.b)) {
		d.fail("%s: string offset %d outside the buffer", name, p)
		return
	}
	end := bytes.IndexByte(d.b[p:], 0)
	if end < 0 {
		d.fail("%s: string at %d not NUL-terminated", name, p)
		return
	}
	*dst = S(string(d.b[p : int(p)+end]))
	d.strs = append(d.strs, strField{off: int(p), name: name, value: dst.Value})
}

func decodeStroke(b []byte) (*capturedMsg, error) {
	if len(b) < strokeBufferOffset {
		return nil, fmt.Errorf("message of %d bytes is shorter than the header", len(b))
	}
	d := &decoder{b: b, covered: make([]bool, strokeBufferOffset)}
	m := &capturedMsg{Length: int(d.u16(0)), Type: MsgType(d.i32(4)), Verbosity: d.i32(8), BufLen: d.u16(656)}
	if m.Length != len(b) {
		return nil, fmt.Errorf("length field %d, message has %d bytes", m.Length, len(b))
	}
	var name Str
	switch m.Type {
	case MsgInitiate, MsgRoute, MsgUnroute, MsgDelConn, MsgDelCA:
		d.str(16, "name", &name)
		m.Name = name.Value
	case MsgConfig:
		m.CacheCRL = d.i32(16)
	case MsgAddCA:
		ca := &AddCAMsg{}
		for i, f := range []*Str{&ca.Name, &ca.CACert, &ca.CRLURI, &ca.CRLURI2, &ca.OCSPURI, &ca.OCSPURI2, &ca.CertURIBase} {
			d.str(16+8*i, fmt.Sprintf("add_ca[%d]", i), f)
		}
		m.AddCA = ca
		m.Name = ca.Name.Value
	case MsgAddConn:
		m.AddConn = d.addConn()
		m.Name = m.AddConn.Name
	default:
		return nil, fmt.Errorf("unexpected message type %d", m.Type)
	}
	if d.err != nil {
		return nil, d.err
	}
	for i := 0; i < strokeBufferOffset; i++ {
		if !d.covered[i] && b[i] != 0 {
			return nil, fmt.Errorf("byte %d belongs to no field but is 0x%02x", i, b[i])
		}
	}
	// Strings are packed back to back from the start of the buffer, in the
	// order they were pushed.
	sort.Slice(d.strs, func(i, j int) bool { return d.strs[i].off < d.strs[j].off })
	next := strokeBufferOffset
	for _, s := range d.strs {
		if s.off != next {
			return nil, fmt.Errorf("string %s at %d, expected the next string at %d", s.name, s.off, next)
		}
		next += len(s.value) + 1
	}
	if next != len(b) {
		return nil, fmt.Errorf("strings end at %d, message at %d", next, len(b))
	}
	// The C client grows its buffer in steps of 1024 bytes beyond the
	// 664-byte struct and sends the count along.
	want := 0
	for 664+want < len(b) {
		want += 1024
	}
	if int(m.BufLen) != want {
		return nil, fmt.Errorf("buflen %d, expected %d for %d bytes", m.BufLen, want, len(b))
	}
	return m, nil
}

func (d *decoder) end(base int, e *AddConnEnd, side string) {
	for _, f := range []struct {
		rel int
		n   string
		dst *Str
	}{
		{0, "auth", &e.Auth}, {8, "auth2", &e.Auth2}, {16, "id", &e.ID}, {24, "id2", &e.ID2},
		{40, "rsakey", &e.RSAKey}, {48, "cert", &e.Cert}, {56, "cert2", &e.Cert2},
		{64, "ca", &e.CA}, {72, "ca2", &e.CA2}, {80, "groups", &e.Groups}, {88, "groups2", &e.Groups2},
		{96, "cert_policy", &e.CertPolicy}, {104, "updown", &e.Updown}, {112, "address", &e.Address},
		{128, "sourceip", &e.SourceIP}, {136, "dns", &e.DNS}, {144, "subnets", &e.Subnets},
	} {
		d.str(base+f.rel, side+"."+f.n, f.dst)
	}
	var eapID Str
	d.str(base+32, side+".eap_id", &eapID)
	if eapID.Set {
		d.fail("%s.eap_id is set; starter never sets it", side)
	}
	e.IKEPort = d.u16(base + 120)
	e.SendCert = d.i32(base + 152)
	e.HostAccess = d.i32(base + 156)
	e.ToHost = d.i32(base + 160)
	e.AllowAny = d.i32(base + 164)
	e.Protocol = d.u8(base + 168)
	e.FromPort = d.u16(base + 170)
	e.ToPort = d.u16(base + 172)
}

func (d *decoder) addConn() *AddConnMsg {
	m := &AddConnMsg{}
	var name Str
	d.str(16, "name", &name)
	m.Name = name.Value
	m.Version = d.i32(24)
	d.str(32, "eap_identity", &m.EAPIdentity)
	d.str(40, "aaa_identity", &m.AAAIdentity)
	d.str(48, "xauth_identity", &m.XauthIdentity)
	m.Mode = d.i32(56)
	m.Mobike = d.i32(60)
	m.Aggressive = d.i32(64)
	m.PushMode = d.i32(68)
	m.ForceEncap = d.i32(72)
	m.Fragmentation = d.i32(76)
	m.IPComp = d.i32(80)
	m.Inactivity = d.i64(88)
	m.ProxyMode = d.i32(96)
	m.InstallPolicy = d.i32(100)
	m.CloseAction = d.i32(104)
	m.ReqID = d.u32(108)
	m.TFC = d.u32(112)
	m.IKEDSCP = d.u8(116)
	m.CRLPolicy = d.i32(120)
	m.Unique = d.i32(124)
	d.str(128, "algorithms.ike", &m.IKE)
	d.str(136, "algorithms.esp", &m.ESP)
	d.str(144, "algorithms.ah", &m.AH)
	m.Rekey = AddConnRekey{
		Reauth: d.i32(152), IPsecLifetime: d.i64(160), IKELifetime: d.i64(168), Margin: d.i64(176),
		LifeBytes: d.u64(184), MarginBytes: d.u64(192), LifePackets: d.u64(200), MarginPackets: d.u64(208),
		Tries: d.u64(216), Fuzz: d.u64(224),
	}
	m.DPD = AddConnDPD{Delay: d.i64(232), Timeout: d.i64(240), Action: d.i32(248)}
	m.Mediation = d.i32(256)
	d.str(264, "ikeme.mediated_by", &m.MediatedBy)
	d.str(272, "ikeme.peerid", &m.PeerID)
	m.MarkIn = Mark{Value: d.u32(280), Mask: d.u32(284)}
	m.MarkOut = Mark{Value: d.u32(288), Mask: d.u32(292)}
	d.end(296, &m.Me, "me")
	d.end(472, &m.Other, "other")
	m.ReplayWindow = d.u32(648)
	m.SHA256_96 = d.u8(652) != 0
	m.OutputVerbosity = d.i32(8)

	// An auth string pushed after every regular string came from the
	// authby= expansion.
	lastRegular := 0
	for _, s := range d.strs {
		if !strings.HasSuffix(s.name, ".auth") && !strings.HasSuffix(s.name, ".auth2") && s.off > lastRegular {
			lastRegular = s.off
		}
	}
	for _, f := range d.strs {
		if f.off < lastRegular {
			continue
		}
		switch f.name {
		case "me.auth":
			m.Authby.MeAuth, m.Me.Auth = m.Me.Auth, Str{}
		case "other.auth":
			m.Authby.OtherAuth, m.Other.Auth = m.Other.Auth, Str{}
		case "me.auth2":
			m.Authby.MeAuth2, m.Me.Auth2 = m.Me.Auth2, Str{}
		case "other.auth2":
			m.Authby.OtherAuth2, m.Other.Auth2 = m.Other.Auth2, Str{}
		}
	}
	return m
}

// diffStructs lists the fields in which a and b differ.
func diffStructs(prefix string, a, b reflect.Value) []string {
	if a.Kind() == reflect.Pointer {
		a, b = a.Elem(), b.Elem()
	}
	if a.Kind() != reflect.Struct || a.Type() == reflect.TypeOf(Str{}) || a.Type() == reflect.TypeOf(Mark{}) {
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			return []string{fmt.Sprintf("%s: got %v, starter sent %v", prefix, a.Interface(), b.Interface())}
		}
		return nil
	}
	var out []string
	for i := 0; i < a.NumField(); i++ {
		name := a.Type().Field(i).Name
		if prefix != "" {
			name = prefix + "." + name
		}
		out = append(out, diffStructs(name, a.Field(i), b.Field(i))...)
	}
	return out
}
