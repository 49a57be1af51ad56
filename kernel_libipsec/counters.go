package kernel_libipsec

import (
	"fmt"
	"sync/atomic"

	"github.com/goswan/goswan/kernel"
)

// Counters are the data plane's packet counters, the equivalent of XFRM's
// /proc/net/xfrm_stat: every packet that is not delivered is counted under
// the reason it was dropped.
type Counters struct {
	OutPackets, OutBytes atomic.Uint64
	OutInvalid           atomic.Uint64 // not an IP packet
	OutNoPolicy          atomic.Uint64 // no IPsec policy selects it
	OutNoSA              atomic.Uint64 // the policy's reqid has no SA (yet)
	OutExpired           atomic.Uint64 // the SA reached a hard byte/packet limit
	OutSeqExhausted      atomic.Uint64 // sequence numbers used up (rekey missing)
	OutSealErrors        atomic.Uint64
	SendErrors           atomic.Uint64
	TUNReadErrors        atomic.Uint64

	InPackets, InBytes atomic.Uint64
	InInvalid          atomic.Uint64 // malformed ESP, padding or inner packet
	InNoSA             atomic.Uint64 // unknown SPI or destination
	InReplay           atomic.Uint64 // replayed or too old
	InAuthFail         atomic.Uint64 // ICV did not verify (modified packet)
	InPolicy           atomic.Uint64 // inner packet not allowed by the SA's policy
	InDummy            atomic.Uint64 // TFC dummy packets (next header 59)
	InExpired          atomic.Uint64
	TUNWriteErrors     atomic.Uint64
}

// Stats is a copy of the counters.
type Stats struct {
	OutPackets, OutBytes, OutInvalid, OutNoPolicy, OutNoSA, OutExpired uint64
	OutSeqExhausted, OutSealErrors, SendErrors, TUNReadErrors          uint64
	InPackets, InBytes, InInvalid, InNoSA, InReplay, InAuthFail        uint64
	InPolicy, InDummy, InExpired, TUNWriteErrors                       uint64
}

// Stats returns the data plane's counters.
func (k *IPsec) Stats() Stats {
	c := &k.counter
	return Stats{
		OutPackets: c.OutPackets.Load(), OutBytes: c.OutBytes.Load(), OutInvalid: c.OutInvalid.Load(),
		OutNoPolicy: c.OutNoPolicy.Load(), OutNoSA: c.OutNoSA.Load(), OutExpired: c.OutExpired.Load(),
		OutSeqExhausted: c.OutSeqExhausted.Load(), OutSealErrors: c.OutSealErrors.Load(),
		SendErrors: c.SendErrors.Load(), TUNReadErrors: c.TUNReadErrors.Load(),
		InPackets: c.InPackets.Load(), InBytes: c.InBytes.Load(), InInvalid: c.InInvalid.Load(),
		InNoSA: c.InNoSA.Load(), InReplay: c.InReplay.Load(), InAuthFail: c.InAuthFail.Load(),
		InPolicy: c.InPolicy.Load(), InDummy: c.InDummy.Load(), InExpired: c.InExpired.Load(),
		TUNWriteErrors: c.TUNWriteErrors.Load(),
	}
}

// SAStats are the per-SA drop counters (usage is in QuerySA).
type SAStats struct {
	ReplayDrops, AuthFailures, SeqExhausted uint64
	// Seq is the last sequence number sent (outbound) or the highest
	// authenticated one (inbound).
	Seq uint64
}

// SAStats reports an SA's counters.
func (k *IPsec) SAStats(id kernel.SAID) (SAStats, error) {
	k.mu.Lock()
	s, ok := k.sas[saKey{id.Dst.Unmap(), id.SPI, id.Proto}]
	k.mu.Unlock()
	if !ok {
		return SAStats{}, fmt.Errorf("SA %s: %w", id, kernel.ErrNotFound)
	}
	st := SAStats{ReplayDrops: s.replayDrops.Load(), AuthFailures: s.authFails.Load(), SeqExhausted: s.seqExhausted.Load()}
	if s.inbound {
		st.Seq = s.top.Load()
	} else {
		st.Seq = s.seq.Load()
	}
	return st, nil
}

// Sizes reports how many SAs (installed and larval) and policies the
// data plane holds: what a test compares against the CHILD_SAs the
// daemon shows, to find entries that outlived theirs.
func (k *IPsec) Sizes() (sas, larval, policies int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.sas), len(k.larval), len(k.table.IDs())
}
