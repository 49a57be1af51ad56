// Command libipsec-handkey brings up goswan's userspace ESP data plane with
// hand-given keys, for namespace tests and benchmarks before the daemon
// exists, and to key it with the keys a strongSwan peer negotiated (charon
// logs them at "chd 4"). It installs one CHILD_SA (inbound and outbound SA,
// in/out/fwd policies) through the kernel.IPsec API and runs until SIGINT
// or SIGTERM, then prints the data plane's counters.
//
//	libipsec-handkey -local 192.168.0.1 -remote 192.168.0.2 \
//	    -local-ts 10.1.0.0/16 -remote-ts 10.2.0.0/16 \
//	    -spi-in c0000001 -spi-out c0000002 -enc 20 \
//	    -key-in <hex> -key-out <hex>
package main

import (
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"syscall"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/kernel_libipsec"
	"github.com/goswan/goswan/kernel_netlink"
	"github.com/goswan/goswan/network"
	"github.com/goswan/goswan/selectors"
)

func main() {
	var (
		local    = flag.String("local", "", "local IKE/ESP address")
		remote   = flag.String("remote", "", "peer address")
		localTS  = flag.String("local-ts", "", "local traffic selector (CIDR); default: local address")
		remoteTS = flag.String("remote-ts", "", "remote traffic selector (CIDR); default: peer address")
		spiIn    = flag.String("spi-in", "", "inbound SPI (hex)")
		spiOut   = flag.String("spi-out", "", "outbound SPI (hex)")
		enc      = flag.Uint("enc", 20, "IKEv2 encryption transform id (20 AES-GCM-16, 28 ChaCha20-Poly1305, 12 AES-CBC)")
		integ    = flag.Uint("integ", 0, "IKEv2 integrity transform id (12 HMAC-SHA2-256-128, ...)")
		keyIn    = flag.String("key-in", "", "inbound encryption key, hex (AEAD: with salt)")
		keyOut   = flag.String("key-out", "", "outbound encryption key, hex")
		ikeyIn   = flag.String("ikey-in", "", "inbound integrity key, hex")
		ikeyOut  = flag.String("ikey-out", "", "outbound integrity key, hex")
		mode     = flag.String("mode", "tunnel", "tunnel or transport")
		tunName  = flag.String("tun", "ipsec0", "TUN device name")
		port     = flag.Uint("port", 4500, "local and remote NAT-T port")
		rport    = flag.Uint("remote-port", 0, "remote NAT-T port (default: -port)")
		window   = flag.Uint("replay-window", 32, "replay window (charon.replay_window)")
		esn      = flag.Bool("esn", false, "extended sequence numbers")
		reqid    = flag.Uint("reqid", 1, "reqid")
	)
	flag.Parse()
	fail := func(err error) {
		fmt.Fprintln(os.Stderr, "libipsec-handkey:", err)
		os.Exit(1)
	}
	la, err := netip.ParseAddr(*local)
	if err != nil {
		fail(fmt.Errorf("-local: %w", err))
	}
	ra, err := netip.ParseAddr(*remote)
	if err != nil {
		fail(fmt.Errorf("-remote: %w", err))
	}
	ts := func(s string, def netip.Addr) selectors.TS {
		if s == "" {
			return selectors.FromAddr(def)
		}
		t, err := selectors.ParseCIDR(s, 0, 0, 0xffff)
		if err != nil {
			fail(err)
		}
		return t
	}
	lts, rts := ts(*localTS, la), ts(*remoteTS, ra)
	spi := func(s string) uint32 {
		v, err := strconv.ParseUint(s, 16, 32)
		if err != nil {
			fail(fmt.Errorf("SPI %q: %w", s, err))
		}
		return uint32(v)
	}
	key := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			fail(fmt.Errorf("key: %w", err))
		}
		return b
	}
	m := kernel.ModeTunnel
	if *mode == "transport" {
		m = kernel.ModeTransport
	}
	if *rport == 0 {
		*rport = *port
	}

	sock, err := network.Open(network.SocketOptions{Port: 0, NATTPort: uint16(*port)})
	if err != nil {
		fail(err)
	}
	defer sock.Close()
	k, err := kernel_libipsec.Open(kernel_libipsec.Options{Interface: *tunName}, sock)
	if err != nil {
		fail(err)
	}
	defer k.Close()
	// Routes into the TUN device go through kernel-netlink's Net, in table
	// 220 behind its rule, as in the daemon.
	routes, err := kernel_netlink.NewNet(kernel_netlink.Options{NoEvents: true})
	if err != nil {
		fail(err)
	}
	defer routes.Close()
	k.SetRouter(kernel_libipsec.NetRouter(routes, k.Interface(), false, nil))

	base := kernel.AddSA{ReqID: uint32(*reqid), Mode: m, EncAlg: crypto.EncryptionAlgorithm(*enc), IntAlg: crypto.IntegrityAlgorithm(*integ),
		ReplayWindow: uint32(*window), Encap: true, ESN: *esn}
	in := base
	in.Inbound, in.EncKey, in.IntKey = true, key(*keyIn), key(*ikeyIn)
	in.EncapSrcPort, in.EncapDstPort = uint16(*rport), uint16(*port)
	out := base
	out.EncKey, out.IntKey = key(*keyOut), key(*ikeyOut)
	out.EncapSrcPort, out.EncapDstPort = uint16(*port), uint16(*rport)
	if err := k.AddSA(kernel.SAID{Src: ra, Dst: la, SPI: spi(*spiIn), Proto: kernel.ProtoESP}, in); err != nil {
		fail(err)
	}
	if err := k.AddSA(kernel.SAID{Src: la, Dst: ra, SPI: spi(*spiOut), Proto: kernel.ProtoESP}, out); err != nil {
		fail(err)
	}
	sa := kernel.SAConfig{Mode: m, ReqID: uint32(*reqid)}
	for _, dir := range []kernel.PolicyDir{kernel.DirOut, kernel.DirIn, kernel.DirFwd} {
		id := kernel.PolicyID{Dir: dir, Src: lts, Dst: rts}
		d := kernel.ManagePolicy{Type: kernel.PolicyIPsec, Prio: kernel.PriorityDefault, Src: la, Dst: ra, SA: sa}
		if dir != kernel.DirOut {
			id.Src, id.Dst, d.Src, d.Dst = rts, lts, ra, la
		}
		if err := k.AddPolicy(id, d); err != nil {
			fail(err)
		}
	}
	fmt.Println("ready")
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	fmt.Printf("%+v\n", k.Stats())
}
