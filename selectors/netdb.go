package selectors

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"sync"
)

// charon prints protocol and port names through getprotobynumber(3) and
// getservbyport(3), so "[tcp/22]" shows as "[tcp/ssh]" on a host with
// netbase installed and as "[tcp/22]" without it. We read the same files so
// that status output matches charon on the same host.

var (
	netdbOnce  sync.Once
	protoNames map[uint8]string
	servNames  map[servKey]string
	// Paths are variables so that tests can point them at fixtures.
	protocolsPath = "/etc/protocols"
	servicesPath  = "/etc/services"
)

type servKey struct {
	port  uint16
	proto string
}

func loadNetdb() {
	protoNames = map[uint8]string{}
	servNames = map[servKey]string{}
	eachLine(protocolsPath, func(f []string) {
		if len(f) < 2 {
			return
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || n > 255 {
			return
		}
		if _, dup := protoNames[uint8(n)]; !dup { // first entry wins, as glibc
			protoNames[uint8(n)] = f[0]
		}
	})
	eachLine(servicesPath, func(f []string) {
		if len(f) < 2 {
			return
		}
		port, proto, ok := strings.Cut(f[1], "/")
		if !ok {
			return
		}
		n, err := strconv.Atoi(port)
		if err != nil || n < 0 || n > 0xffff {
			return
		}
		k := servKey{uint16(n), proto}
		if _, dup := servNames[k]; !dup {
			servNames[k] = f[0]
		}
	})
}

func eachLine(path string, fn func(fields []string)) {
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if i := strings.IndexByte(line, '#'); i >= 0 {
			line = line[:i]
		}
		if fields := strings.Fields(line); len(fields) > 0 {
			fn(fields)
		}
	}
}

func protocolName(p uint8) (string, bool) {
	netdbOnce.Do(loadNetdb)
	n, ok := protoNames[p]
	return n, ok
}

// serviceName looks a port up for a protocol name; an empty protocol matches
// any entry, as getservbyport with a NULL protocol.
func serviceName(port uint16, proto string) (string, bool) {
	netdbOnce.Do(loadNetdb)
	if proto != "" {
		n, ok := servNames[servKey{port, proto}]
		return n, ok
	}
	for _, p := range []string{"tcp", "udp", "sctp", "dccp"} {
		if n, ok := servNames[servKey{port, p}]; ok {
			return n, true
		}
	}
	return "", false
}

// ProtocolNumber resolves a protocol name or number as ipsec.conf's
// protoport does ("tcp", "icmp", "6").
func ProtocolNumber(s string) (uint8, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 255 {
		return uint8(n), true
	}
	netdbOnce.Do(loadNetdb)
	for n, name := range protoNames {
		if name == s {
			return n, true
		}
	}
	return 0, false
}

// ServicePort resolves a service name or number for a protocol name.
func ServicePort(s, proto string) (uint16, bool) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 && n <= 0xffff {
		return uint16(n), true
	}
	netdbOnce.Do(loadNetdb)
	for k, name := range servNames {
		if name == s && (proto == "" || k.proto == proto) {
			return k.port, true
		}
	}
	return 0, false
}
