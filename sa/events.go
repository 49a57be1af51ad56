package sa

import (
	"net/netip"
	"slices"
	"sync"

	"github.com/goswan/goswan/encoding"
)

// Alert is alert_t: noteworthy events that listeners (the stroke
// controller, error-notify) react to.
type Alert uint8

const (
	AlertRadiusNotResponding Alert = iota
	AlertShutdownSignal
	AlertLocalAuthFailed
	AlertPeerAuthFailed
	AlertPeerAddrFailed
	AlertPeerInitUnreachable
	AlertInvalidIKESPI
	AlertParseErrorHeader
	AlertParseErrorBody
	AlertRetransmitSend
	AlertRetransmitSendCleared
	AlertRetransmitSendTimeout
	AlertRetransmitReceive
	AlertHalfOpenTimeout
	AlertProposalMismatchIKE
	AlertProposalMismatchChild
	AlertTSMismatch
	AlertTSNarrowed
	AlertInstallChildSAFailed
	AlertInstallChildPolicyFailed
	AlertUniqueReplace
	AlertUniqueKeep
	AlertKeepOnChildSAFailure
	AlertVIPFailure
	AlertAuthorizationFailed
	AlertIKESAExpired
	AlertCertExpired
	AlertCertRevoked
	AlertCertValidationFailed
	AlertCertNoIssuer
	AlertCertUntrustedRoot
	AlertCertExceededPathLen
	AlertCertPolicyViolation
)

// Listener receives events. A listener implements any of the optional
// interfaces below; each method returns false to be unregistered.
type Listener any

// IKEUpdownListener: an IKE_SA came up or went down.
type IKEUpdownListener interface {
	IKEUpdown(ike *IKESA, up bool) bool
}

// ChildUpdownListener: a CHILD_SA came up or went down.
type ChildUpdownListener interface {
	ChildUpdown(ike *IKESA, child *ChildSA, up bool) bool
}

// IKEStateListener sees every IKE_SA state change.
type IKEStateListener interface {
	IKEStateChange(ike *IKESA, state IKEState) bool
}

// ChildStateListener sees every CHILD_SA state change.
type ChildStateListener interface {
	ChildStateChange(ike *IKESA, child *ChildSA, state ChildState) bool
}

// AlertListener sees alerts.
type AlertListener interface {
	Alert(ike *IKESA, a Alert, args ...any) bool
}

// IKERekeyListener: old was rekeyed into new.
type IKERekeyListener interface {
	IKERekey(old, new *IKESA) bool
}

// IKEUpdateListener: an IKE_SA's endpoints are about to change to local and
// remote (bus_t.ike_update); the SA still has the old ones.
type IKEUpdateListener interface {
	IKEUpdate(ike *IKESA, local, remote netip.AddrPort) bool
}

// ChildRekeyListener: old was rekeyed into new.
type ChildRekeyListener interface {
	ChildRekey(ike *IKESA, old, new *ChildSA) bool
}

// MessageListener sees messages before (plain=false) and after
// (plain=true) encryption/decryption.
type MessageListener interface {
	Message(ike *IKESA, m *encoding.Message, incoming, plain bool) bool
}

// Events dispatches to registered listeners, as charon's bus does for its
// listener_t hooks. It is safe for concurrent use.
type Events struct {
	mu        sync.RWMutex
	listeners []Listener
}

// Add registers a listener.
func (e *Events) Add(l Listener) {
	e.mu.Lock()
	e.listeners = append(e.listeners, l)
	e.mu.Unlock()
}

// Remove unregisters a listener.
func (e *Events) Remove(l Listener) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if i := slices.Index(e.listeners, l); i >= 0 {
		e.listeners = slices.Delete(e.listeners, i, i+1)
	}
}

func (e *Events) each(call func(l Listener) (handled, keep bool)) {
	if e == nil {
		return
	}
	e.mu.RLock()
	ls := slices.Clone(e.listeners)
	e.mu.RUnlock()
	for _, l := range ls {
		if handled, keep := call(l); handled && !keep {
			e.Remove(l)
		}
	}
}

// IKEUpdown announces an IKE_SA up or down.
func (e *Events) IKEUpdown(ike *IKESA, up bool) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(IKEUpdownListener)
		return ok, ok && x.IKEUpdown(ike, up)
	})
	// As charon's bus: an IKE_SA going down takes its CHILD_SAs with it,
	// except those already replaced or deleted.
	if !up && ike != nil {
		for _, c := range ike.Children() {
			if c.State() != ChildRekeyed && c.State() != ChildDeleted {
				e.ChildUpdown(ike, c, false)
			}
		}
	}
}

// ChildUpdown announces a CHILD_SA up or down.
func (e *Events) ChildUpdown(ike *IKESA, child *ChildSA, up bool) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(ChildUpdownListener)
		return ok, ok && x.ChildUpdown(ike, child, up)
	})
}

// IKEStateChange announces an IKE_SA state change.
func (e *Events) IKEStateChange(ike *IKESA, s IKEState) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(IKEStateListener)
		return ok, ok && x.IKEStateChange(ike, s)
	})
}

// ChildStateChange announces a CHILD_SA state change.
func (e *Events) ChildStateChange(ike *IKESA, child *ChildSA, s ChildState) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(ChildStateListener)
		return ok, ok && x.ChildStateChange(ike, child, s)
	})
}

// Alert raises an alert.
func (e *Events) Alert(ike *IKESA, a Alert, args ...any) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(AlertListener)
		return ok, ok && x.Alert(ike, a, args...)
	})
}

// IKERekey announces an IKE_SA rekeying.
func (e *Events) IKERekey(old, new *IKESA) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(IKERekeyListener)
		return ok, ok && x.IKERekey(old, new)
	})
}

// IKEUpdate announces a change of an IKE_SA's endpoints.
func (e *Events) IKEUpdate(ike *IKESA, local, remote netip.AddrPort) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(IKEUpdateListener)
		return ok, ok && x.IKEUpdate(ike, local, remote)
	})
}

// ChildRekey announces a CHILD_SA rekeying.
func (e *Events) ChildRekey(ike *IKESA, old, new *ChildSA) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(ChildRekeyListener)
		return ok, ok && x.ChildRekey(ike, old, new)
	})
}

// Message shows a message to listeners.
func (e *Events) Message(ike *IKESA, m *encoding.Message, incoming, plain bool) {
	e.each(func(l Listener) (bool, bool) {
		x, ok := l.(MessageListener)
		return ok, ok && x.Message(ike, m, incoming, plain)
	})
}
