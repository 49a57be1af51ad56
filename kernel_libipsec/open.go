package kernel_libipsec

import (
	"fmt"

	"github.com/vishvananda/netlink"
	"golang.zx2c4.com/wireguard/tun"
)

// Open creates and raises the TUN device and starts the data plane on conn
// (the IKE socket). Routes into the device come from the Router given to
// SetRouter (NetRouter over the networking backend, as strongSwan's plugin
// routes through kernel-netlink); without one no routes are installed.
func Open(opts Options, conn ESPConn) (*IPsec, error) {
	k := New(opts)
	dev, err := tun.CreateTUN(k.opts.Interface, k.opts.MTU)
	if err != nil {
		return nil, fmt.Errorf("failed to create TUN device %s: %w", k.opts.Interface, err)
	}
	name, _ := dev.Name()
	link, err := netlink.LinkByName(name)
	if err == nil {
		err = netlink.LinkSetUp(link)
	}
	if err != nil {
		dev.Close()
		return nil, fmt.Errorf("failed to configure TUN device %s: %w", name, err)
	}
	if err := k.Start(dev, conn); err != nil {
		dev.Close()
		return nil, err
	}
	return k, nil
}
