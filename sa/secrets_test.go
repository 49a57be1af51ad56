package sa_test

import (
	"bytes"
	"encoding/hex"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/fakekernel"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testenv"
)

// secretsRun sets up moon and sun with every log group at level, runs the
// IKE_SA, CHILD_SA rekeys with PFS and an IKE rekey, and returns both
// logs and the wire. The run is the same at every level (seeded
// randomness, virtual time).
func secretsRun(t *testing.T, level bus.Level) (string, []ikesim.WireRecord) {
	p := ikesim.NewPair(t, func(mo, so *ikesim.ConnOpts) {
		for _, o := range []*ikesim.ConnOpts{mo, so} {
			o.ESP, o.Lifetime, o.Margin, o.IKELifetime = "aes128gcm16-modp2048!", 30, 10, 600
		}
	})
	var buf testenv.Buffer
	levels := bus.DefaultLevels()
	for g := range levels {
		levels[g] = level
	}
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		n.Env.Bus.SetSinks(bus.NewWriterLogger(&buf, bus.FileOptions{}, levels))
	}
	p.Up()
	p.Advance(90 * time.Second)
	p.Moon.WantEstablished(t, 1)
	return buf.String(), p.Wire()
}

var reDumpLine = regexp.MustCompile(`^(?:\d+\[\w+\] )?\s+\d+: ((?:[0-9A-F]{2} ?)+)$`)

// dumps returns the byte strings of every hex dump in a log.
func dumps(log string) [][]byte {
	var out [][]byte
	var cur []byte
	for _, line := range strings.Split(log, "\n") {
		m := reDumpLine.FindStringSubmatch(line)
		if m == nil {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(m[1], " ", ""))
		if err == nil {
			cur = append(cur, b...)
		}
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// contains reports whether secret (its first 16 bytes, or all of a shorter
// one) shows in the log: in a hex dump, or as hex in a line.
func contains(log string, ds [][]byte, secret []byte) bool {
	w := secret[:min(16, len(secret))]
	for _, d := range ds {
		if bytes.Contains(d, w) {
			return true
		}
	}
	l := strings.ToLower(strings.ReplaceAll(log, " ", ""))
	return strings.Contains(l, hex.EncodeToString(w))
}

// Keys, PSKs and nonces appear in the log only at the levels where
// charon logs them: the derived keys, DH secrets and the PSK at level 4
// (private) only, nonces (inside the raw message dumps) from level 3.
// The secrets are what level 4 shows and level 3 does not, as the runs
// are alike at every level; the PSK and the nonces are known anyway.
func TestSecretsInLogsOnlyAtTheirLevel(t *testing.T) {
	logs := map[bus.Level]string{}
	var wire []ikesim.WireRecord
	for l := bus.Level(0); l <= bus.Private; l++ {
		var w []ikesim.WireRecord
		logs[l], w = secretsRun(t, l)
		if wire == nil {
			wire = w
		} else if len(w) != len(wire) {
			t.Fatalf("level %d: %d packets, level 0 had %d: the runs differ", l, len(w), len(wire))
		}
	}
	raw := map[string]bool{}
	for _, d := range dumps(logs[bus.Raw]) {
		raw[string(d)] = true
	}
	var secrets [][]byte
	for _, d := range dumps(logs[bus.Private]) {
		if !raw[string(d)] && len(d) >= 16 {
			secrets = append(secrets, d)
		}
	}
	// ikesim's nodes take the secret's text as it is.
	secrets = append(secrets, []byte(ikesim.DefaultPSK))
	if len(secrets) < 10 {
		t.Fatalf("level 4 shows only %d secrets; the test would prove nothing", len(secrets))
	}
	var nonces [][]byte
	for _, r := range wire {
		if m, err := encoding.Decode(r.Packet.Data); err == nil && m.Exchange == encoding.ExchangeIKESAInit {
			if n, ok := m.First(encoding.PayloadNonce).(*encoding.Nonce); ok {
				nonces = append(nonces, n.Data)
			}
		}
	}
	if len(nonces) < 2 {
		t.Fatalf("%d nonces on the wire", len(nonces))
	}
	for l := bus.Level(0); l <= bus.Private; l++ {
		ds := dumps(logs[l])
		for i, s := range secrets {
			if got := contains(logs[l], ds, s); got != (l == bus.Private) {
				t.Errorf("level %d: secret %d (%x...) in the log: %v", l, i, s[:8], got)
			}
		}
		for i, n := range nonces {
			if got := contains(logs[l], ds, n); got != (l >= bus.Raw) {
				t.Errorf("level %d: nonce %d in the log: %v", l, i, got)
			}
		}
	}
}

// keyRecorder is the fake kernel, keeping the key slices the daemon hands
// over (not copies): they must be wiped once the SA is installed.
type keyRecorder struct {
	*fakekernel.Kernel
	mu   sync.Mutex
	keys [][]byte
}

func (k *keyRecorder) AddSA(id kernel.SAID, d kernel.AddSA) error {
	k.mu.Lock()
	k.keys = append(k.keys, d.EncKey, d.IntKey)
	k.mu.Unlock()
	return k.Kernel.AddSA(id, d)
}

func allZero(b []byte) bool { return len(bytes.Trim(b, "\x00")) == 0 }

// Memory holding secrets is wiped as charon's memwipe does: the CHILD_SA
// keys once the kernel has them, the IKE_SA's keys when it goes.
func TestSecretsWipedOnTeardown(t *testing.T) {
	p := ikesim.NewPair(t, nil)
	rec := &keyRecorder{Kernel: p.Moon.Kern}
	p.Moon.Env.Kernel = rec
	p.Up()
	p.Advance(time.Second)
	ike := p.Moon.WantEstablished(t, 1)
	ikeKeys := sa.KeymatSecrets(ike.Keymat())
	if len(ikeKeys) == 0 || allZero(ikeKeys[1]) {
		t.Fatal("no IKE keys to watch")
	}
	rec.mu.Lock()
	if len(rec.keys) < 2 {
		t.Fatalf("%d keys handed to the kernel", len(rec.keys))
	}
	for i, k := range rec.keys {
		if len(k) > 0 && !allZero(k) {
			t.Errorf("CHILD_SA key %d still in the daemon's memory after installation: %x", i, k)
		}
	}
	rec.mu.Unlock()
	p.Moon.WithIKESA(t, 0, func(ike *sa.IKESA) sa.Status { return ike.Delete(false) })
	p.Advance(time.Second)
	p.Moon.WantNoIKESA(t)
	for i, k := range ikeKeys {
		if !allZero(k) {
			t.Errorf("IKE key %d not wiped when the IKE_SA went: %x", i, k)
		}
	}
}
