package crypto

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
)

// IV generation follows libstrongswan/crypto/iv: CBC modes need
// unpredictable IVs, so they are read from the random source; counter modes
// and AEADs need IVs that never repeat under one key but may be predictable,
// so they use a 64-bit counter masked with a random salt drawn once. The mask
// hides how many messages an SA has protected, as strongSwan's iv_gen_seq
// does (it XORs the IKE message ID with a random salt).

// ivGenerator fills an IV of the cipher's IV length.
type ivGenerator interface {
	generate(iv []byte) error
}

// randomIV reads every IV from the injected source.
type randomIV struct{ rand io.Reader }

func (g randomIV) generate(iv []byte) error {
	if _, err := io.ReadFull(g.rand, iv); err != nil {
		return fmt.Errorf("generating IV: %w", err)
	}
	return nil
}

// ErrIVExhausted is returned when a sequential IV generator has used all 2^64
// counter values: continuing would repeat a nonce under the same key.
var ErrIVExhausted = errors.New("IV counter exhausted, rekey required")

// seqIV hands out salt XOR counter for counter = 1, 2, ... It is safe for
// concurrent use.
type seqIV struct {
	salt    uint64
	counter atomic.Uint64
}

func newSeqIV(rand io.Reader) (*seqIV, error) {
	var b [8]byte
	if _, err := io.ReadFull(rand, b[:]); err != nil {
		return nil, fmt.Errorf("generating IV salt: %w", err)
	}
	return &seqIV{salt: binary.BigEndian.Uint64(b[:])}, nil
}

func (g *seqIV) generate(iv []byte) error {
	n := g.counter.Add(1)
	if n == 0 {
		g.counter.Store(^uint64(0)) // stay exhausted
		return ErrIVExhausted
	}
	if len(iv) < 8 {
		return fmt.Errorf("sequential IV needs 8 bytes, have %d", len(iv))
	}
	// Longer IVs are zero-filled in front, as iv_gen_seq does.
	clear(iv[:len(iv)-8])
	binary.BigEndian.PutUint64(iv[len(iv)-8:], n^g.salt)
	return nil
}

// nullIV is the generator for ciphers without an IV.
type nullIV struct{}

func (nullIV) generate(iv []byte) error {
	if len(iv) != 0 {
		return fmt.Errorf("cipher has no IV, asked for %d bytes", len(iv))
	}
	return nil
}

func newIVGenerator(a EncryptionAlgorithm, rand io.Reader) (ivGenerator, error) {
	if rand == nil {
		return nil, errors.New("no random source")
	}
	switch {
	case a.IVSize() == 0:
		return nullIV{}, nil
	case a.row().mode == modeCBC:
		return randomIV{rand}, nil
	}
	return newSeqIV(rand)
}
