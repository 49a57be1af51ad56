package encoding

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The captures under testdata/capture come from two Debian charons 5.9.8
// (testing/capture/ike-capture.sh, see testdata/capture/README.md). These
// helpers load a run: its packets in order, the "parsed"/"generating"
// summaries of both charons' logs, and the IKE keys charon logged at level 4.

var captureRuns = []string{"default", "frag", "gcm", "eapcp"}

type capturedPacket struct {
	name     string
	from, to string
	data     []byte
}

// keySet is one IKE_SA's encryption and integrity keys.
type keySet struct {
	ei, er, ai, ar []byte
}

type capture struct {
	run     string
	packets []capturedPacket
	// summaries[host][verb] lists charon's message summaries in log order
	summaries map[string]map[string][]string
	keys      []keySet
	aead      bool
}

func loadCapture(t testing.TB, run string) *capture {
	t.Helper()
	return loadCaptureDir(t, filepath.Join("testdata", "capture"), run)
}

// loadCaptureDir loads run from a directory ike-capture.sh wrote.
func loadCaptureDir(t testing.TB, base, run string) *capture {
	t.Helper()
	dir := filepath.Join(base, run)
	c := &capture{run: run, summaries: map[string]map[string][]string{}}
	files, err := filepath.Glob(filepath.Join(dir, "packets", "*.bin"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no packets in %s: %v", dir, err)
	}
	sort.Strings(files)
	nameRE := regexp.MustCompile(`_(moon|sun)-(moon|sun)(_frag\d+-of-\d+)?\.bin$`)
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		m := nameRE.FindStringSubmatch(f)
		if m == nil {
			t.Fatalf("unexpected packet file name %s", f)
		}
		c.packets = append(c.packets, capturedPacket{name: filepath.Base(f), from: m[1], to: m[2], data: data})
	}
	for _, host := range []string{"moon", "sun"} {
		c.summaries[host] = readSummaries(t, filepath.Join(dir, host+".charon.log"))
	}
	c.keys = readKeys(t, filepath.Join(dir, "moon.charon.log"))
	if len(c.keys) == 0 {
		t.Fatalf("%s: no IKE keys in moon's log", run)
	}
	c.aead = len(c.keys[0].ai) == 0
	return c
}

var summaryRE = regexp.MustCompile(`\[ENC\] (parsed|generating) ([A-Z_0-9()]+ (?:request|response) \d+ \[.*)$`)

func readSummaries(t testing.TB, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := summaryRE.FindStringSubmatch(sc.Text()); m != nil {
			out[m[1]] = append(out[m[1]], m[2])
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var (
	keyHeadRE = regexp.MustCompile(` (\d+)\[IKE\] (Sk_[a-z]+) secret => (\d+) bytes`)
	dumpRE    = regexp.MustCompile(` (\d+)\[IKE\]\s+\d+: (.*)$`)
)

// readKeys collects the Sk_* secrets charon logs at "ike 4", one keySet per
// key derivation (each starts with Sk_d).
func readKeys(t testing.TB, path string) []keySet {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	var sets []keySet
	for i := 0; i < len(lines); i++ {
		h := keyHeadRE.FindStringSubmatch(lines[i])
		if h == nil {
			continue
		}
		thread, label := h[1], h[2]
		n, _ := strconv.Atoi(h[3])
		var key []byte
		for j := i + 1; j < len(lines) && len(key) < n; j++ {
			d := dumpRE.FindStringSubmatch(lines[j])
			if d == nil || d[1] != thread {
				continue
			}
			fields := strings.Fields(d[2])
			for k := 0; k < len(fields) && k < 16 && len(key) < n; k++ {
				v, err := strconv.ParseUint(fields[k], 16, 8)
				if err != nil {
					t.Fatalf("%s:%d: bad dump %q", path, j+1, lines[j])
				}
				key = append(key, byte(v))
			}
		}
		if len(key) != n {
			t.Fatalf("%s: %s: read %d of %d bytes", path, label, len(key), n)
		}
		switch label {
		case "Sk_d":
			sets = append(sets, keySet{})
		case "Sk_ai":
			sets[len(sets)-1].ai = key
		case "Sk_ar":
			sets[len(sets)-1].ar = key
		case "Sk_ei":
			sets[len(sets)-1].ei = key
		case "Sk_er":
			sets[len(sets)-1].er = key
		}
	}
	return sets
}

// ciphers returns, for each IKE_SA of the run, a fresh cipher for messages
// sent by the original initiator (initiator true) or by the responder.
func (c *capture) ciphers(initiator bool) []testCipher {
	var cs []testCipher
	for _, k := range c.keys {
		e, a := k.er, k.ar
		if initiator {
			e, a = k.ei, k.ai
		}
		if c.aead {
			cs = append(cs, newGCM16(e))
		} else {
			cs = append(cs, newCBCHMAC(e, a))
		}
	}
	return cs
}

// decrypt opens m with whichever of the run's IKE_SAs sent it; the ICV
// check decides, so a wrong key never passes.
func (c *capture) decrypt(t testing.TB, name string, m *Message) testCipher {
	t.Helper()
	var firstErr error
	for _, ci := range c.ciphers(m.Initiator) {
		err := m.Decrypt(ci)
		if err == nil {
			return ci
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	t.Fatalf("%s: no key of the run decrypts it: %v", name, firstErr)
	return nil
}

// next pops the next summary of host's log for verb.
func (c *capture) next(t *testing.T, host, verb, packet string) string {
	t.Helper()
	s := c.summaries[host][verb]
	if len(s) == 0 {
		t.Fatalf("%s: %s's log has no more %q lines", packet, host, verb)
	}
	c.summaries[host][verb] = s[1:]
	return s[0]
}

// take removes want from the next n lines of host's log with verb, the
// lines that may come in any order: charon parses the fragments of one
// message on several worker threads, so their "parsed" lines are logged in
// the order the threads got to them, not the order they arrived in.
func (c *capture) take(t *testing.T, host, verb, packet, want string, n int) string {
	t.Helper()
	s := c.summaries[host][verb]
	for i := 0; i < len(s) && i < n; i++ {
		if s[i] == want {
			c.summaries[host][verb] = append(s[:i:i], s[i+1:]...)
			return want
		}
	}
	return c.next(t, host, verb, packet)
}

// paddingOf returns the padding charon chose (without the pad length
// octet), read from the plaintext the test cipher last opened.
func paddingOf(ci testCipher) []byte {
	p := ci.src().opened
	n := int(p[len(p)-1]) + 1
	return bytes.Clone(p[len(p)-n : len(p)-1])
}

// ivOf returns the IV of a protected message as received.
func ivOf(raw []byte, ci Cipher) []byte {
	h, _ := DecodeHeader(raw)
	off := HeaderLen + genericHeaderLen
	if h.NextPayload == PayloadSKF {
		off += 4
	}
	return bytes.Clone(raw[off : off+ci.IVSize()])
}
