package encoding

import (
	"encoding/binary"
	"math"
	"net/netip"
)

// TS is a Traffic Selector payload, TSi or TSr (RFC 7296 §3.13).
type TS struct {
	// Responder selects TSr; a TS with Responder false is TSi.
	Responder bool
	Selectors []TrafficSelector
}

// TrafficSelector is one selector (RFC 7296 §3.13.1): an address range with
// an IP protocol (0 for any) and a port range. Selectors of other types
// (TS_SECLABEL, RFC 9478, or unassigned ones) keep their body in Data;
// charon ignores those it does not support, so the codec must not reject
// them.
type TrafficSelector struct {
	TSType     TSType
	Protocol   uint8
	StartPort  uint16
	EndPort    uint16
	Start, End netip.Addr
	Data       []byte
}

// AddressRange builds an address range selector; the type follows the
// address family of start (and end must have the same family).
func AddressRange(protocol uint8, startPort, endPort uint16, start, end netip.Addr) TrafficSelector {
	t := TSIPv6AddrRange
	if start.Is4() {
		t = TSIPv4AddrRange
	}
	return TrafficSelector{TSType: t, Protocol: protocol, StartPort: startPort, EndPort: endPort, Start: start, End: end}
}

func (p *TS) Type() PayloadType {
	if p.Responder {
		return PayloadTSr
	}
	return PayloadTSi
}

func (p *TS) AppendBody(b []byte) ([]byte, error) {
	if len(p.Selectors) > math.MaxUint8 {
		return b, errorf(ErrEncode, p.Type(), "%d selectors exceed the 8-bit count", len(p.Selectors))
	}
	b = append(b, byte(len(p.Selectors)), 0, 0, 0)
	for _, ts := range p.Selectors {
		start := len(b)
		b = append(b, byte(ts.TSType), ts.Protocol, 0, 0)
		switch ts.TSType {
		case TSIPv4AddrRange:
			if !ts.Start.Is4() || !ts.End.Is4() {
				return b, errorf(ErrEncode, p.Type(), "IPv4 range with addresses %v-%v", ts.Start, ts.End)
			}
			b = appendUint16(b, ts.StartPort)
			b = appendUint16(b, ts.EndPort)
			s, e := ts.Start.As4(), ts.End.As4()
			b = append(append(b, s[:]...), e[:]...)
		case TSIPv6AddrRange:
			if !ts.Start.Is6() || !ts.End.Is6() {
				return b, errorf(ErrEncode, p.Type(), "IPv6 range with addresses %v-%v", ts.Start, ts.End)
			}
			b = appendUint16(b, ts.StartPort)
			b = appendUint16(b, ts.EndPort)
			s, e := ts.Start.As16(), ts.End.As16()
			b = append(append(b, s[:]...), e[:]...)
		default:
			b = append(b, ts.Data...)
		}
		n := len(b) - start
		if n > math.MaxUint16 {
			return b, errorf(ErrEncode, p.Type(), "selector of %d bytes", n)
		}
		binary.BigEndian.PutUint16(b[start+2:], uint16(n))
	}
	return b, nil
}

// decodeTS parses the selectors and makes the checks of charon's ts_payload
// and traffic_selector_substructure verify().
func decodeTS(body []byte, responder bool) (*TS, error) {
	p := &TS{Responder: responder}
	pt := p.Type()
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, pt, "%d bytes, needs at least 4", len(body))
	}
	count := int(body[0])
	b := body[4:]
	for len(b) > 0 {
		if len(b) < 4 {
			return nil, errorf(ErrMalformed, pt, "%d bytes left, selector header needs 4", len(b))
		}
		n := int(binary.BigEndian.Uint16(b[2:]))
		if n < 4 || n > len(b) {
			return nil, errorf(ErrMalformed, pt, "selector length %d invalid (%d bytes left)", n, len(b))
		}
		ts, err := decodeSelector(b[:n], pt)
		if err != nil {
			return nil, err
		}
		p.Selectors = append(p.Selectors, ts)
		b = b[n:]
	}
	if count != len(p.Selectors) {
		return nil, errorf(ErrInvalid, pt, "%d selectors announced, %d present", count, len(p.Selectors))
	}
	return p, nil
}

func decodeSelector(b []byte, pt PayloadType) (TrafficSelector, error) {
	ts := TrafficSelector{TSType: TSType(b[0]), Protocol: b[1]}
	data := b[4:]
	var alen int
	switch ts.TSType {
	case TSIPv4AddrRange:
		alen = 4
	case TSIPv6AddrRange:
		alen = 16
	case TSSecLabel:
		if len(data) == 0 {
			return ts, errorf(ErrInvalid, pt, "empty security label")
		}
		ts.Data = clone(data)
		return ts, nil
	default:
		ts.Data = clone(data)
		return ts, nil
	}
	if len(data) != 4+2*alen {
		return ts, errorf(ErrInvalid, pt, "%v selector with %d bytes of data", ts.TSType, len(data))
	}
	ts.StartPort = binary.BigEndian.Uint16(data)
	ts.EndPort = binary.BigEndian.Uint16(data[2:])
	if alen == 4 {
		ts.Start = netip.AddrFrom4([4]byte(data[4:8]))
		ts.End = netip.AddrFrom4([4]byte(data[8:12]))
	} else {
		ts.Start = netip.AddrFrom16([16]byte(data[4:20]))
		ts.End = netip.AddrFrom16([16]byte(data[20:36]))
	}
	// charon accepts start > end only for the OPAQUE encoding
	// (0xffff-0) and, through a lenient check, whenever either bound is
	// one of those two values.
	if ts.StartPort > ts.EndPort && ts.StartPort != 0xffff && ts.EndPort != 0 {
		return ts, errorf(ErrInvalid, pt, "port range %d-%d", ts.StartPort, ts.EndPort)
	}
	return ts, nil
}
