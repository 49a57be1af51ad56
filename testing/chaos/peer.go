package chaos

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/network"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/tasks"
	"github.com/goswan/goswan/testing/fakekernel"
)

// PeerOptions shape the adversarial peer: goswan's own IKEv2 code in the
// attacker's namespace, on a real socket and a fake kernel, which sets up
// an IKE_SA with moon and then sends, on it, what a peer must not.
type PeerOptions struct {
	Self, Target netip.Addr
	// Inner is the peer's side of its CHILD_SAs; Remote moon's.
	Inner, Remote netip.Prefix
	ID, TargetID  string
	PSK           string
	// ForeignSPI is moon's outbound SPI of another peer's CHILD_SA.
	ForeignSPI uint32
	// Children is how many CHILD_SAs the flood of CREATE_CHILD_SA asks.
	Children int
	Logf     func(format string, args ...any)
}

// PeerCase is one misbehaviour and moon's answer.
type PeerCase struct {
	Name   string
	Answer string
	// Figure is a measurement of the case, if any.
	Figure string
}

// PeerResult is what the adversarial peer saw.
type PeerResult struct {
	Cases []PeerCase
}

// adversary holds the established IKE_SA's keys and the replies.
type adversary struct {
	o       PeerOptions
	sock    *network.Socket
	mgr     *sa.Manager
	pool    *processing.Pool
	id      sa.IKESAID
	local   netip.AddrPort
	remote  netip.AddrPort
	out, in encoding.Cipher
	mid     uint32
	// firstMID is the first message ID the adversary sends itself;
	// responses from there are its own.
	firstMID uint32
	mu       sync.Mutex
	resp     chan []byte
	authResp []byte // moon's IKE_AUTH response as first received
	peer     *config.PeerCfg
	child    *config.ChildCfg
}

// RunPeer runs the adversarial peer (the `chaos peer` command inside the
// attacker's namespace).
func RunPeer(o PeerOptions) (PeerResult, error) {
	var res PeerResult
	a, err := newAdversary(o)
	if err != nil {
		return res, err
	}
	defer a.close()
	if err := a.establish(); err != nil {
		return res, err
	}
	for _, c := range a.cases() {
		pc := PeerCase{Name: c.name}
		pc.Answer, pc.Figure = c.run()
		o.Logf("case %s: %s %s", pc.Name, pc.Answer, pc.Figure)
		res.Cases = append(res.Cases, pc)
	}
	// Leave: delete the IKE_SA and with it every CHILD_SA still up.
	ans, _ := a.request(encoding.ExchangeInformational, &encoding.Delete{Protocol: encoding.ProtocolIKE})
	res.Cases = append(res.Cases, PeerCase{Name: "delete the IKE_SA", Answer: ans})
	return res, nil
}

type discardSender struct{ a *adversary }

func (s discardSender) Send(p sa.Packet) {
	_ = s.a.sock.SendIKE(network.Packet{Data: p.Data, Src: p.Src, Dst: p.Dst})
}

func newAdversary(o PeerOptions) (*adversary, error) {
	a := &adversary{o: o, resp: make(chan []byte, 16)}
	sock, err := network.Open(network.SocketOptions{Port: network.PortIKE, NATTPort: network.PortNATT, NoIPv6: true})
	if err != nil {
		return nil, err
	}
	a.sock = sock
	b := bus.New()
	levels := bus.DefaultLevels()
	b.SetSinks(bus.NewWriterLogger(os.Stderr, bus.FileOptions{}, levels))
	k := fakekernel.New(fakekernel.Options{Addresses: []netip.Addr{o.Self}})
	a.pool = processing.NewPool(4)
	sched := processing.NewScheduler(processing.RealClock{}, a.pool)
	st := sa.DefaultSettings()
	st.RetransmitTimeout, st.RetransmitBase, st.RetransmitTries = 1, 1.4, 4
	env := &sa.Env{Clock: processing.RealClock{}, Rand: rand.Reader, Sender: discardSender{a}, Bus: b, Kernel: k,
		Net: fakekernel.Net{Kernel: k}, Backends: &config.Backends{}, Creds: credentials.NewStore(), Settings: st,
		NewTaskManager: tasks.New}
	a.mgr = sa.NewManager(env, sched, a.pool)
	if err := a.configure(env); err != nil {
		return nil, err
	}
	sock.SetIKEHandler(a.receive)
	return a, nil
}

func (a *adversary) close() {
	a.sock.Close()
	a.pool.Stop()
}

// configure adds the peer's conn and secret.
func (a *adversary) configure(env *sa.Env) error {
	ike, err := config.ParseProposals(config.ProtoIKE, "aes128-sha256-x25519!")
	if err != nil {
		return err
	}
	esp, err := config.ParseProposals(config.ProtoESP, "aes128gcm16!")
	if err != nil {
		return err
	}
	ikeCfg := config.NewIKECfg(config.IKECfg{Version: config.IKEv2, CertReq: true, Local: a.o.Self.String(),
		Remote: a.o.Target.String(), LocalPort: 500, RemotePort: 500, Fragmentation: config.FragmentationYes, Proposals: ike})
	peer := &config.PeerCfg{Name: "attack", IKE: ikeCfg, Unique: config.UniqueNo, KeyingTries: 1,
		LocalAuth:  []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(a.o.ID)}},
		RemoteAuth: []*config.AuthCfg{{Class: config.AuthClassPSK, Identity: credentials.ParseIdentity(a.o.TargetID)}}}
	ts := func(p netip.Prefix) selectors.TS {
		t, _ := selectors.ParseCIDR(p.String(), 0, 0, 0xffff)
		return t
	}
	child := &config.ChildCfg{Name: "attack", Proposals: esp, LocalTS: []selectors.TS{ts(a.o.Inner)},
		RemoteTS: []selectors.TS{ts(a.o.Remote)}, Mode: kernel.ModeTunnel, ReplayWindow: 32,
		Lifetime: kernel.Lifetime{Time: kernel.LifetimeLimit{Life: 3600}}}
	used, _ := env.Backends.Add(peer, child)
	a.peer, a.child = used, child
	env.Creds.Add(credentials.NewSharedKey(credentials.SharedIKE, []byte(a.o.PSK), a.o.ID, a.o.TargetID))
	return nil
}

// receive passes moon's requests and the answers of the handshake to the
// peer's own IKE code, and keeps the answers to the adversary's requests.
func (a *adversary) receive(p network.Packet) {
	h, ok := encoding.ReadHeader(p.Data)
	a.mu.Lock()
	mine := ok && h.Response() && a.firstMID != 0 && h.SPIi == a.id.SPIi && h.MessageID >= a.firstMID
	if ok && h.Response() && h.Exchange == encoding.ExchangeIKEAuth && a.authResp == nil {
		a.authResp = append([]byte(nil), p.Data...)
	}
	a.mu.Unlock()
	if mine {
		select {
		case a.resp <- append([]byte(nil), p.Data...):
		default:
		}
		return
	}
	in, ok := a.mgr.Receive(4, sa.Packet{Data: p.Data, Src: p.Src, Dst: p.Dst})
	if ok {
		a.mgr.Queue(in.Priority(), "process_message", func(t int) { a.mgr.Process(t, in) })
	}
}

// establish sets up the IKE_SA and its first CHILD_SA, then takes its
// keys over for the misbehaviour.
func (a *adversary) establish() error {
	peer, child := a.peer, a.child
	done := make(chan sa.Status, 1)
	a.mgr.Queue(processing.Critical, "initiate", func(thread int) {
		ike := a.mgr.CheckoutByConfig(peer, thread)
		st := ike.Initiate(child, nil)
		a.mgr.Release(ike, st)
		done <- st
	})
	<-done
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var up bool
		a.mgr.Each(0, true, func(ike *sa.IKESA) {
			if ike.State() == sa.IKEEstablished && ike.Keymat().HasKeys() {
				up = true
				a.id, a.local, a.remote = ike.ID(), ike.MyHost(), ike.OtherHost()
				a.out, a.in = ike.Keymat().Cipher(true), ike.Keymat().Cipher(false)
			}
		})
		if up {
			a.mu.Lock()
			// The IKE_AUTH was message 1; leave room for nothing else.
			a.mid, a.firstMID = 2, 2
			a.mu.Unlock()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.New("the IKE_SA with moon did not come up")
}

// send encodes a request with the adversary's next message ID (or mid,
// if not 0) and sends it; the answer, decrypted and summarized, is
// returned ("no answer" after a few seconds).
func (a *adversary) send(ex encoding.ExchangeType, mid uint32, payloads ...encoding.Payload) (string, *encoding.Message) {
	next := mid == 0
	if next {
		mid = a.mid
	}
	m := encoding.NewMessage(ex, mid)
	m.SPIi, m.SPIr, m.Initiator = a.id.SPIi, a.id.SPIr, true
	m.Add(payloads...)
	b, err := m.Encode(a.out, rand.Reader)
	if err != nil {
		return "cannot encode: " + err.Error(), nil
	}
	if next {
		a.mid++
	}
	return a.sendRaw(b, mid)
}

func (a *adversary) sendRaw(b []byte, mid uint32) (string, *encoding.Message) {
	for range len(a.resp) {
		<-a.resp // stale answers
	}
	if err := a.sock.SendIKE(network.Packet{Data: b, Src: a.local, Dst: a.remote}); err != nil {
		return "send: " + err.Error(), nil
	}
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-a.resp:
			m, err := encoding.Decode(r)
			if err != nil || m == nil {
				return "unparsable answer", nil
			}
			if m.MessageID != mid {
				continue
			}
			if err := m.Decrypt(a.in); err != nil {
				return fmt.Sprintf("%v response %d, does not decrypt: %v", m.Exchange, m.MessageID, err), m
			}
			return describe(m), m
		case <-timeout:
			return "no answer", nil
		}
	}
}

func (a *adversary) request(ex encoding.ExchangeType, payloads ...encoding.Payload) (string, *encoding.Message) {
	return a.send(ex, 0, payloads...)
}

// describe summarizes a decrypted answer: exchange and payloads.
func describe(m *encoding.Message) string {
	var parts []string
	for _, p := range m.Payloads {
		switch p := p.(type) {
		case *encoding.Notify:
			parts = append(parts, "N("+p.NotifyType.String()+")")
		case *encoding.TS:
			var sel []string
			for _, s := range p.Selectors {
				sel = append(sel, fmt.Sprintf("%s-%s", s.Start, s.End))
			}
			name := "TSi"
			if p.Responder {
				name = "TSr"
			}
			parts = append(parts, name+"("+strings.Join(sel, ",")+")")
		default:
			parts = append(parts, p.Type().String())
		}
	}
	return fmt.Sprintf("%v response [ %s ]", m.Exchange, strings.Join(parts, " "))
}

type peerCase struct {
	name string
	run  func() (answer, figure string)
}

// The Diffie-Hellman groups of the cases.
const (
	groupMODP2048 = 14
	groupECP256   = 19
	groupX25519   = 31
)

// childRequest is a CREATE_CHILD_SA with a fresh SPI, optionally PFS of
// group with ke as its public value, and the given selectors.
func (a *adversary) childRequest(group uint16, ke []byte, tsi, tsr netip.Prefix, extra ...encoding.Payload) []encoding.Payload {
	spi := make([]byte, 4)
	_, _ = rand.Read(spi)
	tr := []encoding.Transform{
		{Type: encoding.TransformENCR, ID: 20, Attributes: []encoding.TransformAttribute{encoding.KeyLengthAttribute(128)}},
		{Type: encoding.TransformESN, ID: 0},
	}
	if group != 0 {
		tr = append(tr, encoding.Transform{Type: encoding.TransformDH, ID: group})
	}
	nonce := make([]byte, 32)
	_, _ = rand.Read(nonce)
	ps := append(extra, &encoding.SA{Proposals: []encoding.Proposal{{Number: 1, Protocol: encoding.ProtocolESP, SPI: spi, Transforms: tr}}},
		&encoding.Nonce{Data: nonce})
	if ke != nil {
		ps = append(ps, &encoding.KE{Group: group, Data: ke})
	}
	return append(ps, tsPayload(false, tsi), tsPayload(true, tsr))
}

func tsPayload(responder bool, p netip.Prefix) *encoding.TS {
	p = p.Masked()
	last := p.Addr().As4()
	v := binary.BigEndian.Uint32(last[:]) | (1<<(32-p.Bits()) - 1)
	binary.BigEndian.PutUint32(last[:], v)
	if p.Bits() == 0 {
		last = [4]byte{255, 255, 255, 255}
	}
	return &encoding.TS{Responder: responder, Selectors: []encoding.TrafficSelector{
		encoding.AddressRange(0, 0, 65535, p.Addr(), netip.AddrFrom4(last))}}
}

// modp2048P is the prime of RFC 3526 group 14.
var modp2048P, _ = new(big.Int).SetString("FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3BE39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF", 16)

func modpValue(v *big.Int) []byte { return v.FillBytes(make([]byte, 256)) }

func (a *adversary) cases() []peerCase {
	inner, remote := a.o.Inner, a.o.Remote
	random := func(n int) []byte {
		b := make([]byte, n)
		_, _ = rand.Read(b)
		return b
	}
	child := func(group uint16, ke []byte) func() (string, string) {
		return func() (string, string) {
			ans, _ := a.request(encoding.ExchangeCreateChildSA, a.childRequest(group, ke, inner, remote)...)
			return ans, ""
		}
	}
	pMinus1 := new(big.Int).Sub(modp2048P, big.NewInt(1))
	offCurve := append(random(32), random(32)...)
	offCurve[63] ^= 1 // (x, y) with y changed: not on the curve (with overwhelming probability)
	return []peerCase{
		{"DELETE for unknown SPIs (and another peer's)", func() (string, string) {
			ans, _ := a.request(encoding.ExchangeInformational,
				&encoding.Delete{Protocol: encoding.ProtocolESP, SPIs: []uint32{0xdeadbeef, 0x01020304, a.o.ForeignSPI}})
			return ans, ""
		}},
		{"CREATE_CHILD_SA, KE of another group", child(groupMODP2048, random(64))},
		{"CREATE_CHILD_SA, MODP KE 0", child(groupMODP2048, modpValue(big.NewInt(0)))},
		{"CREATE_CHILD_SA, MODP KE 1", child(groupMODP2048, modpValue(big.NewInt(1)))},
		{"CREATE_CHILD_SA, MODP KE p-1", child(groupMODP2048, modpValue(pMinus1))},
		{"CREATE_CHILD_SA, ECP point not on the curve", child(groupECP256, offCurve)},
		{"CREATE_CHILD_SA, x25519 low-order point", child(groupX25519, make([]byte, 32))},
		{"REKEY_SA for another peer's CHILD_SA", func() (string, string) {
			n := &encoding.Notify{Protocol: encoding.ProtocolESP, SPI: binary.BigEndian.AppendUint32(nil, a.o.ForeignSPI),
				NotifyType: encoding.NotifyRekeySA}
			ans, _ := a.request(encoding.ExchangeCreateChildSA, a.childRequest(0, nil, inner, remote, n)...)
			return ans, ""
		}},
		{"TS 0.0.0.0/0 === 0.0.0.0/0", func() (string, string) {
			all := netip.MustParsePrefix("0.0.0.0/0")
			ans, _ := a.request(encoding.ExchangeCreateChildSA, a.childRequest(0, nil, all, all)...)
			return ans, ""
		}},
		{fmt.Sprintf("%d CREATE_CHILD_SA requests", a.o.Children), a.manyChildren},
		{"IKE_AUTH retransmitted with another body", a.authRetransmit},
		{"fragment bomb (SKF 1..N-1 of N, never completed)", a.fragmentBomb},
	}
}

// manyChildren asks for Children CHILD_SAs one after the other.
func (a *adversary) manyChildren() (string, string) {
	t0 := time.Now()
	answers := map[string]int{}
	for range a.o.Children {
		ans, _ := a.request(encoding.ExchangeCreateChildSA, a.childRequest(0, nil, a.o.Inner, a.o.Remote)...)
		answers[ans]++
	}
	var parts []string
	for s, n := range answers {
		parts = append(parts, fmt.Sprintf("%d x %s", n, s))
	}
	return strings.Join(parts, "; "), fmt.Sprintf("%.1f s for %d", time.Since(t0).Seconds(), a.o.Children)
}

// authRetransmit sends message 1 again, an IKE_AUTH request with another
// identity and AUTH than the one moon answered.
func (a *adversary) authRetransmit() (string, string) {
	a.mu.Lock()
	orig := a.authResp
	a.mu.Unlock()
	ans, m := a.send(encoding.ExchangeIKEAuth, 1,
		&encoding.ID{IDType: encoding.IDFQDN, Data: []byte("mallory.strongswan.org")},
		&encoding.Auth{Method: encoding.AuthPSK, Data: make([]byte, 32)},
		tsPayload(false, a.o.Inner), tsPayload(true, a.o.Remote))
	fig := ""
	if m != nil && orig != nil {
		fig = "answer is the original response: " + fmt.Sprint(m.Size() == len(orig))
	}
	return ans, fig
}

// fragmentBomb sends an INFORMATIONAL request in SKF fragments, all but
// the last: moon keeps at most charon.max_packet of them.
func (a *adversary) fragmentBomb() (string, string) {
	m := encoding.NewMessage(encoding.ExchangeInformational, a.mid)
	m.SPIi, m.SPIr, m.Initiator = a.id.SPIi, a.id.SPIr, true
	data := make([]byte, 60000)
	m.Add(&encoding.Notify{NotifyType: encoding.NotifyType(40000), Data: data})
	frags, err := m.EncodeFragments(a.out, rand.Reader, 1200)
	if err != nil {
		return "cannot encode: " + err.Error(), ""
	}
	a.mid++
	for _, f := range frags[:len(frags)-1] {
		_ = a.sock.SendIKE(network.Packet{Data: f, Src: a.local, Dst: a.remote})
	}
	// A request after it must still be answered: the IKE_SA works.
	time.Sleep(time.Second)
	a.mid-- // the bomb's message ID was never completed: reuse it
	ans, _ := a.request(encoding.ExchangeInformational)
	return "then an empty INFORMATIONAL: " + ans, fmt.Sprintf("%d of %d fragments of %d bytes sent", len(frags)-1, len(frags), len(data))
}
