package tasks

import (
	"encoding/binary"
	"slices"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// sendHashAlgorithms announces the hashes we verify signatures with
// (send_supported_hash_algorithms): those of the peer config's IKE
// signature constraints, if any, else every one we support.
func (t *IKEInit) sendHashAlgorithms(m *encoding.Message) {
	var algs []credentials.HashAlgorithm
	if peer := t.ike.PeerCfg(); peer != nil {
		for _, r := range peer.RemoteAuth {
			for _, s := range r.IKESignatureSchemes {
				if h := s.Hash(); h.ForIKEv2() && !slices.Contains(algs, h) {
					algs = append(algs, h)
				}
			}
		}
	}
	if len(algs) == 0 {
		algs = supportedHashAlgorithms
	}
	slices.Sort(algs)
	var data []byte
	var names strings.Builder
	for _, h := range algs {
		data = binary.BigEndian.AppendUint16(data, uint16(h))
		names.WriteString(" " + h.ShortName())
	}
	m.AddNotify(encoding.NotifySignatureHashAlgorithms, data)
	t.ike.Log(bus.CFG, bus.Diag, "sending supported signature hash algorithms:%s", names.String())
}

// handleHashAlgorithms stores the hashes the peer supports
// (handle_supported_hash_algorithms); signature authentication is on once
// one of them may be used with IKEv2.
func (t *IKEInit) handleHashAlgorithms(data []byte) {
	var names strings.Builder
	added := false
	for ; len(data) >= 2; data = data[2:] {
		h := credentials.HashAlgorithm(binary.BigEndian.Uint16(data))
		if h.ForIKEv2() {
			t.ike.Keymat().AddHashAlgorithm(h)
			added = true
			names.WriteString(" " + h.ShortName())
		}
	}
	t.ike.Log(bus.CFG, bus.Diag, "received supported signature hash algorithms:%s", names.String())
	if added {
		t.ike.Enable(sa.ExtSignatureAuth)
	}
}
