package attributes

import (
	"encoding/binary"
	"net/netip"
	"strings"
	"sync"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/internal/clib"
)

// KeyValue is one setting of strongswan.conf's charon.plugins.attr
// section, in file order.
type KeyValue struct{ Key, Value string }

// Legacy are charon's old charon.dns1, dns2, nbns1 and nbns2 settings;
// empty ones are unset.
type Legacy struct{ DNS, NBNS [2]string }

// Attr is the attr plugin's provider: attributes from strongswan.conf,
// sent to every peer that was assigned a virtual IP.
type Attr struct {
	mu      sync.RWMutex
	entries []Attribute
}

// attrKey maps a name of charon.plugins.attr to the IPv4 and IPv6
// attribute types; ikev1 marks the Cisco Unity ones, which IKEv2 does
// not send.
type attrKey struct {
	name   string
	v4, v6 encoding.ConfigAttribute
	ikev1  bool
}

var attrKeys = []attrKey{
	{"address", encoding.AttrInternalIP4Address, encoding.AttrInternalIP6Address, false},
	{"dns", encoding.AttrInternalIP4DNS, encoding.AttrInternalIP6DNS, false},
	{"nbns", encoding.AttrInternalIP4NBNS, encoding.AttrInternalIP6NBNS, false},
	{"dhcp", encoding.AttrInternalIP4DHCP, encoding.AttrInternalIP6DHCP, false},
	{"netmask", encoding.AttrInternalIP4Netmask, encoding.AttrInternalIP6Netmask, false},
	{"server", encoding.AttrInternalIP4Server, encoding.AttrInternalIP6Server, false},
	{"subnet", encoding.AttrInternalIP4Subnet, encoding.AttrInternalIP6Subnet, false},
	{"p-cscf", encoding.AttrPCSCFIP4Address, encoding.AttrPCSCFIP6Address, false},
	{"split-include", encoding.AttrUnitySplitInclude, encoding.AttrUnitySplitInclude, true},
	{"split-exclude", encoding.AttrUnityLocalLAN, encoding.AttrUnityLocalLAN, true},
}

// NewAttr parses the settings (load_entries); log gets charon's
// complaints about keys and values it cannot use.
func NewAttr(legacy Legacy, kvs []KeyValue, log bus.Logger) *Attr {
	a := &Attr{}
	a.entries = parseAttr(legacy, kvs, log)
	return a
}

// Reload replaces the entries (attr plugin reload on SIGHUP) and logs
// their number as charon does.
func (a *Attr) Reload(legacy Legacy, kvs []KeyValue, log bus.Logger) {
	entries := parseAttr(legacy, kvs, log)
	a.mu.Lock()
	a.entries = entries
	a.mu.Unlock()
	if log != nil {
		s := "ies"
		if len(entries) == 1 {
			s = "y"
		}
		log.Logf(bus.CFG, bus.Control, "loaded %d entr%s for attr plugin configuration", len(entries), s)
	}
}

// Entries are the parsed attributes, in order.
func (a *Attr) Entries() []Attribute {
	a.mu.RLock()
	defer a.mu.RUnlock()
	return append([]Attribute(nil), a.entries...)
}

func logf(log bus.Logger, l bus.Level, format string, args ...any) {
	if log != nil {
		log.Logf(bus.CFG, l, format, args...)
	}
}

// parseHost reads an address as host_create_from_string does without a
// port.
func parseHost(s string) (netip.Addr, bool) {
	switch s {
	case "%any", "%any4", "0.0.0.0":
		return netip.IPv4Unspecified(), true
	case "%any6":
		return netip.IPv6Unspecified(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

func parseAttr(legacy Legacy, kvs []KeyValue, log bus.Logger) []Attribute {
	var out []Attribute
	for i := 0; i < 2; i++ {
		for _, l := range []struct {
			v      string
			v4, v6 encoding.ConfigAttribute
		}{{legacy.DNS[i], encoding.AttrInternalIP4DNS, encoding.AttrInternalIP6DNS},
			{legacy.NBNS[i], encoding.AttrInternalIP4NBNS, encoding.AttrInternalIP6NBNS}} {
			if l.v == "" {
				continue
			}
			if h, ok := parseHost(l.v); ok {
				e := AddressAttribute(l.v4, l.v6, h)
				logf(log, bus.Diag, "loaded legacy entry attribute %s: %s", e.Type, hexBytes(e.Value))
				out = append(out, e)
			}
		}
	}
	for _, kv := range kvs {
		if kv.Key == "load" {
			continue
		}
		out = append(out, parseAttrKey(kv, log)...)
	}
	return out
}

// parseAttrKey reads one key: a name of attrKeys or a number, with a list
// of addresses (subnets with /bits), or for numbers any strings.
func parseAttrKey(kv KeyValue, log bus.Logger) []Attribute {
	var mapped *attrKey
	n := clib.Atoi(kv.Key)
	// the payload carries 15 bits of the type, which is all charon's
	// configuration attribute keeps of a larger number
	typ := encoding.ConfigAttribute(n & 0x7fff)
	if n == 0 {
		for i := range attrKeys {
			if attrKeys[i].name == kv.Key {
				mapped = &attrKeys[i]
			}
		}
		if mapped == nil {
			logf(log, bus.Control, "mapping attribute type %s failed", kv.Key)
			return nil
		}
	}
	if mapped != nil && mapped.ikev1 {
		// Unity attributes are IKEv1's; goswan speaks IKEv2 only.
		return nil
	}
	var out []Attribute
	// charon keeps the prefix length of one token for the tokens after it
	// that have none.
	mask := -1
	for _, tok := range splitTokens(kv.Value) {
		addr, bits, hasMask := strings.Cut(tok, "/")
		if hasMask {
			mask = int(clib.Atoi(bits))
		}
		host, ok := parseHost(addr)
		if !ok {
			if mapped != nil {
				logf(log, bus.Control, "invalid host in key %s: %s", kv.Key, addr)
				continue
			}
			out = append(out, Attribute{Type: typ, Value: []byte(addr)})
			continue
		}
		value := host.AsSlice()
		if mask != -1 {
			value = appendMask(value, host.Is4(), mask)
		}
		t := typ
		if mapped != nil {
			t = mapped.v6
			if host.Is4() {
				t = mapped.v4
			}
		}
		e := Attribute{Type: t, Value: value}
		logf(log, bus.Diag, "loaded attribute %s: %s", e.Type, hexBytes(e.Value))
		out = append(out, e)
	}
	return out
}

// appendMask adds an IPv4 netmask or an IPv6 prefix length.
func appendMask(value []byte, v4 bool, mask int) []byte {
	if !v4 {
		return append(value, byte(mask))
	}
	var netmask uint32
	if mask > 0 && mask <= 32 {
		netmask = ^uint32(0) << (32 - mask)
	} else if mask > 32 {
		// charon shifts by a negative count here, which C leaves undefined;
		// x86 masks it, giving a full mask for 33..63.
		netmask = ^uint32(0)
	}
	return binary.BigEndian.AppendUint32(value, netmask)
}

// splitTokens splits a list at commas and blanks, as enumerator_create_token
// with ", " does, dropping empty tokens.
func splitTokens(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}

// hexBytes prints a value as charon's %#B: hex bytes joined by colons.
func hexBytes(b []byte) string {
	const hex = "0123456789abcdef"
	var sb strings.Builder
	for i, c := range b {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteByte(hex[c>>4])
		sb.WriteByte(hex[c&15])
	}
	return sb.String()
}

// AcquireAddress implements Provider: attr hands out no addresses.
func (a *Attr) AcquireAddress([]string, SA, netip.Addr) netip.Addr { return netip.Addr{} }

// ReleaseAddress implements Provider.
func (a *Attr) ReleaseAddress([]string, netip.Addr, SA) bool { return false }

// Attributes implements Provider: every entry, to peers that got a
// virtual IP.
func (a *Attr) Attributes(_ []string, _ SA, vips []netip.Addr) []Attribute {
	if len(vips) == 0 {
		return nil
	}
	return a.Entries()
}
