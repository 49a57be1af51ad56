package kernel_libipsec

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"github.com/goswan/goswan/crypto"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/testing/pcap"
)

// TestStrongSwanCapture decrypts ESP that two real strongSwan 5.9.8 charons
// (kernel-libipsec) exchanged, with the keys moon's charon logged: wire
// compatibility of SPI, sequence number, IV, AAD, padding and ICV with
// strongSwan's libipsec (testdata/README.md says how it was captured).
func TestStrongSwanCapture(t *testing.T) {
	dirs, _ := filepath.Glob("testdata/strongswan-*")
	checked := 0
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			keys, err := os.ReadFile(filepath.Join(dir, "keys.log"))
			if err != nil {
				t.Fatal(err)
			}
			capture, err := os.ReadFile(filepath.Join(dir, "esp.pcap"))
			if err != nil {
				t.Fatal(err)
			}
			ds, err := pcap.UDP(capture)
			if err != nil {
				t.Fatal(err)
			}
			sas := saFromLog(t, string(keys))
			n := 0
			for _, d := range ds {
				p := udpRec{src: d.Src.Addr(), dst: d.Dst.Addr(), data: d.Payload}
				if len(p.data) < 8 || bytes.Equal(p.data[:4], []byte{0, 0, 0, 0}) || len(p.data) == 1 {
					continue // IKE behind the non-ESP marker, keepalives
				}
				spi := binary.BigEndian.Uint32(p.data)
				s := sas[spi]
				if s == nil {
					t.Fatalf("ESP with unknown SPI %08x", spi)
				}
				buf := make([]byte, 2048)
				from := 128
				copy(buf[from:], p.data)
				esp := buf[from : from+len(p.data)]
				seq := uint64(binary.BigEndian.Uint32(p.data[4:]))
				inner, err := s.open(esp, seq, p.src, p.dst, buf[:from+espHeaderLen+s.ivLen])
				if err != nil {
					t.Fatalf("SPI %08x seq %d: %v", spi, seq, err)
				}
				f := parseFlow(inner)
				if f.proto != 1 || !(f.src == topo4.alice && f.dst == topo4.bob || f.src == topo4.bob && f.dst == topo4.alice) {
					t.Fatalf("inner packet %s -> %s proto %d", f.src, f.dst, f.proto)
				}
				n++
			}
			if n == 0 {
				t.Fatalf("%s holds no ESP (rerun testing/capture/libipsec-strongswan-esp.sh)", dir)
			}
			checked += n
			t.Logf("decrypted %d ESP packets of strongSwan", n)
		})
	}
	if checked == 0 {
		t.Fatal("no strongSwan ESP capture decrypted")
	}
}

type udpRec struct {
	src, dst netip.Addr
	data     []byte
}

var (
	reKey  = regexp.MustCompile(`\[CHD\] (encryption|integrity) (initiator|responder) key => (\d+) bytes`)
	reHex  = regexp.MustCompile(`\[CHD\] +\d+: ((?:[0-9A-F]{2} ?)+)`)
	reSPI  = regexp.MustCompile(`\[CHD\] +SPI 0x([0-9a-f]{8}), src (\S+) dst (\S+)`)
	reProp = regexp.MustCompile(`selected proposal: ESP:(\S+)`)
)

// saFromLog builds moon's two SAs from its charon log: moon initiated, so
// the initiator keys protect moon's outbound SA and the responder keys its
// inbound one (keymat_v2's derive_child_keys).
func saFromLog(t *testing.T, log string) map[uint32]*sa {
	keys := map[string][]byte{}
	var cur string
	var want int
	var prop string
	var spis []struct {
		spi      uint32
		src, dst netip.Addr
		inbound  bool
	}
	inbound := false
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		l := sc.Text()
		if m := reProp.FindStringSubmatch(l); m != nil {
			prop = m[1]
		}
		if m := reKey.FindStringSubmatch(l); m != nil {
			cur = m[1] + " " + m[2]
			want, _ = strconv.Atoi(m[3])
			keys[cur] = nil
			continue
		}
		if m := reHex.FindStringSubmatch(l); m != nil && cur != "" && len(keys[cur]) < want {
			b, err := hex.DecodeString(strings.ReplaceAll(strings.TrimSpace(m[1]), " ", ""))
			if err != nil {
				t.Fatal(err)
			}
			keys[cur] = append(keys[cur], b...)
			continue
		}
		if strings.Contains(l, "adding inbound ESP SA") {
			inbound = true
		}
		if strings.Contains(l, "adding outbound ESP SA") {
			inbound = false
		}
		if m := reSPI.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseUint(m[1], 16, 32)
			spis = append(spis, struct {
				spi      uint32
				src, dst netip.Addr
				inbound  bool
			}{uint32(v), netip.MustParseAddr(m[2]), netip.MustParseAddr(m[3]), inbound})
		}
	}
	var enc crypto.EncryptionAlgorithm
	var integ crypto.IntegrityAlgorithm
	switch {
	case strings.HasPrefix(prop, "AES_GCM_16"):
		enc = crypto.EncrAESGCM16
	case strings.HasPrefix(prop, "CHACHA20_POLY1305"):
		enc = crypto.EncrChaCha20Poly1305
	case strings.HasPrefix(prop, "AES_CBC"):
		enc = crypto.EncrAESCBC
	default:
		t.Fatalf("proposal %q", prop)
	}
	if strings.Contains(prop, "HMAC_SHA2_256_128") {
		integ = crypto.AuthHMACSHA2_256_128
	}
	out := map[uint32]*sa{}
	for _, s := range spis {
		role := "initiator"
		if s.inbound {
			role = "responder"
		}
		id := kernel.SAID{Src: s.src, Dst: s.dst, SPI: s.spi, Proto: kernel.ProtoESP}
		d := kernel.AddSA{Mode: kernel.ModeTunnel, EncAlg: enc, EncKey: keys["encryption "+role],
			IntAlg: integ, IntKey: keys["integrity "+role], Encap: true, Inbound: true}
		x, err := newSA(id, d, time.Time{})
		if err != nil {
			t.Fatalf("SA %08x: %v", s.spi, err)
		}
		out[s.spi] = x
	}
	return out
}
