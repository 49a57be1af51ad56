// Package kernel_libipsec is goswan's userspace IPsec data plane and the
// kernel backend over it, as strongSwan's libipsec and kernel-libipsec
// plugin: a TUN device that carries the policies' traffic, ESP in UDP on
// the IKE sockets, the SAD and SPD, replay windows and lifetimes. It is
// what the scenario lane uses on kernels without ESP.
package kernel_libipsec
