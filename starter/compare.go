package starter

import "github.com/goswan/goswan/confparse/ipsecconf"

// sameConn is starter_cmp_conn (cmp.c), driven by ipsecconf's keyword
// table: an updated ipsec.conf keeps a loaded conn untouched only if this
// holds for its new version.
func sameConn(a, b *ipsecconf.Conn) bool { return ipsecconf.SameConn(a, b) }

// sameCA is starter_cmp_ca: every ca keyword.
func sameCA(a, b *ipsecconf.CA) bool { return ipsecconf.SameCA(a, b) }
