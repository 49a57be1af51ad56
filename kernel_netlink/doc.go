// Package kernel_netlink is the Linux kernel backend of goswan: IPsec SAs
// and policies over XFRM netlink, addresses and routes over rtnetlink, as
// strongSwan's kernel-netlink plugin (kernel_netlink_ipsec.c,
// kernel_netlink_net.c, kernel_netlink_shared.c) does it.
//
// What github.com/vishvananda/netlink covers (sockets, requests, attribute
// encoding) is used through its nl package; what it lacks is written here
// with raw netlink: ALLOCSPI with a configurable range, GETAE and the ESN
// replay state with its bitmap, TFC padding, offload, the DSCP/ECN/DF state
// flags, port masks, GETPOLICY with lifetimes, the ACQUIRE, MIGRATE and
// MAPPING events, per-socket bypass policies and UDP decapsulation.
//
// Messages from the kernel (replies and events) are decoded by hand with
// explicit bounds checks (xfrm_decode.go, rt_decode.go) so that a short or
// malformed message yields an error, never a panic; they have fuzz targets.
//
// Log lines are charon's, in group KNL at the levels charon uses, so that
// an operator's greps keep working.
package kernel_netlink
