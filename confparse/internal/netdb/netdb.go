// Package netdb looks up protocol and service names as glibc's "files"
// backend of getprotobyname(3) and getservbyname(3) does, which is what
// starter calls for leftprotoport=tcp/http.
package netdb

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// DB holds protocol and service names. The first entry for a name wins, as
// in the files glibc reads; names are compared case-sensitively.
type DB struct {
	protocols map[string]uint8
	services  map[string]uint16
}

// Parse builds a DB from the contents of /etc/protocols and /etc/services.
func Parse(protocols, services string) *DB {
	db := &DB{protocols: map[string]uint8{}, services: map[string]uint16{}}
	for _, f := range lines(protocols) {
		if len(f) < 2 {
			continue
		}
		n, err := strconv.ParseUint(f[1], 10, 8)
		if err != nil {
			continue
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, dup := db.protocols[name]; !dup {
				db.protocols[name] = uint8(n)
			}
		}
	}
	for _, f := range lines(services) {
		if len(f) < 2 {
			continue
		}
		port, _, ok := strings.Cut(f[1], "/")
		if !ok {
			continue
		}
		n, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			continue
		}
		for _, name := range append([]string{f[0]}, f[2:]...) {
			if _, dup := db.services[name]; !dup {
				db.services[name] = uint16(n)
			}
		}
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

// Protocol is getprotobyname(name).
func (db *DB) Protocol(name string) (uint8, bool) {
	p, ok := db.protocols[name]
	return p, ok
}

// Service is getservbyname(name, NULL): the port of the first entry with
// that name or alias, whatever its protocol.
func (db *DB) Service(name string) (uint16, bool) {
	p, ok := db.services[name]
	return p, ok
}

var (
	systemOnce sync.Once
	systemDB   *DB
)

// System reads /etc/protocols and /etc/services once. Missing files give an
// empty database, as they leave glibc without answers.
func System() *DB {
	systemOnce.Do(func() {
		p, _ := os.ReadFile("/etc/protocols")
		s, _ := os.ReadFile("/etc/services")
		systemDB = Parse(string(p), string(s))
	})
	return systemDB
}
