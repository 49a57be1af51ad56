package crypto_test

// Cross-check against Debian's strongSwan 5.9.8: testdata/strongswan/* hold
// real exchanges between two charons that logged their key material (ike/chd
// level 4, see testdata/strongswan/README.md). From the logged DH secrets and
// the nonces and SPIs on the wire, our derivation must reproduce charon's
// SKEYSEED, SK_* and CHILD_SA keys, including the rekeyed ones, and our SK
// ciphers must open every encrypted message of the capture.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/testing/pcap"
)

// logDump is one %B hex dump from a charon log.
type logDump struct {
	group, label string
	data         []byte
}

var (
	dumpHeader = regexp.MustCompile(`^\w{3} [ \d]\d [\d:]{8} (\d+)\[(\w+)\] (.+) => (\d+) bytes @ 0x[0-9a-f]+$`)
	dumpLine   = regexp.MustCompile(`^\w{3} [ \d]\d [\d:]{8} (\d+)\[(\w+)\] +\d+: ((?:[0-9A-F]{2} ){1,16})`)
	selected   = regexp.MustCompile(`selected proposal: ((?:IKE|ESP):\S+)`)
)

// parseLog returns the hex dumps in order, and the selected proposals. Lines
// of other threads may interleave with a dump, so dumps are tracked per
// thread.
func parseLog(t *testing.T, path string) (dumps []logDump, proposals []string) {
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type open struct {
		idx  int
		want int
	}
	pending := map[string]*open{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if m := selected.FindStringSubmatch(line); m != nil {
			proposals = append(proposals, m[1])
		}
		if m := dumpHeader.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[4])
			dumps = append(dumps, logDump{group: m[2], label: m[3]})
			pending[m[1]] = &open{idx: len(dumps) - 1, want: n}
			continue
		}
		if m := dumpLine.FindStringSubmatch(line); m != nil {
			o := pending[m[1]]
			if o == nil {
				continue
			}
			b, err := hex.DecodeString(strings.ReplaceAll(m[3], " ", ""))
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			d := &dumps[o.idx]
			d.data = append(d.data, b...)
			if len(d.data) >= o.want {
				d.data = d.data[:o.want]
				delete(pending, m[1])
			}
		}
	}
	return dumps, proposals
}

// find returns the data of the n-th (0-based) dump with the label.
func find(t *testing.T, dumps []logDump, label string, n int) []byte {
	t.Helper()
	for _, d := range dumps {
		if d.label == label {
			if n == 0 {
				return d.data
			}
			n--
		}
	}
	t.Fatalf("log has no dump %q #%d", label, n)
	return nil
}

// ikeMessage is one IKE message from the pcap.
type ikeMessage struct {
	raw        []byte
	spiI, spiR uint64
	exchange   byte
	initiator  bool // sent by the original initiator
	response   bool
	msgID      uint32
}

// parsePcap extracts the IKE messages (UDP 500, and 4500 after the non-ESP
// marker) from an Ethernet pcap.
func parsePcap(t *testing.T, path string) []ikeMessage {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := pcap.UDP(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []ikeMessage
	for _, d := range ds {
		ike, ok := pcap.IKE(d)
		if !ok {
			continue
		}
		out = append(out, ikeMessage{
			raw: ike, spiI: binary.BigEndian.Uint64(ike), spiR: binary.BigEndian.Uint64(ike[8:]),
			exchange: ike[18], initiator: ike[19]&0x08 != 0, response: ike[19]&0x20 != 0,
			msgID: binary.BigEndian.Uint32(ike[20:]),
		})
	}
	return out
}

// payloads walks a payload chain starting with type first.
func payloads(t *testing.T, first byte, b []byte) map[byte][][]byte {
	out := map[byte][][]byte{}
	for next := first; next != 0; {
		if len(b) < 4 {
			t.Fatalf("truncated payload chain")
		}
		l := int(binary.BigEndian.Uint16(b[2:]))
		if l < 4 || l > len(b) {
			t.Fatalf("bad payload length %d", l)
		}
		out[next] = append(out[next], b[4:l])
		next, b = b[0], b[l:]
	}
	return out
}

const (
	payloadSA    = 33
	payloadKE    = 34
	payloadNonce = 40
	payloadTSi   = 44
	payloadSK    = 46
)

// nameTable maps strongSwan names back to transform ids.
func lookupName(t *testing.T, name string) (crypto.TransformType, uint16, int) {
	for _, typ := range []crypto.TransformType{crypto.TransformEncryption, crypto.TransformIntegrity, crypto.TransformPRF, crypto.TransformKeyExchange, crypto.TransformExtendedSeqs} {
		for id := range uint16(1100) {
			n, _ := crypto.TransformName(typ, id)
			if n == name {
				return typ, id, 0
			}
			if strings.HasPrefix(name, n+"_") {
				if bits, err := strconv.Atoi(name[len(n)+1:]); err == nil {
					return typ, id, bits
				}
			}
		}
	}
	t.Fatalf("unknown algorithm name %q", name)
	return 0, 0, 0
}

type algs struct {
	ike   crypto.IKEAlgorithms
	child crypto.ChildAlgorithms
}

func parseSelected(t *testing.T, s string) algs {
	var a algs
	proto, list, _ := strings.Cut(s, ":")
	for _, name := range strings.Split(list, "/") {
		typ, id, bits := lookupName(t, name)
		switch typ {
		case crypto.TransformEncryption:
			a.ike.Encryption, a.ike.KeyBits = crypto.EncryptionAlgorithm(id), bits
			a.child.Encryption, a.child.KeyBits = crypto.EncryptionAlgorithm(id), bits
		case crypto.TransformIntegrity:
			a.ike.Integrity, a.child.Integrity = crypto.IntegrityAlgorithm(id), crypto.IntegrityAlgorithm(id)
		case crypto.TransformPRF:
			a.ike.PRF = crypto.PRFAlgorithm(id)
		}
	}
	if proto != "IKE" && proto != "ESP" {
		t.Fatalf("proposal %q", s)
	}
	return a
}

// ikeSA is what the test knows about one IKE SA of the capture.
type ikeSA struct {
	alg        crypto.IKEAlgorithms
	spiI, spiR uint64
	keys       *crypto.IKEKeys
}

// open decrypts an SK payload of m with the SA's keys and returns the inner
// payloads.
func (sa *ikeSA) open(t *testing.T, m ikeMessage) map[byte][][]byte {
	t.Helper()
	ei, ai := sa.keys.SKei, sa.keys.SKai
	if !m.initiator {
		ei, ai = sa.keys.SKer, sa.keys.SKar
	}
	c, err := crypto.NewSKCipher(sa.alg.Encryption, sa.alg.KeyBits, sa.alg.Integrity, ei, ai, bytes.NewReader(make([]byte, 16)))
	if err != nil {
		t.Fatal(err)
	}
	if m.raw[16] != payloadSK {
		t.Fatalf("message %d (exchange %d) does not start with SK", m.msgID, m.exchange)
	}
	length := int(binary.BigEndian.Uint16(m.raw[28+2:]))
	body := m.raw[28+4 : 28+length]
	iv, ct := body[:c.IVSize()], body[c.IVSize():]
	plain, err := c.Open(nil, iv, ct, m.raw[:28+4])
	if err != nil {
		t.Fatalf("exchange %d message %d (initiator=%v response=%v): %v", m.exchange, m.msgID, m.initiator, m.response, err)
	}
	pad := int(plain[len(plain)-1])
	return payloads(t, m.raw[28], plain[:len(plain)-1-pad])
}

func nonceAndKE(t *testing.T, p map[byte][][]byte) (nonce, ke []byte, group crypto.KeyExchangeMethod) {
	nonce = p[payloadNonce][0]
	if k := p[payloadKE]; len(k) > 0 {
		group, ke = crypto.KeyExchangeMethod(binary.BigEndian.Uint16(k[0])), k[0][4:]
	}
	return nonce, ke, group
}

func compareIKEKeys(t *testing.T, what string, dumps []logDump, n int, k *crypto.IKEKeys, aead bool) {
	t.Helper()
	check := func(label string, got []byte) {
		t.Helper()
		if want := find(t, dumps, label, n); !bytes.Equal(got, want) {
			t.Errorf("%s %s:\n got %x\nwant %x", what, label, got, want)
		}
	}
	check("SKEYSEED", k.SKEYSEED)
	check("Sk_d secret", k.SKd)
	if !aead {
		check("Sk_ai secret", k.SKai)
		check("Sk_ar secret", k.SKar)
	}
	check("Sk_ei secret", k.SKei)
	check("Sk_er secret", k.SKer)
	check("Sk_pi secret", k.SKpi)
	check("Sk_pr secret", k.SKpr)
}

func compareChildKeys(t *testing.T, what string, dumps []logDump, n int, k *crypto.ChildKeys) {
	t.Helper()
	check := func(label string, got []byte) {
		t.Helper()
		if want := find(t, dumps, label, n); !bytes.Equal(got, want) {
			t.Errorf("%s %s:\n got %x\nwant %x", what, label, got, want)
		}
	}
	check("encryption initiator key", k.EncrI)
	check("encryption responder key", k.EncrR)
	if len(k.IntegI) > 0 {
		check("integrity initiator key", k.IntegI)
		check("integrity responder key", k.IntegR)
	}
}

func TestStrongSwanCaptures(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/strongswan/*")
	if len(dirs) < 7 {
		t.Fatalf("expected the captures under testdata/strongswan, found %v", dirs)
	}
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		t.Run(filepath.Base(dir), func(t *testing.T) { checkCapture(t, dir) })
	}
}

func checkCapture(t *testing.T, dir string) {
	dumps, proposals := parseLog(t, filepath.Join(dir, "moon.log"))
	msgs := parsePcap(t, filepath.Join(dir, "ike.pcap"))
	var ikeProps, espProps []string
	for _, p := range proposals {
		if strings.HasPrefix(p, "IKE:") {
			ikeProps = append(ikeProps, p)
		} else {
			espProps = append(espProps, p)
		}
	}

	// IKE_SA_INIT: SPIs, nonces and KE values on the wire.
	var initReq, initResp *ikeMessage
	for i := range msgs {
		if msgs[i].exchange == 34 && !msgs[i].response {
			initReq = &msgs[i]
		}
		if msgs[i].exchange == 34 && msgs[i].response {
			initResp = &msgs[i]
		}
	}
	if initReq == nil || initResp == nil {
		t.Fatal("IKE_SA_INIT missing from the capture")
	}
	reqP, respP := payloads(t, initReq.raw[16], initReq.raw[28:]), payloads(t, initResp.raw[16], initResp.raw[28:])
	ni, kei, group := nonceAndKE(t, reqP)
	nr, ker, _ := nonceAndKE(t, respP)
	for _, v := range [][]byte{kei, ker} {
		if err := crypto.ValidatePublicValue(group, v); err != nil {
			t.Errorf("strongSwan's %v public value rejected: %v", group, err)
		}
	}
	first := parseSelected(t, ikeProps[0])
	keys, err := crypto.DeriveIKEKeys(first.ike, find(t, dumps, "shared Diffie Hellman secret", 0), ni, nr, initResp.spiI, initResp.spiR)
	if err != nil {
		t.Fatal(err)
	}
	aead := first.ike.Encryption.IsAEAD()
	compareIKEKeys(t, "IKE_SA_INIT", dumps, 0, keys, aead)
	sas := []*ikeSA{{alg: first.ike, spiI: initResp.spiI, spiR: initResp.spiR, keys: keys}}

	// CHILD_SA of IKE_AUTH: no PFS, seed Ni | Nr.
	mustEqualBytes(t, "CHILD_SA seed", find(t, dumps, "seed", 0), append(bytes.Clone(ni), nr...))
	child, err := crypto.DeriveChildKeys(first.ike.PRF, keys.SKd, parseSelected(t, espProps[0]).child, nil, ni, nr)
	if err != nil {
		t.Fatal(err)
	}
	compareChildKeys(t, "IKE_AUTH CHILD_SA", dumps, 0, child)

	// Every encrypted message must open with our SK cipher; the
	// CREATE_CHILD_SA exchanges give the rekey inputs.
	rekeys := &rekeyChecker{dumps: dumps, ikeProps: ikeProps, espProps: espProps, sas: sas}
	var pendingReq map[byte][][]byte
	for _, m := range msgs {
		if m.exchange == 34 {
			continue
		}
		var sa *ikeSA
		for _, s := range rekeys.sas {
			if s.spiI == m.spiI && s.spiR == m.spiR {
				sa = s
			}
		}
		if sa == nil {
			t.Fatalf("message for unknown IKE SA %x/%x", m.spiI, m.spiR)
		}
		p := sa.open(t, m)
		if m.exchange != 36 { // only CREATE_CHILD_SA derives keys
			continue
		}
		if !m.response {
			pendingReq = p
			continue
		}
		rekeys.check(t, sa, pendingReq, p)
	}
	childRekeys, ikeRekeys := rekeys.child, rekeys.ike
	if want := len(espProps) - 1; childRekeys != want {
		t.Errorf("found %d CHILD_SA rekeys, log has %d", childRekeys, want)
	}
	if want := len(ikeProps) - 1; ikeRekeys != want {
		t.Errorf("found %d IKE_SA rekeys, log has %d", ikeRekeys, want)
	}
	t.Logf("%s: %d messages opened, %d CHILD_SA and %d IKE_SA rekeys checked", ikeProps[0], len(msgs)-2, childRekeys, ikeRekeys)
}

// rekeyChecker derives the keys of each CREATE_CHILD_SA exchange in a
// capture and compares them with those charon logged, counting the CHILD_SA
// and IKE_SA rekeys it has seen.
type rekeyChecker struct {
	dumps              []logDump
	ikeProps, espProps []string
	sas                []*ikeSA
	child, ike         int
}

func (c *rekeyChecker) check(t *testing.T, sa *ikeSA, req, resp map[byte][][]byte) {
	t.Helper()
	dumps, ikeProps, espProps := c.dumps, c.ikeProps, c.espProps
	rni, rkei, rgroup := nonceAndKE(t, req)
	rnr, rker, _ := nonceAndKE(t, resp)
	for _, v := range [][]byte{rkei, rker} {
		if v != nil {
			if err := crypto.ValidatePublicValue(rgroup, v); err != nil {
				t.Errorf("strongSwan's %v public value rejected: %v", rgroup, err)
			}
		}
	}
	if len(req[payloadTSi]) > 0 { // CHILD_SA rekey
		c.child++
		var secret []byte
		if rkei != nil {
			secret = find(t, dumps, "DH secret", 0)
		}
		ck, err := crypto.DeriveChildKeys(sa.alg.PRF, sa.keys.SKd, parseSelected(t, espProps[c.child]).child, secret, rni, rnr)
		if err != nil {
			t.Fatal(err)
		}
		compareChildKeys(t, "rekeyed CHILD_SA", dumps, c.child, ck)
		return
	}
	// IKE_SA rekey: the new SPIs are in the proposals (RFC 7296 §3.3.1).
	c.ike++
	spi := func(sa []byte) uint64 { return binary.BigEndian.Uint64(sa[8:16]) }
	newAlg := parseSelected(t, ikeProps[c.ike]).ike
	nk, err := crypto.DeriveRekeyedIKEKeys(newAlg, sa.alg.PRF, sa.keys.SKd,
		find(t, dumps, "shared Diffie Hellman secret", c.ike), rni, rnr, spi(req[payloadSA][0]), spi(resp[payloadSA][0]))
	if err != nil {
		t.Fatal(err)
	}
	compareIKEKeys(t, "rekeyed IKE_SA", dumps, c.ike, nk, newAlg.Encryption.IsAEAD())
	c.sas = append(c.sas, &ikeSA{alg: newAlg, spiI: spi(req[payloadSA][0]), spiR: spi(resp[payloadSA][0]), keys: nk})
}

func mustEqualBytes(t *testing.T, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}
