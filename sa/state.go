package sa

import "fmt"

// IKEState is ike_sa_state_t.
type IKEState uint8

const (
	IKECreated IKEState = iota
	IKEConnecting
	IKEEstablished
	IKEPassive
	IKERekeying
	IKERekeyed
	IKEDeleting
	IKEDestroying
)

var ikeStateNames = [...]string{"CREATED", "CONNECTING", "ESTABLISHED", "PASSIVE",
	"REKEYING", "REKEYED", "DELETING", "DESTROYING"}

func (s IKEState) String() string {
	if int(s) < len(ikeStateNames) {
		return ikeStateNames[s]
	}
	return fmt.Sprintf("(%d)", uint8(s))
}

// ChildState is child_sa_state_t.
type ChildState uint8

const (
	ChildCreated ChildState = iota
	ChildRouted
	ChildInstalling
	ChildInstalled
	ChildUpdating
	ChildRekeying
	ChildRekeyed
	ChildRetrying
	ChildDeleting
	ChildDeleted
	ChildDestroying
)

var childStateNames = [...]string{"CREATED", "ROUTED", "INSTALLING", "INSTALLED", "UPDATING",
	"REKEYING", "REKEYED", "RETRYING", "DELETING", "DELETED", "DESTROYING"}

func (s ChildState) String() string {
	if int(s) < len(childStateNames) {
		return childStateNames[s]
	}
	return fmt.Sprintf("(%d)", uint8(s))
}

// OutboundState is child_sa_outbound_state_t: how far the outbound half of
// a CHILD_SA is installed (it may wait until a rekey's delete completes).
type OutboundState uint8

const (
	OutboundNone       OutboundState = 0
	OutboundRegistered OutboundState = 1 << 0
	OutboundSA         OutboundState = 1 << 1
	OutboundPolicies   OutboundState = 1 << 2
	OutboundInstalled                = OutboundSA | OutboundPolicies
)

// Extension is ike_extension_t: what the peer supports.
type Extension uint32

const (
	ExtNATT Extension = 1 << iota
	ExtMOBIKE
	ExtHashAndURL
	ExtMultipleAuth
	ExtStrongSwan
	ExtEAPOnlyAuthentication
	ExtMSWindows
	ExtXAuth
	ExtDPD
	ExtCiscoUnity
	ExtNATTDraft0203
	ExtIKEFragmentation
	ExtSignatureAuth
	ExtIKERedirection
	ExtIKEMessageIDSync
	ExtPPK
	ExtIKEChildless
)

// Condition is ike_condition_t.
type Condition uint32

const (
	CondNATAny Condition = 1 << iota
	CondNATHere
	CondNATThere
	CondNATFake
	CondEAPAuthenticated
	CondCertReqSeen
	CondOriginalInitiator
	CondStale
	CondInitContactSeen
	CondXAuthAuthenticated
	CondReauthenticating
	CondRedirected
	CondOnlineValidationSuspended
	CondPPK
	CondAuthenticated
)

// Statistic indexes the timestamps an IKE_SA keeps, statistic_t.
type Statistic uint8

const (
	StatEstablished Statistic = iota
	StatRekey
	StatReauth
	StatDelete
	StatInbound
	StatOutbound
	statMax
)
