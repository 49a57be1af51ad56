package encoding

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestCaptureSummaries decodes every captured packet (decrypting it with the
// keys charon logged, reassembling fragments) and checks that String() is
// exactly the "parsed ..." line the receiving charon logged for it and the
// "generating ..." line the sending charon logged.
func TestCaptureSummaries(t *testing.T) {
	for _, run := range captureRuns {
		t.Run(run, func(t *testing.T) { checkSummaries(t, loadCapture(t, run)) })
	}
}

// checkSummaries walks a capture packet by packet, as the two charons saw
// it, comparing String() with their summaries.
func checkSummaries(t *testing.T, c *capture) {
	t.Helper()
	reasm := map[string]*Reassembler{"moon": NewReassembler(0), "sun": NewReassembler(0)}
	pendingFull := map[string]string{}
	for _, pk := range c.packets {
		m, err := Decode(pk.data)
		if err != nil {
			t.Fatalf("%s: Decode: %v", pk.name, err)
		}
		if m.Size() != len(pk.data) {
			t.Errorf("%s: Size %d, want %d", pk.name, m.Size(), len(pk.data))
		}
		if m.Encrypted() {
			c.decrypt(t, pk.name, m)
		}
		f := m.Fragment()
		if f != nil && f.Number == 1 {
			// charon logs the whole message before it splits it
			pendingFull[pk.from] = c.next(t, pk.from, "generating", pk.name)
		}
		if got, want := m.String(), c.next(t, pk.from, "generating", pk.name); got != want {
			t.Errorf("%s: sender's summary\n got %s\nwant %s", pk.name, got, want)
		}
		parsed := c.next(t, pk.to, "parsed", pk.name)
		if f != nil {
			c.summaries[pk.to]["parsed"] = append([]string{parsed}, c.summaries[pk.to]["parsed"]...)
			parsed = c.take(t, pk.to, "parsed", pk.name, m.String(), int(f.Total-f.Number)+1)
		}
		if got, want := m.String(), parsed; got != want {
			t.Errorf("%s: receiver's summary\n got %s\nwant %s", pk.name, got, want)
		}
		if f == nil {
			continue
		}
		full, err := reasm[pk.to].Add(m)
		if err != nil {
			t.Fatalf("%s: reassembly: %v", pk.name, err)
		}
		if full == nil {
			continue
		}
		want := c.next(t, pk.to, "parsed", pk.name)
		if got := full.String(); got != want || got != pendingFull[pk.from] {
			t.Errorf("%s: reassembled summary\n got %s\nwant %s\n and %s", pk.name, got, want, pendingFull[pk.from])
		}
	}
	for host, verbs := range c.summaries {
		for verb, left := range verbs {
			if len(left) > 0 {
				t.Errorf("%s logged %d %s lines without a captured packet: %q", host, len(left), verb, left)
			}
		}
	}
}

// TestCaptureIKESAInitRoundTrip re-encodes the plaintext IKE_SA_INIT
// packets: as decoded, and after sorting the payloads into charon's order,
// which must be the order charon sent them in.
func TestCaptureIKESAInitRoundTrip(t *testing.T) {
	n := 0
	for _, run := range captureRuns {
		c := loadCapture(t, run)
		for _, pk := range c.packets {
			m, err := Decode(pk.data)
			if err != nil {
				t.Fatalf("%s/%s: %v", run, pk.name, err)
			}
			if m.Exchange != ExchangeIKESAInit {
				continue
			}
			n++
			b, err := m.Encode(nil, nil)
			if err != nil || !bytes.Equal(b, pk.data) {
				t.Errorf("%s/%s: re-encoding differs (err %v)\n got %x\nwant %x", run, pk.name, err, b, pk.data)
			}
			m.KeepOrder = false
			b, err = m.Encode(nil, nil)
			if err != nil || !bytes.Equal(b, pk.data) {
				t.Errorf("%s/%s: re-encoding in charon's order differs (err %v): %s", run, pk.name, err, m)
			}
		}
	}
	if n != 2*len(captureRuns) {
		t.Errorf("%d IKE_SA_INIT packets, want %d", n, 2*len(captureRuns))
	}
}

// TestCaptureReencrypt decrypts every unfragmented protected packet and
// seals it again with the IV and padding charon used: the bytes must be
// identical, for encrypt-then-MAC (AES-CBC/HMAC-SHA2-256-128) and AEAD
// (AES-GCM-16) alike. Sorting into charon's order must not change them.
func TestCaptureReencrypt(t *testing.T) {
	for _, run := range captureRuns {
		t.Run(run, func(t *testing.T) {
			c := loadCapture(t, run)
			n := 0
			for _, pk := range c.packets {
				m, err := Decode(pk.data)
				if err != nil {
					t.Fatal(err)
				}
				if !m.Encrypted() || m.Fragment() != nil {
					continue
				}
				n++
				ci := c.decrypt(t, pk.name, m)
				for _, keep := range []bool{true, false} {
					ci.src().queue = [][]byte{ivOf(pk.data, ci)}
					m.KeepOrder = keep
					b, err := m.Encode(ci, &fixedReader{paddingOf(ci)})
					if err != nil {
						t.Fatalf("%s: Encode: %v", pk.name, err)
					}
					if !bytes.Equal(b, pk.data) {
						t.Errorf("%s (keep order %v): re-encrypted bytes differ\n got %x\nwant %x", pk.name, keep, b, pk.data)
					}
				}
			}
			if n == 0 {
				t.Fatal("no protected packets")
			}
		})
	}
}

// TestCaptureFragments reassembles the real SKF fragments of the frag run
// and splits the reassembled messages again with charon's fragment size
// (charon.fragment_size = 256 over IPv4 with the non-ESP marker): the same
// number of fragments with the same bytes, given the same IVs and padding.
func TestCaptureFragments(t *testing.T) {
	c := loadCapture(t, "frag")
	splitSizes := logSizes(t, "frag", "moon", `splitting IKE message \((\d+) bytes\)`)
	reassembledSizes := logSizes(t, "frag", "sun", `reassembled fragmented IKE message \((\d+) bytes\)`)
	if len(splitSizes) != 3 || len(reassembledSizes) != 3 {
		t.Fatalf("logs: %d splits, %d reassemblies", len(splitSizes), len(reassembledSizes))
	}
	r := NewReassembler(0)
	var frags [][]byte
	var ivs [][]byte
	var padding []byte
	messages := 0
	for _, pk := range c.packets {
		m, err := Decode(pk.data)
		if err != nil {
			t.Fatal(err)
		}
		f := m.Fragment()
		if f == nil {
			continue
		}
		ci := c.decrypt(t, pk.name, m)
		frags = append(frags, pk.data)
		ivs = append(ivs, ivOf(pk.data, ci))
		padding = append(padding, paddingOf(ci)...)
		full, err := r.Add(m)
		if err != nil {
			t.Fatal(err)
		}
		if full == nil {
			continue
		}
		messages++
		reassembled := full.Size()
		if int(f.Total) != len(frags) {
			t.Fatalf("%s: %d fragments for a total of %d", pk.name, len(frags), f.Total)
		}
		ci.src().queue = ivs
		out, err := full.EncodeFragments(ci, &fixedReader{padding}, FragmentSize(256, false, true))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != len(frags) {
			t.Fatalf("%s: split into %d fragments, charon sent %d", pk.name, len(out), len(frags))
		}
		for i := range out {
			if !bytes.Equal(out[i], frags[i]) {
				t.Errorf("%s: fragment %d differs\n got %x\nwant %x", pk.name, i+1, out[i], frags[i])
			}
		}
		// Size is what charon logged when splitting and reassembling
		if want := splitSizes[messages-1]; full.Size() != want {
			t.Errorf("%s: Size after EncodeFragments %d, charon split %d bytes", pk.name, full.Size(), want)
		}
		if got, want := reassembled, reassembledSizes[messages-1]; got != want {
			t.Errorf("%s: reassembled size %d, charon reassembled %d bytes", pk.name, got, want)
		}
		frags, ivs, padding = nil, nil, nil
	}
	if messages != 3 {
		t.Errorf("reassembled %d messages, the capture has 3", messages)
	}
}

// TestCaptureWrongKey: a key of another IKE_SA fails the ICV check with
// ErrIntegrity and leaves the message untouched.
func TestCaptureWrongKey(t *testing.T) {
	for _, run := range captureRuns {
		c := loadCapture(t, run)
		for _, pk := range c.packets {
			m, _ := Decode(pk.data)
			if !m.Encrypted() {
				continue
			}
			// the responder's key for a message of the initiator
			wrong := c.ciphers(!m.Initiator)[0]
			before := m.String()
			if err := m.Decrypt(wrong); !errors.Is(err, ErrIntegrity) {
				t.Errorf("%s/%s: Decrypt with the wrong key: %v", run, pk.name, err)
			}
			if m.String() != before || !m.Encrypted() {
				t.Errorf("%s/%s: failed Decrypt changed the message", run, pk.name)
			}
			break
		}
	}
}

// logSizes returns the byte counts of the lines of host's log in run that
// match re (whose first group is the count).
func logSizes(t *testing.T, run, host, re string) []int {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "capture", run, host+".charon.log"))
	if err != nil {
		t.Fatal(err)
	}
	var sizes []int
	for _, m := range regexp.MustCompile(re).FindAllStringSubmatch(string(data), -1) {
		n, _ := strconv.Atoi(m[1])
		sizes = append(sizes, n)
	}
	return sizes
}
