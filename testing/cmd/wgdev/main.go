// Command wgdev is wireguard-go's device, as the module golang.zx2c4.com/
// wireguard builds it, reduced to what the benchmark needs: `wgdev NAME`
// creates the TUN device NAME, serves the UAPI socket
// /var/run/wireguard/NAME.sock for Debian's `wg` to configure, and runs in
// the foreground until it is killed or the device closes. make bench runs it
// on moon and sun as the anchor of the data-plane figures (BENCHMARKS.md).
// It is a test tool: no production package imports it.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.zx2c4.com/wireguard/conn"
	"golang.zx2c4.com/wireguard/device"
	"golang.zx2c4.com/wireguard/ipc"
	"golang.zx2c4.com/wireguard/tun"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: wgdev INTERFACE")
		os.Exit(2)
	}
	name := os.Args[1]
	tdev, err := tun.CreateTUN(name, device.DefaultMTU)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wgdev: creating TUN device %s: %v\n", name, err)
		os.Exit(1)
	}
	logger := device.NewLogger(device.LogLevelError, fmt.Sprintf("(%s) ", name))
	dev := device.NewDevice(tdev, conn.NewDefaultBind(), logger)
	file, err := ipc.UAPIOpen(name)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wgdev: UAPI socket: %v\n", err)
		os.Exit(1)
	}
	uapi, err := ipc.UAPIListen(name, file)
	if err != nil {
		fmt.Fprintf(os.Stderr, "wgdev: UAPI listener: %v\n", err)
		os.Exit(1)
	}
	go func() {
		for {
			c, err := uapi.Accept()
			if err != nil {
				return
			}
			go dev.IpcHandle(c)
		}
	}()
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, os.Interrupt)
	select {
	case <-sigs:
	case <-dev.Wait():
	}
	uapi.Close()
	dev.Close()
}
