package crypto

import (
	"bytes"
	"encoding/hex"
	mrand "math/rand/v2"
	"strings"
	"testing"
)

// unhex decodes a hex test value, ignoring spaces and case.
func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

// fixedReader hands out the given bytes, then fails: a test that consumes
// more randomness than it expects notices.
type fixedReader struct{ b []byte }

func (r *fixedReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errExhausted
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

type exhaustedError struct{}

func (exhaustedError) Error() string { return "fixed reader exhausted" }

var errExhausted = exhaustedError{}

// countingReader is an endless deterministic source (bytes 0, 1, 2, ...).
type countingReader struct{ n byte }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.n
		r.n++
	}
	return len(p), nil
}

func mustEqual(t testing.TB, what string, got, want []byte) {
	t.Helper()
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// seededReader is an endless deterministic source that does not repeat.
func seededReader(seed byte) *mrand.ChaCha8 {
	return mrand.NewChaCha8([32]byte{seed})
}
