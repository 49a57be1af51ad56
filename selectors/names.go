package selectors

import (
	"strconv"
	"sync/atomic"
)

// Names resolves protocol and service names the way charon does through
// getprotobyname(3), getprotobynumber(3), getservbyname(3) and
// getservbyport(3) (internal/netdb reads them from /etc/protocols and
// /etc/services). An empty proto stands for the NULL protocol.
type Names interface {
	Protocol(name string) (uint8, bool)
	ProtocolName(num uint8) (string, bool)
	ServiceProto(name, proto string) (uint16, bool)
	ServiceName(port uint16, proto string) (string, bool)
}

// names is what SetNames handed in. Like the C library's databases it is
// one per process: traffic selectors print through fmt's %s everywhere,
// with no place to pass it, and charon prints with the host's one table.
var names atomic.Pointer[Names]

// SetNames hands the selectors the host's protocol and service names; the
// daemon does so at start (cmd/charon reads the files, this package reads
// nothing). Until then, or with nil, there are no names: selectors print
// numbers and only numbers parse, as charon on a host without netbase.
func SetNames(n Names) {
	if n == nil {
		names.Store(nil)
		return
	}
	names.Store(&n)
}

func currentNames() Names {
	if p := names.Load(); p != nil {
		return *p
	}
	return nil
}

func protocolName(p uint8) (string, bool) {
	if n := currentNames(); n != nil {
		return n.ProtocolName(p)
	}
	return "", false
}

// serviceName is getservbyport(port, proto); an empty protocol is NULL.
func serviceName(port uint16, proto string) (string, bool) {
	if n := currentNames(); n != nil {
		return n.ServiceName(port, proto)
	}
	return "", false
}

// ProtocolNumber resolves a protocol number or name as ipsec.conf's
// protoport does ("6", "tcp").
func ProtocolNumber(s string) (uint8, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 255 {
		return uint8(n), true
	}
	if n := currentNames(); n != nil {
		return n.Protocol(s)
	}
	return 0, false
}

// ServicePort resolves a port number or service name for a protocol name
// (empty: any protocol).
func ServicePort(s, proto string) (uint16, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 0xffff {
		return uint16(n), true
	}
	if n := currentNames(); n != nil {
		return n.ServiceProto(s, proto)
	}
	return 0, false
}
