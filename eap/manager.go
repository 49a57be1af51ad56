package eap

import (
	"encoding/binary"
	"sync"

	"github.com/goswan/goswan/encoding"
)

// Constructor creates a method instance; nil if it cannot (a missing
// setting, no RADIUS server), which the caller logs.
type Constructor func(ctx *Context) Method

// Manager holds the methods the loaded plugins registered, eap_manager_t.
type Manager struct {
	// Env is what every method instance gets.
	Env *Env

	mu      sync.RWMutex
	entries []entry
}

// NewManager returns a manager without methods.
func NewManager(env *Env) *Manager { return &Manager{Env: env} }

type entry struct {
	typ, vendor uint32
	role        Role
	create      Constructor
}

// Add registers a method for a role, after those registered before.
func (m *Manager) Add(typ, vendor uint32, role Role, c Constructor) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.entries = append(m.entries, entry{typ: typ, vendor: vendor, role: role, create: c})
}

// Create instantiates the first registered method of this type, vendor
// and role that can be created; nil if none.
func (m *Manager) Create(typ, vendor uint32, role Role, ctx *Context) Method {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	entries := m.entries
	m.mu.RUnlock()
	ctx.Env = m.Env
	for _, e := range entries {
		if e.typ == typ && e.vendor == vendor && e.role == role {
			if method := e.create(ctx); method != nil {
				return method
			}
		}
	}
	return nil
}

// TypeVendor is a method type with its vendor (0 for IETF methods).
type TypeVendor struct{ Type, Vendor uint32 }

// Types lists the real methods registered for a role, in registration
// order (create_enumerator): identity, notification and NAK are no
// methods, nor are the expanded and experimental markers or the virtual
// types above them.
func (m *Manager) Types(role Role) []TypeVendor {
	if m == nil {
		return nil
	}
	m.mu.RLock()
	defer m.mu.RUnlock()
	var out []TypeVendor
	for _, e := range m.entries {
		if e.role != role {
			continue
		}
		if e.vendor == 0 && (e.typ < 4 || e.typ == TypeExpanded || e.typ > TypeExperimental) {
			continue
		}
		out = append(out, TypeVendor{e.typ, e.vendor})
	}
	return out
}

// NewNak builds a Nak response (eap_payload_create_nak): the peer methods
// registered here, or only the preferred type (and vendor) if set and
// registered; a vendor method in a legacy Nak asks for the expanded
// format instead, and a Nak without any method proposes none (0).
func (m *Manager) NewNak(id uint8, typ, vendor uint32, expanded bool) []byte {
	p := []byte{byte(encoding.EAPResponse), id, 0, 0}
	p = writeType(p, TypeNak, 0, expanded)
	added, foundVendor := false, false
	for _, tv := range m.Types(Peer) {
		if (typ != 0 && typ != tv.Type) || (typ != 0 && vendor != 0 && vendor != tv.Vendor) {
			continue
		}
		if tv.Vendor == 0 || expanded {
			p = writeType(p, tv.Type, tv.Vendor, expanded)
			added = true
		} else {
			foundVendor = true
		}
	}
	if foundVendor {
		p = writeType(p, TypeExpanded, 0, expanded)
		added = true
	}
	if !added {
		p = writeType(p, 0, 0, expanded)
	}
	binary.BigEndian.PutUint16(p[2:], uint16(len(p)))
	return p
}

func writeType(p []byte, typ, vendor uint32, expanded bool) []byte {
	if !expanded {
		return append(p, byte(typ))
	}
	p = append(p, byte(TypeExpanded), byte(vendor>>16), byte(vendor>>8), byte(vendor))
	return binary.BigEndian.AppendUint32(p, typ)
}
