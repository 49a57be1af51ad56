package kernel

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/selectors"
)

// Mode is the IPsec mode of an SA or policy, ipsec_mode_t.
type Mode uint8

const (
	ModeNone Mode = iota
	ModeTransport
	ModeTunnel
	ModeBEET
	ModePass
	ModeDrop
)

var modeNames = [...]string{"NONE", "TRANSPORT", "TUNNEL", "BEET", "PASS", "DROP"}

func (m Mode) String() string {
	if int(m) < len(modeNames) {
		return modeNames[m]
	}
	return fmt.Sprintf("Mode(%d)", uint8(m))
}

// Protocol numbers of the IPsec protocols an SA can use.
const (
	ProtoESP uint8 = 50
	ProtoAH  uint8 = 51
	// ProtoIPComp is IPPROTO_COMP, used for the IPComp SA.
	ProtoIPComp uint8 = 108
)

// PolicyDir is the direction of a policy, policy_dir_t.
type PolicyDir uint8

const (
	DirIn PolicyDir = iota
	DirOut
	DirFwd
)

func (d PolicyDir) String() string {
	switch d {
	case DirIn:
		return "in"
	case DirOut:
		return "out"
	case DirFwd:
		return "fwd"
	}
	return fmt.Sprintf("PolicyDir(%d)", uint8(d))
}

// PolicyType is policy_type_t.
type PolicyType uint8

const (
	PolicyIPsec PolicyType = iota + 1
	PolicyPass
	PolicyDrop
)

// PolicyPriority is the priority class of a policy, policy_priority_t.
type PolicyPriority uint8

const (
	PriorityPass PolicyPriority = iota
	PriorityDefault
	PriorityRouted
	PriorityFallback
)

// HWOffload is hw_offload_t.
type HWOffload uint8

const (
	HWOffloadNo HWOffload = iota
	HWOffloadYes
	HWOffloadAuto
)

// DSCPCopy is dscp_copy_t.
type DSCPCopy uint8

const (
	DSCPCopyOutOnly DSCPCopy = iota
	DSCPCopyInOnly
	DSCPCopyYes
	DSCPCopyNo
)

// Mark is an XFRM mark with its mask, mark_t.
type Mark struct {
	Value, Mask uint32
}

// Special mark values as in ipsec_types.h: %unique and %unique-dir are
// replaced by allocated values before they reach a backend.
const (
	MarkUnique    uint32 = 0xffffffff
	MarkUniqueDir uint32 = 0xfffffffe
	MarkSame      uint32 = 0xffffffff
)

func (m Mark) String() string {
	if m.Mask == 0xffffffff {
		return fmt.Sprintf("%08x", m.Value)
	}
	return fmt.Sprintf("%08x/%08x", m.Value, m.Mask)
}

// LifetimeLimit is one dimension (time, bytes or packets) of lifetime_cfg_t.
type LifetimeLimit struct {
	Life   uint64 // hard limit: the SA is deleted
	Rekey  uint64 // soft limit: the SA is rekeyed
	Jitter uint64 // a random value up to this is subtracted from Rekey
}

// Lifetime is lifetime_cfg_t; Time is in seconds.
type Lifetime struct {
	Time, Bytes, Packets LifetimeLimit
}

// SAConfig is ipsec_sa_cfg_t: what a policy points at.
type SAConfig struct {
	Mode        Mode
	ReqID       uint32
	PolicyCount uint32
	ESP, AH     struct {
		Use bool
		SPI uint32
	}
	IPComp struct {
		Transform crypto.IPCompTransform
		CPI       uint16
	}
}

// Feature is kernel_feature_t.
type Feature uint32

const (
	FeatureESPv3TFC Feature = 1 << iota
	FeatureRequireExcludeRoute
	FeatureRequireUDPEncapsulation
	FeatureNoPolicyUpdates
	FeaturePolicySPI
)

// SPI range strongSwan allocates CHILD_SA SPIs from by default
// (charon.spi_min/spi_max).
const (
	SPIMin uint32 = 0xc0000000
	SPIMax uint32 = 0xcfffffff
)

// SAID identifies an SA, kernel_ipsec_sa_id_t.
type SAID struct {
	Src, Dst netip.Addr
	SPI      uint32
	Proto    uint8 // ProtoESP or ProtoAH
	Mark     Mark
	IfID     uint32
}

func (id SAID) String() string {
	return fmt.Sprintf("%s->%s proto %d spi 0x%08x", id.Src, id.Dst, id.Proto, id.SPI)
}

// AddSA is kernel_ipsec_add_sa_t.
type AddSA struct {
	ReqID        uint32
	Mode         Mode
	SrcTS, DstTS []selectors.TS
	Interface    string
	Lifetime     Lifetime
	EncAlg       crypto.EncryptionAlgorithm // EncrUndefined (or 0) for none
	EncKey       []byte                     // for AEADs and CTR modes the salt is appended, as RFC 4106
	IntAlg       crypto.IntegrityAlgorithm  // AuthUndefined (or 0) for none
	IntKey       []byte
	ReplayWindow uint32
	TFC          uint32
	IPComp       crypto.IPCompTransform
	CPI          uint16
	Encap        bool // UDP encapsulation (RFC 3948)
	// EncapSrcPort and EncapDstPort are the UDP ports when Encap is set
	// (strongSwan takes them from the host_t ports of the SA id).
	EncapSrcPort, EncapDstPort uint16
	HWOffload                  HWOffload
	MarkOut                    Mark // the mark set on packets after processing
	ESN                        bool
	CopyDF, CopyECN            bool
	CopyDSCP                   DSCPCopy
	Initiator                  bool
	Inbound                    bool
	// Update is set when GetSPI allocated this SA already (inbound SAs), so
	// that the backend replaces the larval state instead of adding.
	Update bool
}

// UpdateSA is kernel_ipsec_update_sa_t: a changed address or encapsulation
// (MOBIKE, NAT mapping changes).
type UpdateSA struct {
	CPI             uint16
	NewSrc, NewDst  netip.Addr
	NewSrcPort      uint16
	NewDstPort      uint16
	Encap, NewEncap bool
	NewReqID        uint32
}

// PolicyID identifies a policy, kernel_ipsec_policy_id_t.
type PolicyID struct {
	Dir       PolicyDir
	Src, Dst  selectors.TS
	Mark      Mark
	IfID      uint32
	Interface string
}

func (id PolicyID) String() string {
	return fmt.Sprintf("%s === %s %s", id.Src, id.Dst, id.Dir)
}

// ManagePolicy is kernel_ipsec_manage_policy_t.
type ManagePolicy struct {
	Type       PolicyType
	Prio       PolicyPriority
	ManualPrio uint32
	Src, Dst   netip.Addr // tunnel endpoints of the SAs
	SA         SAConfig
	// Standby (goswan's, not charon's): this user does not take the
	// policy over from users of the same priority that hold it already;
	// it is used once they are gone. A responder's outbound SA of a
	// CHILD_SA that duplicates one of another IKE_SA (make-before-break
	// reauthentication) waits so until the initiator deletes the old one,
	// instead of sending with keys the initiator installs only when our
	// response arrives.
	Standby bool
	// HandOver (goswan's, DelPolicy only): remove this user only if
	// another user keeps the policy, which then points at that user's SA;
	// as the last user, change nothing and return ErrLastUser. The old
	// CHILD_SA of a make-before-break reauthentication hands its outbound
	// policies to the new one standing by (Standby) as soon as the
	// initiator deletes the old IKE_SA, before we answer: the initiator
	// removes the old inbound SA when the answer arrives.
	HandOver bool
}

// Usage is what QuerySA reports.
type Usage struct {
	Bytes, Packets uint64
	LastUse        time.Time // zero if never used
}
