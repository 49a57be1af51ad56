// Package network holds the IKE sockets, as strongSwan's libcharon/network
// and its socket-default plugin.
//
// # UDP sockets (udp*.go)
//
// Open binds the IKE port (charon.port, 500) and the NAT-T port
// (charon.port_nat_t, 4500) for IPv4 and IPv6 (IPV6_V6ONLY), with
// IP_PKTINFO/IPV6_RECVPKTINFO so that every packet reports the local address
// it arrived on and replies leave from that address. A port of 0 is chosen
// at random; the IPv6 socket then takes the port the IPv4 one got.
//
// Received datagrams are sorted as charon's receiver does:
//
//   - a single 0xff byte is a NAT-T keepalive and is dropped silently;
//   - datagrams shorter than four bytes are dropped;
//   - when neither the local nor the remote port is 500, four zero bytes
//     are the non-ESP marker of an IKE message (stripped before the IKE
//     handler sees it) and anything else is ESP in UDP (RFC 3948) for the
//     ESP handler; with port 500 on either side it is plain IKE.
//
// SendIKE adds the non-ESP marker by the same rule and sends from the
// socket whose port is p.Src's port (the IKE socket for port 0), from
// p.Src's address when it is set. SendESP sends ESP-in-UDP batches without
// a marker (strongSwan's sender send_no_marker).
//
// Handlers: SetIKEHandler's function receives one IKE message at a time,
// SetESPHandler's the ESP datagrams of one receive batch; in both, Data is
// valid only during the call (the buffers are reused for the next batch),
// so the IKE receiver copies only the messages it queues (a flood it drops
// costs no copy) and a data plane copies what it keeps. Both
// run on the socket's receive goroutines (one per socket) and must not
// block for long.
//
// Speed: receiving uses recvmmsg(2) and, on the NAT-T sockets, UDP GRO
// (UDP_GRO), so one system call returns up to 64 coalesced batches of
// datagrams; sending uses sendmmsg(2) and UDP GSO (UDP_SEGMENT) over iovecs,
// so a batch of equally sized ESP packets to one peer costs one system call
// and one pass through the kernel's UDP stack, without copying. Neither
// path allocates per packet.
//
// The kernel_netlink backend later needs the NAT-T sockets as raw file
// descriptors for UDP_ENCAP (EnableUDPDecap): Socket.FDs returns them.
package network
