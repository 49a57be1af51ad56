// Package counters is charon's counters plugin: it counts IKE messages by
// exchange and direction, rekeyings and invalid messages, for the daemon
// and for each connection, and answers vici's get-counters and
// reset-counters (plugins/counters).
package counters

import (
	"slices"
	"sync"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// Type is counter_type_t; the order is vici's counter names' order.
type Type int

const (
	IKESARekeyInit Type = iota
	IKESARekeyResp
	ChildSARekey
	InInvalid
	InInvalidIKESPI
	InIKESAInitReq
	InIKESAInitResp
	OutIKESAInitReq
	OutIKESAInitResp
	InIKEAuthReq
	InIKEAuthResp
	OutIKEAuthReq
	OutIKEAuthResp
	InCreateChildSAReq
	InCreateChildSAResp
	OutCreateChildSAReq
	OutCreateChildSAResp
	InInformationalReq
	InInformationalResp
	OutInformationalReq
	OutInformationalResp
	// Max is the number of counters.
	Max
)

type set [Max]uint64

// Counters holds the daemon's counters and those of every connection that
// had something counted. It is an sa.Listener; register it on the
// daemon's events. It is safe for concurrent use.
type Counters struct {
	mu     sync.Mutex
	global set
	conns  map[string]*set
}

// New returns zeroed counters.
func New() *Counters { return &Counters{conns: map[string]*set{}} }

// count is count_named plus the global counter: a connection's counters
// are those of its IKE_SAs' peer config.
func (c *Counters) count(ike *sa.IKESA, t Type) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.global[t]++
	if ike == nil || ike.PeerCfg() == nil {
		return
	}
	name := ike.PeerCfg().Name
	s := c.conns[name]
	if s == nil {
		s = &set{}
		c.conns[name] = s
	}
	s[t]++
}

// Alert implements sa.AlertListener: messages that could not be parsed,
// and messages for unknown IKE_SAs.
func (c *Counters) Alert(ike *sa.IKESA, a sa.Alert, _ ...any) bool {
	switch a {
	case sa.AlertInvalidIKESPI:
		c.count(ike, InInvalidIKESPI)
	case sa.AlertParseErrorHeader, sa.AlertParseErrorBody:
		c.count(ike, InInvalid)
	}
	return true
}

// IKERekey implements sa.IKERekeyListener, counted by which side initiated.
func (c *Counters) IKERekey(old, new *sa.IKESA) bool {
	t := IKESARekeyResp
	if new.ID().Initiator {
		t = IKESARekeyInit
	}
	c.count(old, t)
	return true
}

// ChildRekey implements sa.ChildRekeyListener.
func (c *Counters) ChildRekey(ike *sa.IKESA, _, _ *sa.ChildSA) bool {
	c.count(ike, ChildSARekey)
	return true
}

// exchangeBase is the first counter of an exchange type (in request,
// in response, out request, out response follow).
var exchangeBase = map[encoding.ExchangeType]Type{
	encoding.ExchangeIKESAInit:     InIKESAInitReq,
	encoding.ExchangeIKEAuth:       InIKEAuthReq,
	encoding.ExchangeCreateChildSA: InCreateChildSAReq,
	encoding.ExchangeInformational: InInformationalReq,
}

// Message implements sa.MessageListener: each message once, in its plain
// form.
func (c *Counters) Message(ike *sa.IKESA, m *encoding.Message, incoming, plain bool) bool {
	if !plain {
		return true
	}
	base, ok := exchangeBase[m.Exchange]
	if !ok {
		return true
	}
	t := base
	if !incoming {
		t += 2
	}
	if m.Response {
		t++
	}
	c.count(ike, t)
	return true
}

// Names lists the connections with counters, sorted.
func (c *Counters) Names() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, 0, len(c.conns))
	for n := range c.conns {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Get returns a connection's counters, or the daemon's for "".
func (c *Counters) Get(name string) ([]uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := &c.global
	if name != "" {
		if s = c.conns[name]; s == nil {
			return nil, false
		}
	}
	return slices.Clone(s[:]), true
}

// Reset forgets a connection's counters, or zeroes the daemon's for "".
func (c *Counters) Reset(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if name == "" {
		c.global = set{}
		return
	}
	delete(c.conns, name)
}

// ResetAll forgets every connection's counters; the daemon's stay, as in
// charon.
func (c *Counters) ResetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conns = map[string]*set{}
}
