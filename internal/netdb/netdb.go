// Package netdb answers what glibc's "files" backend of getprotobyname(3),
// getprotobynumber(3), getservbyname(3) and getservbyport(3) answers from
// /etc/protocols and /etc/services: strongSwan calls these to read
// leftprotoport=tcp/http (starter, stroke_config.c) and to print traffic
// selectors as 10.1.0.0/16[tcp/ssh] (traffic_selector.c).
//
// strongSwan 5.9.8 has no table of its own: on a host without netbase the
// lookups fail, names in ipsec.conf are refused and selectors print
// numbers. So a missing file here is an empty database, not a built-in one.
//
// This is the one reader of those files. It lives outside the protocol
// core, which gets the result handed in (selectors.SetNames, the starter's
// and ipsec.conf loader's options); tests hand in a fixed table
// (testing/netbase).
package netdb

import (
	"os"
	"strconv"
	"strings"
)

// The files glibc reads. They are variables for the tests of the commands
// only, which run checkconf and starter in process and point these at
// Debian's netbase (testing/netbase) so as not to read the machine's.
var (
	ProtocolsPath = "/etc/protocols"
	ServicesPath  = "/etc/services"
)

type protocol struct {
	names []string // official name first, then aliases
	num   uint8
}

type service struct {
	names []string
	port  uint16
	proto string
}

// DB holds the entries of the two files in file order: every lookup
// returns the first matching entry, as glibc's sequential scan does; names
// are compared case-sensitively.
type DB struct {
	protocols []protocol
	services  []service
}

// Parse builds a DB from the contents of /etc/protocols and /etc/services.
// Lines glibc would skip (too few fields, a bad number) are skipped.
func Parse(protocols, services string) *DB {
	db := &DB{}
	for _, f := range lines(protocols) {
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 8)
		if err != nil {
			continue
		}
		db.protocols = append(db.protocols, protocol{names: append([]string{f[0]}, f[2:]...), num: uint8(n)})
	}
	for _, f := range lines(services) {
		if len(f) < 2 {
			continue
		}
		port, proto, ok := strings.Cut(f[1], "/")
		if !ok || proto == "" {
			continue
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			continue
		}
		db.services = append(db.services, service{names: append([]string{f[0]}, f[2:]...), port: uint16(n), proto: proto})
	}
	return db
}

func lines(s string) [][]string {
	var out [][]string
	for _, l := range strings.Split(s, "\n") {
		if i := strings.IndexByte(l, '#'); i >= 0 {
			l = l[:i]
		}
		if f := strings.Fields(l); len(f) > 0 {
			out = append(out, f)
		}
	}
	return out
}

// Read reads the two files; one that cannot be read adds nothing, as it
// leaves glibc without answers.
func Read(protocolsPath, servicesPath string) *DB {
	p, _ := os.ReadFile(protocolsPath)
	s, _ := os.ReadFile(servicesPath)
	return Parse(string(p), string(s))
}

// System reads /etc/protocols and /etc/services, afresh on every call as
// glibc does.
func System() *DB { return Read(ProtocolsPath, ServicesPath) }

// Protocol is getprotobyname(name): the number of the first entry with that
// name or alias.
func (db *DB) Protocol(name string) (uint8, bool) {
	if db == nil {
		return 0, false
	}
	for _, p := range db.protocols {
		for _, n := range p.names {
			if n == name {
				return p.num, true
			}
		}
	}
	return 0, false
}

// ProtocolName is getprotobynumber(num)->p_name.
func (db *DB) ProtocolName(num uint8) (string, bool) {
	if db == nil {
		return "", false
	}
	for _, p := range db.protocols {
		if p.num == num {
			return p.names[0], true
		}
	}
	return "", false
}

// Service is getservbyname(name, NULL): the port of the first entry with
// that name or alias, whatever its protocol.
func (db *DB) Service(name string) (uint16, bool) { return db.ServiceProto(name, "") }

// ServiceProto is getservbyname(name, proto); an empty proto is NULL.
func (db *DB) ServiceProto(name, proto string) (uint16, bool) {
	if db == nil {
		return 0, false
	}
	for _, s := range db.services {
		if proto != "" && s.proto != proto {
			continue
		}
		for _, n := range s.names {
			if n == name {
				return s.port, true
			}
		}
	}
	return 0, false
}

// ServiceName is getservbyport(port, proto)->s_name; an empty proto is
// NULL, which takes the first entry for the port whatever its protocol.
func (db *DB) ServiceName(port uint16, proto string) (string, bool) {
	if db == nil {
		return "", false
	}
	for _, s := range db.services {
		if s.port == port && (proto == "" || s.proto == proto) {
			return s.names[0], true
		}
	}
	return "", false
}
