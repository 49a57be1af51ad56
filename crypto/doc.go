// Package crypto is goswan's algorithm registry: the IKEv2 transform ids (IANA
// numbers, with strongSwan's private-use extensions), the implementations
// behind them (encryption, integrity, PRF and prf+, key exchange), the SK
// payload ciphers, the ESP transforms the userspace data plane uses, and the
// IKEv2 key derivation of RFC 7296 §2.13–2.18.
//
// One table, in algorithms.go, holds for every transform id its strongSwan
// name, its proposal keywords, its sizes, its Go implementation and its name
// in the Linux kernel's XFRM; everything else reads it: the String and size
// methods of the transform types, package config's proposal parser, both
// kernel backends and `ipsec listalgs`.
//
// It corresponds to libstrongswan/crypto (transform ids, names and proposal
// keywords), the crypto plugins (aes, gcm, hmac, xcbc, cmac, openssl), the
// algorithm tables of the kernel-netlink plugin, and the derivation half of
// libcharon/sa/ikev2/keymat_v2.c. Everything is built on the standard library
// and golang.org/x/crypto; implemented here are only what neither provides
// and Debian's charon offers: the XCBC and CMAC MACs and PRFs, the prf+
// construction, CCM (ccm.go), Camellia (camellia.go) and the Brainpool groups
// on a constant-time curve implementation (ecp_generic.go). Curve448 comes
// from github.com/cloudflare/circl because Debian's charon proposes
// CURVE_448 by default.
//
// The package is sans-IO: every random value (private keys, IVs) comes from an
// io.Reader the caller injects, so tests and the in-process daemons are
// deterministic. It imports no other goswan package.
package crypto
