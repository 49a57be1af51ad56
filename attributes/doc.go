// Package attributes is charon's attribute manager with the in-memory
// address pools and the attribute providers and handlers that serve it
// (libcharon/attributes and the attr plugin).
//
// A gateway hands out virtual IPs and configuration attributes through
// Providers: a Pools set of named in-memory pools (what stroke builds from
// rightsourceip=, and what vici's load-pool fills), an Attr provider with
// the attributes of strongswan.conf's charon.plugins.attr section, and the
// per-connection DNS servers of rightdns=. A client hands the attributes it
// receives to Handlers (the resolve plugin writes DNS servers to
// resolv.conf) and asks them which attributes to request.
//
// The package is part of the sans-IO core: no files, no sockets. Handlers
// that touch the system (resolve) live in the daemon and are registered
// here. Every method is safe for concurrent use: IKE_SAs on different
// workers acquire and release leases at the same time.
package attributes
