package crypto

import "sync"

// scratch holds the small per-call buffers of Seal and Open. Slices of stack
// arrays escape as soon as they are handed to an interface method
// (cipher.AEAD, hash.Hash), so the hot path takes them from a pool instead of
// allocating them per packet.
type scratch struct {
	nonce [12]byte
	aad   [12]byte
	sum   [64]byte
	want  [64]byte
	hi    [4]byte
	block [16]byte
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch() *scratch { return scratchPool.Get().(*scratch) }

// putScratch wipes what may be secret (MAC outputs) before reuse.
func putScratch(s *scratch) {
	clear(s.sum[:])
	clear(s.want[:])
	scratchPool.Put(s)
}
