// Package kernel is the contract between the IKE engine and the IPsec data
// plane, as strongSwan's libcharon/kernel (kernel_ipsec.h, kernel_net.h,
// kernel_listener.h, and libstrongswan/ipsec/ipsec_types.h).
//
// Two backends implement it: kernel_netlink (XFRM and rtnetlink) and
// kernel_libipsec (a userspace ESP data plane on a TUN device). The engine
// never knows which one it runs on; events such as soft and hard expiry come
// back through the same Listener.
//
// Every call takes an identifying struct and a per-operation data struct by
// value, as kernel_ipsec.h does, so that a new field never changes a
// signature. Backends must reference-count policies: during a rekey two
// CHILD_SAs install the same policy (see PolicyTable).
package kernel
