package chaos

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/encoding"
)

// The storm's kinds of packets. Each is sent from its own source port of
// the attacker, so that moon's answers can be told apart; the ones that
// spoof a live peer are answered to that peer and are not counted.
const (
	stormRandom      = iota // random bytes, to 500 and (with a marker) 4500
	stormMutated            // real captures with a few random changes
	stormCorpus             // the fuzz corpora, as they are
	stormTruncated          // real captures cut short
	stormOversized          // 12 000 bytes, over charon.max_packet
	stormFragBomb           // SKF fragments n of 255 for a live IKE_SA, never completed
	stormForgedSPI          // SK messages with a live IKE_SA's SPIs and junk inside
	stormOutOfWindow        // the same with message IDs far ahead
	stormReplay             // the tunnels' own IKE packets, recorded, from their peers
	stormInvalidKE          // IKE_SA_INIT with a KE of another group, INVALID_KE answered again and again
	stormCookie             // IKE_SA_INIT with a bogus COOKIE, COOKIE answers answered again
	stormKinds
)

var stormNames = [stormKinds]string{"random bytes", "mutated captures", "fuzz corpora", "truncated captures",
	"oversized (12000 B)", "fragment bombs (live SPIs)", "forged SPIs of live SAs", "out-of-window message IDs",
	"replayed packets (from the peers)", "INVALID_KE ping-pong", "COOKIE ping-pong"}

// weights of the kinds (per 100 packets).
var stormWeights = [stormKinds]int{15, 15, 15, 10, 1, 10, 10, 8, 8, 4, 4}

// LiveSA is an IKE_SA of moon's the storm forges packets for.
type LiveSA struct {
	SPIi, SPIr uint64
	Peer       netip.Addr // the peer's address (the initiator's side)
	Initiator  bool       // moon is the original initiator
}

// StormOptions shape the malformed-packet storm.
type StormOptions struct {
	Target, Self netip.Addr
	Rate         int
	Duration     time.Duration
	Seed         int64
	// Corpus are files of datagrams: captures (.bin) and Go fuzz corpus
	// files.
	Corpus []string
	Live   []LiveSA
	// LiveFile, if set, is read again every few seconds for Live (IKE
	// rekeys change the SPIs).
	LiveFile string
	// Replay holds recorded datagrams with their sources.
	Replay []Recorded
	Iface  string
	// Differential is how many datagrams are sent one by one before the
	// storm, each from its own source in Sources, so that every answer is
	// known per datagram and can be compared with strongSwan's.
	Differential int
	Sources      netip.Prefix
}

// Probe is one datagram of the differential pass and moon's answers.
type Probe struct {
	Kind    int
	Head    string   // the datagram's first 48 bytes, hex
	Sum     string   // SHA-256 of the whole datagram and its port, hex
	Answers []string // summaries, in arrival order
}

// Recorded is a datagram seen on the wire.
type Recorded struct {
	Src, Dst netip.AddrPort
	Data     []byte
}

// StormKind is what one kind sent and got back.
type StormKind struct {
	Name    string
	Sent    uint64
	Answers map[string]uint64 // by summary ("IKE_SA_INIT response N(COOKIE)")
	// Counted is false for kinds whose answers go to a spoofed peer.
	Counted bool
}

// StormResult is the attacker's view of the storm.
type StormResult struct {
	Probes     []Probe
	Kinds      []StormKind
	Sent       uint64
	Seconds    float64
	Rate       float64
	SendErrors uint64
}

const stormBasePort = 20000

// LoadCorpus reads datagrams from capture files (raw bytes) and Go fuzz
// corpus files ("go test fuzz v1" with []byte values).
func LoadCorpus(paths []string) (captures, corpus [][]byte) {
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		if !bytes.HasPrefix(b, []byte("go test fuzz v1\n")) {
			captures = append(captures, b)
			continue
		}
		for _, line := range strings.Split(string(b), "\n")[1:] {
			if v, ok := strings.CutPrefix(line, "[]byte("); ok {
				if s, err := strconv.Unquote(strings.TrimSuffix(v, ")")); err == nil {
					corpus = append(corpus, []byte(s))
				}
			}
		}
	}
	return captures, corpus
}

// CorpusFiles lists the captures and fuzz corpora of the repository at
// root that hold IKE datagrams.
func CorpusFiles(root string) []string {
	var out []string
	caps, _ := filepath.Glob(filepath.Join(root, "encoding/testdata/capture/*/packets/*.bin"))
	out = append(out, caps...)
	for _, pkg := range []string{"encoding", "tasks", "crypto"} {
		fs, _ := filepath.Glob(filepath.Join(root, pkg, "testdata/fuzz/*/*"))
		out = append(out, fs...)
	}
	sort.Strings(out)
	return out
}

// stormGen makes the storm's datagrams.
type stormGen struct {
	o        StormOptions
	rnd      *rand.Rand
	captures [][]byte
	corpus   [][]byte
	init     []byte // a valid IKE_SA_INIT request
	spi      uint64
	mid      map[int]uint32
}

func newStormGen(o StormOptions) (*stormGen, error) {
	g := &stormGen{o: o, rnd: rand.New(rand.NewSource(o.Seed)), mid: map[int]uint32{}}
	g.captures, g.corpus = LoadCorpus(o.Corpus)
	if len(g.captures) == 0 {
		return nil, fmt.Errorf("no captures among %d corpus files", len(o.Corpus))
	}
	if len(g.corpus) == 0 {
		g.corpus = g.captures
	}
	var err error
	// The storm's IKE_SA_INIT comes from the seed too: the differential
	// pass sends both labs the same.
	g.init, err = ikeSAInitFrom(g.rnd, nil)
	return g, err
}

// next picks a kind and makes its datagram: source, destination port and
// payload.
func (g *stormGen) next() (kind int, src netip.AddrPort, dport uint16, payload []byte) {
	n := g.rnd.Intn(100)
	for kind = 0; kind < stormKinds; kind++ {
		if n < stormWeights[kind] {
			break
		}
		n -= stormWeights[kind]
	}
	if kind == stormKinds {
		kind = stormRandom
	}
	src = netip.AddrPortFrom(g.o.Self, uint16(stormBasePort+kind))
	dport = 500
	switch kind {
	case stormRandom:
		payload = g.random(1 + g.rnd.Intn(1400))
		if g.rnd.Intn(2) == 0 {
			dport = 4500
			payload = append([]byte{0, 0, 0, 0}, payload...)
		}
	case stormMutated:
		payload = g.mutate(g.pick(g.captures))
	case stormCorpus:
		payload = bytes.Clone(g.pick(g.corpus))
	case stormTruncated:
		c := g.pick(g.captures)
		payload = bytes.Clone(c[:g.rnd.Intn(len(c))])
	case stormOversized:
		payload = g.random(12000)
		binary.BigEndian.PutUint64(payload, g.freshSPI())
	case stormFragBomb, stormForgedSPI, stormOutOfWindow:
		payload = g.forged(kind)
	case stormReplay:
		if len(g.o.Replay) > 0 {
			r := g.o.Replay[g.rnd.Intn(len(g.o.Replay))]
			return kind, r.Src, r.Dst.Port(), bytes.Clone(r.Data)
		}
		payload = g.mutate(g.pick(g.captures))
	case stormInvalidKE:
		payload = g.initWith(19, nil)
	case stormCookie:
		payload = g.initWith(31, g.random(24))
	}
	return kind, src, dport, payload
}

func (g *stormGen) pick(list [][]byte) []byte { return list[g.rnd.Intn(len(list))] }

func (g *stormGen) random(n int) []byte {
	b := make([]byte, n)
	g.rnd.Read(b)
	return b
}

func (g *stormGen) freshSPI() uint64 {
	g.spi++
	return 0x4000_0000_0000_0000 | uint64(g.o.Seed&0xffff)<<32 | g.spi
}

// mutate changes a copy of b in a few places: bit flips, bytes changed,
// cut or inserted, and gives it a fresh initiator SPI so that it does not
// hit a live IKE_SA by chance.
func (g *stormGen) mutate(b []byte) []byte {
	b = bytes.Clone(b)
	if len(b) >= 8 {
		binary.BigEndian.PutUint64(b, g.freshSPI())
	}
	for range 1 + g.rnd.Intn(8) {
		if len(b) == 0 {
			break
		}
		i := g.rnd.Intn(len(b))
		switch g.rnd.Intn(4) {
		case 0:
			b[i] ^= 1 << g.rnd.Intn(8)
		case 1:
			b[i] = byte(g.rnd.Intn(256))
		case 2:
			b = append(b[:i], b[i+1:]...)
		case 3:
			b = append(b[:i], append([]byte{byte(g.rnd.Intn(256))}, b[i:]...)...)
		}
	}
	return b
}

// forged makes a protected message for a live IKE_SA: SK (or SKF for a
// fragment bomb) with junk that cannot authenticate.
func (g *stormGen) forged(kind int) []byte {
	if len(g.o.Live) == 0 {
		return g.mutate(g.pick(g.captures))
	}
	i := g.rnd.Intn(len(g.o.Live))
	sa := g.o.Live[i]
	ex := []encoding.ExchangeType{encoding.ExchangeInformational, encoding.ExchangeCreateChildSA, encoding.ExchangeIKEAuth}[g.rnd.Intn(3)]
	g.mid[i]++
	mid := g.mid[i] % 8
	if kind == stormOutOfWindow {
		mid = 1000 + g.mid[i]
	}
	var flags byte = encoding.FlagInitiator
	if sa.Initiator {
		flags = 0 // the peer is the responder
	}
	if g.rnd.Intn(2) == 0 {
		flags |= encoding.FlagResponse
	}
	body := g.random(48 + 16*g.rnd.Intn(6))
	next := encoding.PayloadSK
	if kind == stormFragBomb {
		next = encoding.PayloadSKF
		binary.BigEndian.PutUint16(body, uint16(1+g.rnd.Intn(255)))
		binary.BigEndian.PutUint16(body[2:], 255)
	}
	b := binary.BigEndian.AppendUint64(nil, sa.SPIi)
	b = binary.BigEndian.AppendUint64(b, sa.SPIr)
	b = append(b, byte(next), 0x20, byte(ex), flags)
	b = binary.BigEndian.AppendUint32(b, mid)
	b = binary.BigEndian.AppendUint32(b, uint32(28+4+len(body)))
	b = append(b, byte(encoding.PayloadNotify), 0)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(body)))
	return append(b, body...)
}

// initWith makes an IKE_SA_INIT request with a KE of the given group and,
// if set, a COOKIE first.
func (g *stormGen) initWith(group uint16, cookie []byte) []byte {
	m := encoding.NewMessage(encoding.ExchangeIKESAInit, 0)
	m.SPIi, m.Initiator = g.freshSPI(), true
	if cookie != nil {
		m.AddNotify(encoding.NotifyCookie, cookie)
	}
	size := map[uint16]int{19: 64, 31: 32}[group]
	m.Add(&encoding.SA{Proposals: []encoding.Proposal{{Number: 1, Protocol: encoding.ProtocolIKE, Transforms: []encoding.Transform{
		{Type: encoding.TransformType(1), ID: 12, Attributes: []encoding.TransformAttribute{encoding.KeyLengthAttribute(128)}},
		{Type: encoding.TransformType(3), ID: 12},
		{Type: encoding.TransformType(2), ID: 5},
		{Type: encoding.TransformType(4), ID: 31},
	}}}}, &encoding.KE{Group: group, Data: g.random(size)}, &encoding.Nonce{Data: g.random(32)})
	b, _ := m.Encode(nil, nil)
	return b
}

// summarize names an answer by its header and its payloads as they are
// chained, without the exchange's rules (charon answers some messages with
// exchanges and payloads no rule allows): "INFORMATIONAL response
// N(INVALID_MAJOR_VERSION)", "IKE_AUTH response SK".
func summarize(b []byte) string {
	if len(b) < encoding.HeaderLen {
		return "short"
	}
	kind := "request"
	if b[19]&encoding.FlagResponse != 0 {
		kind = "response"
	}
	parts := []string{fmt.Sprintf("v%d %v %s", b[17]>>4, encoding.ExchangeType(b[18]), kind)}
	next, off := encoding.PayloadType(b[16]), encoding.HeaderLen
	for next != encoding.PayloadNone && off+4 <= len(b) {
		l := int(binary.BigEndian.Uint16(b[off+2:]))
		if l < 4 || off+l > len(b) {
			parts = append(parts, "malformed")
			break
		}
		switch next {
		case encoding.PayloadNotify:
			if l >= 8 {
				parts = append(parts, "N("+encoding.NotifyType(binary.BigEndian.Uint16(b[off+6:])).String()+")")
			}
		case encoding.PayloadSK, encoding.PayloadSKF:
			parts = append(parts, next.String())
			next = encoding.PayloadNone
			continue
		default:
			parts = append(parts, next.String())
		}
		next = encoding.PayloadType(b[off])
		off += l
	}
	return strings.Join(parts, " ")
}

// Storm runs the malformed-packet storm (the `chaos storm` command inside
// the attacker's namespace).
func Storm(o StormOptions) (StormResult, error) {
	var res StormResult
	g, err := newStormGen(o)
	if err != nil {
		return res, err
	}
	snd, err := newRawSender(o.Target)
	if err != nil {
		return res, err
	}
	defer snd.close()
	big, err := net.DialUDP("udp4", &net.UDPAddr{IP: o.Self.AsSlice(), Port: stormBasePort + stormOversized},
		&net.UDPAddr{IP: o.Target.AsSlice(), Port: 500})
	if err != nil {
		return res, err
	}
	defer big.Close()
	capt, err := newCapture(o.Iface)
	if err != nil {
		return res, err
	}
	if o.Differential > 0 {
		probes, err := differential(o, snd, capt)
		if err != nil {
			return res, err
		}
		res.Probes = probes
	}
	kinds := make([]StormKind, stormKinds)
	for i := range kinds {
		kinds[i] = StormKind{Name: stormNames[i], Answers: map[string]uint64{}, Counted: i != stormReplay}
	}
	var mu sync.Mutex
	stop := make(chan struct{})
	var wg sync.WaitGroup
	pong := make(chan []byte, 1024) // ping-pong answers to send
	wg.Add(1)
	go func() {
		defer wg.Done()
		collectAnswers(o, capt, kinds, &mu, stop, pong)
	}()
	var errs uint64
	pkt := make([]byte, 0, 1600)
	lastLoad := time.Now()
	sent, took := pace(o.Rate, o.Duration, func() {
		if o.LiveFile != "" && time.Since(lastLoad) > 2*time.Second {
			lastLoad = time.Now()
			g.reloadLive()
		}
		select {
		case a := <-pong:
			if b := g.pingPong(a[1:]); b != nil {
				mu.Lock()
				kinds[a[0]].Sent++
				mu.Unlock()
				pkt = ipv4UDP(pkt, o.Self, o.Target, uint16(stormBasePort+int(a[0])), 500, b)
				if snd.send(pkt) != nil {
					errs++
				}
			}
		default:
		}
		k, src, dport, payload := g.next()
		mu.Lock()
		kinds[k].Sent++
		mu.Unlock()
		if k == stormOversized {
			if _, err := big.Write(payload); err != nil {
				errs++
			}
			return
		}
		pkt = ipv4UDP(pkt, src.Addr(), o.Target, src.Port(), dport, payload)
		if snd.send(pkt) != nil {
			errs++
		}
	})
	time.Sleep(time.Second)
	close(stop)
	wg.Wait()
	capt.close()
	res.Kinds, res.Sent, res.SendErrors = kinds, sent, errs
	res.Seconds = took.Seconds()
	res.Rate = float64(sent) / took.Seconds()
	return res, nil
}

// collectAnswers counts moon's answers to the storm by kind (the kind is
// the attacker's source port) until stop, and hands the INVALID_KE and
// COOKIE answers to pong for the ping-pong.
func collectAnswers(o StormOptions, capt *capture, kinds []StormKind, mu *sync.Mutex, stop <-chan struct{}, pong chan<- []byte) {
	for {
		select {
		case <-stop:
			return
		default:
		}
		src, dst, ike, ok := capt.nextPorts(300 * time.Millisecond)
		if !ok || src.Addr() != o.Target || dst.Addr() != o.Self {
			continue
		}
		k := int(dst.Port()) - stormBasePort
		if k < 0 || k >= stormKinds {
			continue
		}
		s := summarize(ike)
		mu.Lock()
		kinds[k].Answers[s]++
		mu.Unlock()
		if k == stormInvalidKE || k == stormCookie {
			select {
			case pong <- append([]byte{byte(k)}, ike...):
			default:
			}
		}
	}
}

// reloadLive reads the live IKE_SAs again from LiveFile.
func (g *stormGen) reloadLive() {
	if b, err := os.ReadFile(g.o.LiveFile); err == nil {
		if live := ParseLive(string(b)); len(live) > 0 {
			g.o.Live = live
		}
	}
}

// pingPong answers an INVALID_KE or COOKIE answer with another request
// that is wrong again: moon must answer each request at most once and
// never start a loop of its own.
func (g *stormGen) pingPong(answer []byte) []byte {
	m, err := encoding.Decode(answer)
	if err != nil || m == nil {
		return nil
	}
	var b []byte
	if m.Notify(encoding.NotifyInvalidKEPayload) != nil {
		b = g.initWith(19, nil)
	} else {
		b = g.initWith(31, g.random(24))
	}
	binary.BigEndian.PutUint64(b, m.SPIi)
	return b
}

// ReadRecorded reads datagrams from a tcpdump text dump (tcpdump -x).
func ReadRecorded(path string) ([]Recorded, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Recorded
	var cur []byte
	flush := func() {
		if r, ok := parseIPv4UDP(cur); ok {
			out = append(out, r)
		}
		cur = nil
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "\t0x") {
			flush()
			continue
		}
		_, hex, _ := strings.Cut(line, ":")
		for _, w := range strings.Fields(hex) {
			for len(w) >= 2 {
				v, err := strconv.ParseUint(w[:2], 16, 8)
				if err != nil {
					break
				}
				cur = append(cur, byte(v))
				w = w[2:]
			}
		}
	}
	flush()
	return out, sc.Err()
}

func parseIPv4UDP(p []byte) (Recorded, bool) {
	if len(p) < 28 || p[0]>>4 != 4 || p[9] != 17 {
		return Recorded{}, false
	}
	ihl := int(p[0]&0x0f) * 4
	if len(p) < ihl+8 {
		return Recorded{}, false
	}
	src := netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[12:16])), binary.BigEndian.Uint16(p[ihl:]))
	dst := netip.AddrPortFrom(netip.AddrFrom4([4]byte(p[16:20])), binary.BigEndian.Uint16(p[ihl+2:]))
	return Recorded{Src: src, Dst: dst, Data: bytes.Clone(p[ihl+8:])}, true
}

// differential sends Differential datagrams of the storm's kinds (a
// generator of its own, seeded from Seed) one every few milliseconds, each
// from its own address in Sources, and records moon's answers to each.
// Replays (their source is a peer), oversized datagrams (no source of
// their own) and those built on the lab's live SAs (their SPIs differ from
// lab to lab) are left out; the generator knows neither replays nor live
// SAs, so that both labs get the same datagrams.
func differential(o StormOptions, snd *rawSender, capt *capture) ([]Probe, error) {
	do := o
	do.Seed = o.Seed + 1
	do.Replay, do.Live, do.LiveFile = nil, nil, ""
	g, err := newStormGen(do)
	if err != nil {
		return nil, err
	}
	probes := make([]Probe, 0, o.Differential)
	base := binary.BigEndian.Uint32(o.Sources.Masked().Addr().AsSlice())
	idx := func(a netip.Addr) int {
		if !a.Is4() || !o.Sources.Contains(a) {
			return -1
		}
		return int(binary.BigEndian.Uint32(a.AsSlice()) - base - 0x8000)
	}
	var mu sync.Mutex
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			src, dst, ike, ok := capt.next(200 * time.Millisecond)
			i := idx(dst)
			if !ok || src != o.Target || i < 0 {
				continue
			}
			mu.Lock()
			if i < len(probes) {
				probes[i].Answers = append(probes[i].Answers, summarize(ike))
			}
			mu.Unlock()
		}
	}()
	pkt := make([]byte, 0, 1600)
	for len(probes) < o.Differential {
		k, _, dport, payload := g.next()
		if k == stormReplay || k == stormOversized || k == stormFragBomb || k == stormForgedSPI || k == stormOutOfWindow {
			continue
		}
		var b4 [4]byte
		binary.BigEndian.PutUint32(b4[:], base+0x8000+uint32(len(probes)))
		src := netip.AddrFrom4(b4)
		head := payload[:min(48, len(payload))]
		mu.Lock()
		sum := sha256.Sum256(append(binary.BigEndian.AppendUint16(nil, dport), payload...))
		probes = append(probes, Probe{Kind: k, Head: fmt.Sprintf("%x", head), Sum: fmt.Sprintf("%x", sum[:8])})
		mu.Unlock()
		pkt = ipv4UDP(pkt, src, o.Target, 500, dport, payload)
		if err := snd.send(pkt); err != nil {
			return nil, err
		}
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	close(stop)
	<-done
	return probes, nil
}
