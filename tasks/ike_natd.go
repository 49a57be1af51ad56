package tasks

import (
	"bytes"
	"crypto/sha1"
	"encoding/binary"
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/sa"
)

// IKENATD detects NATs with the NAT_DETECTION_*_IP notifies (RFC 7296
// §2.23), ike_natd.c: hashes of SPIs, address and port; a mismatch means a
// NAT on that side, and the SA floats to port 4500. With forceencaps or a
// data plane that needs UDP encapsulation, the source hash is faked.
type IKENATD struct {
	ike                    *sa.IKESA
	initiator              bool
	srcSeen, dstSeen       bool
	srcMatched, dstMatched bool
	mappingChanged         bool
	fakeNoSourceIP         bool
}

// NewIKENATD creates the task.
func NewIKENATD(ike *sa.IKESA, initiator bool) *IKENATD {
	return &IKENATD{ike: ike, initiator: initiator}
}

// Type implements sa.Task.
func (t *IKENATD) Type() sa.TaskType { return sa.TaskIKENATD }

// Migrate implements sa.Task.
func (t *IKENATD) Migrate(ike *sa.IKESA) { *t = IKENATD{ike: ike, initiator: t.initiator} }

// MappingChanged reports a NAT mapping change seen in an INFORMATIONAL.
func (t *IKENATD) MappingChanged() bool { return t.mappingChanged }

func (t *IKENATD) forceEncap() bool {
	if cfg := t.ike.IKECfg(); cfg != nil && cfg.ForceEncap {
		return true
	}
	k := t.ike.Env().Kernel
	return k != nil && k.Features()&kernel.FeatureRequireUDPEncapsulation != 0
}

// natdHash is SHA1(SPIi | SPIr | IP | port).
func natdHash(id sa.IKESAID, host netip.AddrPort) []byte {
	h := sha1.New()
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], id.SPIi)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], id.SPIr)
	h.Write(b[:])
	h.Write(host.Addr().AsSlice())
	binary.BigEndian.PutUint16(b[:2], host.Port())
	h.Write(b[:2])
	return h.Sum(nil)
}

func (t *IKENATD) payload(typ encoding.NotifyType, host netip.AddrPort) *encoding.Notify {
	id := t.ike.ID()
	if typ == encoding.NotifyNATDetectionSourceIP && (t.forceEncap() || host.Addr().IsUnspecified()) {
		// An address no peer can match makes it believe we are behind a
		// NAT, so that ESP is UDP-encapsulated.
		var fake [4]byte
		_ = t.ike.Env().Read(fake[:])
		host = netip.AddrPortFrom(netip.AddrFrom4(fake), 0)
	}
	return &encoding.Notify{NotifyType: typ, Data: natdHash(id, host)}
}

func (t *IKENATD) processPayloads(m *encoding.Message) {
	src, dst := t.ike.MessageAddrs()
	id := sa.IKESAID{SPIi: m.SPIi, SPIr: m.SPIr}
	dstHash, srcHash := natdHash(id, dst), natdHash(id, src)
	for _, n := range m.Notifies() {
		switch n.NotifyType {
		case encoding.NotifyNATDetectionDestinationIP:
			t.dstSeen = true
			if !t.dstMatched && bytes.Equal(n.Data, dstHash) {
				t.dstMatched = true
			}
			if m.Exchange == encoding.ExchangeInformational && t.initiator && !t.dstMatched {
				t.mappingChanged = t.ike.HasMappingChanged(n.Data)
			}
		case encoding.NotifyNATDetectionSourceIP:
			t.srcSeen = true
			if !t.srcMatched && bytes.Equal(n.Data, srcHash) {
				t.srcMatched = true
			}
		}
	}
	if !t.srcSeen || !t.dstSeen {
		return
	}
	t.ike.Enable(sa.ExtNATT)
	if t.fakeNoSourceIP {
		if t.dstMatched {
			t.dstMatched = false // we faked a NAT: keep faking it
		} else {
			t.fakeNoSourceIP = false
		}
	} else if t.initiator && t.dstMatched && t.ike.Has(sa.CondNATHere) {
		t.mappingChanged = true
	}
	t.ike.SetCondition(sa.CondNATHere, !t.dstMatched)
	t.ike.SetCondition(sa.CondNATThere, !t.srcMatched)
	if t.dstMatched && t.srcMatched && t.forceEncap() {
		t.ike.SetCondition(sa.CondNATFake, true)
	}
}

// Build implements sa.Task.
func (t *IKENATD) Build(m *encoding.Message) sa.Status {
	if t.initiator {
		return t.buildI(m, t.ike.MyHost(), t.ike.OtherHost())
	}
	return t.buildR(m)
}

// buildI adds the request's hashes for a message from src to dst (the
// MOBIKE task sends from a new address).
func (t *IKENATD) buildI(m *encoding.Message, src, dst netip.AddrPort) sa.Status {
	host := src
	if !host.Addr().IsUnspecified() || t.forceEncap() {
		m.Add(t.payload(encoding.NotifyNATDetectionSourceIP, host))
	} else if host.Addr().Is4() {
		t.ike.Log(bus.IKE, bus.Control, "unable to determine source address, faking NAT situation")
		t.fakeNoSourceIP = true
		m.Add(t.payload(encoding.NotifyNATDetectionSourceIP, host))
	} else {
		t.ike.Log(bus.IKE, bus.Control, "unable to determine source address, disabling NAT-D")
	}
	if m.Notify(encoding.NotifyNATDetectionSourceIP) != nil {
		m.Add(t.payload(encoding.NotifyNATDetectionDestinationIP, dst))
	}
	return sa.NeedMore
}

// buildR answers with the hashes of the addresses the request used.
func (t *IKENATD) buildR(m *encoding.Message) sa.Status {
	if m.Exchange == encoding.ExchangeIKESAInit && m.First(encoding.PayloadSA) == nil {
		return sa.Success
	}
	if t.srcSeen && t.dstSeen {
		src, dst := t.ike.MessageAddrs()
		// The response goes back from where the request arrived.
		m.Add(t.payload(encoding.NotifyNATDetectionSourceIP, dst))
		m.Add(t.payload(encoding.NotifyNATDetectionDestinationIP, src))
	}
	return sa.Success
}

// Process implements sa.Task.
func (t *IKENATD) Process(m *encoding.Message) sa.Status {
	t.processPayloads(m)
	if !t.initiator {
		return sa.NeedMore
	}
	if m.Exchange == encoding.ExchangeIKESAInit {
		peer := t.ike.PeerCfg()
		if t.ike.Has(sa.CondNATAny) || (peer != nil && peer.UseMOBIKE && t.ike.Supports(sa.ExtNATT)) {
			// With NAT-T support we switch to 4500 even without a NAT if
			// MOBIKE may move us later.
			t.ike.FloatPorts()
		}
		if t.fakeNoSourceIP {
			// we are not behind a NAT after all: a MOBIKE-enabled DPD
			// checks whether UDP encapsulation can go, once we know the
			// peer supports MOBIKE
			m := NewIKEMOBIKE(t.ike, true)
			m.DPD()
			t.ike.QueueTask(m)
		}
	}
	return sa.Success
}
