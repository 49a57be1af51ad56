package daemon

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/counters"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/kernel_libipsec"
	"github.com/goswan/goswan/kernel_netlink"
	"github.com/goswan/goswan/network"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/stroke"
)

// DefaultPlugins is the plugin list used when strongswan.conf has neither
// charon.load nor charon.load_modular: the parts of Debian's build that
// goswan has.
const DefaultPlugins = "random nonce aes des sha1 sha2 md5 x509 revocation constraints pkcs1 pkcs8 pkcs12 pem " +
	"hmac kdf xcbc cmac gcm gmp curve25519 openssl curl eap-identity eap-md5 eap-mschapv2 eap-radius eap-tls " +
	"stroke vici kernel-netlink socket-default updown counters"

// builtinPlugins are strongSwan plugins whose function is part of goswan's
// own code (crypto, the kernel interfaces, the socket, stroke): naming them
// loads them. Every other plugin is reported as unavailable.
var builtinPlugins = map[string]bool{
	"random": true, "nonce": true, "aes": true, "des": true, "sha1": true, "sha2": true, "md5": true,
	"hmac": true, "kdf": true, "xcbc": true, "cmac": true, "gcm": true, "ccm": true, "ctr": true, "gmp": true,
	"curve25519": true, "openssl": true, "chapoly": true, "mgf1": true, "fips-prf": true, "drbg": true,
	"stroke": true, "kernel-netlink": true, "kernel-libipsec": true, "socket-default": true,
	"updown": true, "resolve": true, "attr": true, "vici": true, "counters": true, "load-tester": true,
	"ha-state": true,
	// Certificates: package credentials is x509, pem, pkcs1, pkcs8 and
	// pkcs12, the constraints and revocation validators; daemon's HTTP
	// fetcher is curl.
	"x509": true, "pem": true, "pkcs1": true, "pkcs8": true, "pkcs12": true, "rc2": true,
	"constraints": true, "revocation": true, "curl": true,
	// EAP: the methods are package eap's, RADIUS is eap/radius; md4 is
	// the hash of MSCHAPv2's NT passwords.
	"md4": true, "eap-identity": true, "eap-md5": true, "eap-mschapv2": true, "eap-tls": true, "eap-radius": true,
}

// pluginList decides what charon.load asks for: the plugins goswan has
// built in, in that order; the others are logged as unavailable, and a
// critical one fails the start.
func (d *Daemon) pluginList() ([]string, error) {
	var loaded []string
	for _, p := range d.Settings().Plugins("charon", DefaultPlugins) {
		if !builtinPlugins[p.Name] {
			if p.Critical {
				d.logf(bus.LIB, bus.Control, "loading critical plugin '%s' failed", p.Name)
				return nil, fmt.Errorf("critical plugin '%s' is not available", p.Name)
			}
			d.logf(bus.LIB, bus.Control, "plugin '%s': failed to load - not available in goswan", p.Name)
			continue
		}
		if p.Name == "load-tester" && !d.loadTesterEnabled() {
			continue
		}
		loaded = append(loaded, p.Name)
	}
	d.plugins = loaded
	d.configureCerts(func(name string) bool { return slices.Contains(loaded, name) })
	return loaded, nil
}

// openBackends opens the IKE socket and the kernel interfaces the plugins
// name; each is required.
func (d *Daemon) openBackends(plugins []string, st sa.Settings) error {
	s := d.Settings()
	has := func(name string) bool { return slices.Contains(plugins, name) }
	if has("socket-default") {
		sock, err := network.Open(network.SocketOptions{
			Port:      st.Port,
			NATTPort:  st.NATTPort,
			NoIPv4:    !s.Bool("charon.plugins.socket-default.use_ipv4", true),
			NoIPv6:    !s.Bool("charon.plugins.socket-default.use_ipv6", true),
			Mark:      parseMark(s.Str("charon.plugins.socket-default.fwmark", "")),
			MaxPacket: st.MaxPacket,
			Logf: func(format string, args ...any) {
				d.bus.Log(receiverThread, nil, bus.NET, bus.Control, format, args...)
			},
		})
		if err != nil {
			d.logf(bus.NET, bus.Control, "could not open socket: %v", err)
			return fmt.Errorf("socket-default: %w", err)
		}
		d.sock = sock
		d.onClose(sock.Close)
	}
	if d.sock == nil {
		return errors.New("no socket implementation registered (socket-default)")
	}

	// Plugins load in charon's order: kernel-libipsec (its TUN device
	// exists before kernel-netlink looks at the interfaces), then
	// kernel-netlink, whose Net carries libipsec's routes.
	var libipsec *kernel_libipsec.IPsec
	if has("kernel-libipsec") {
		k, err := d.openLibipsec(st)
		if err != nil {
			return err
		}
		libipsec = k
	}
	if has("kernel-netlink") {
		o := d.netlinkOptions(st)
		if libipsec != nil {
			// kernel-libipsec makes its TUN device the default for virtual
			// IPs, overriding charon.install_virtual_ip_on as charon's
			// plugin does by setting it
			o.InstallVirtualIPOn = libipsec.Interface()
		}
		n, err := kernel_netlink.NewNet(o)
		if err != nil {
			return fmt.Errorf("kernel-netlink: %w", err)
		}
		d.net = n
		d.onClose(n.Close)
	}
	if d.net == nil {
		return errors.New("no networking backend: the kernel-netlink plugin is required")
	}
	if k := d.loadTesterKernel(plugins); k != nil {
		d.ipsec = k
		return nil
	}
	switch {
	case libipsec != nil:
		if s.Bool("charon.install_routes", true) {
			libipsec.SetRouter(kernel_libipsec.NetRouter(d.net, libipsec.Interface(),
				s.Bool("charon.plugins.kernel-libipsec.allow_peer_ts", false), bus.Ctx{Bus: d.bus}))
		}
		d.ipsec = libipsec
	case has("kernel-netlink"):
		k, err := kernel_netlink.NewIPsec(d.netlinkOptions(st), d.net)
		if err != nil {
			return fmt.Errorf("kernel-netlink: %w", err)
		}
		d.ipsec = k
		d.onClose(k.Close)
	default:
		return errors.New("no kernel IPsec backend loaded (kernel-netlink or kernel-libipsec)")
	}
	return nil
}

// startPlugins connects the backends to the core and starts the rest:
// IKE packets bypass IPsec, kernel events and received packets become
// jobs, updown listens, stroke loads the credentials and opens its socket.
func (d *Daemon) startPlugins(plugins []string) error {
	// IKE packets bypass IPsec policies; the backend decides how.
	for _, fd := range d.sock.FDs() {
		if err := d.ipsec.BypassSocket(fd.FD, fd.Family); err != nil {
			d.logf(bus.NET, bus.Control, "installing IKE bypass policy failed: %v", err)
		}
		if fd.NATT {
			if err := d.ipsec.EnableUDPDecap(fd.FD, fd.Family, fd.Port); err != nil {
				d.logf(bus.NET, bus.Control, "enabling UDP decapsulation failed: %v", err)
			}
		}
	}

	// Kernel events become jobs (charon's kernel handler).
	kh := sa.NewKernelHandler(d.env)
	kh.OnAcquire = d.traps.Acquire
	if l, ok := d.ipsec.(interface{ SetListener(kernel.Listener) }); ok {
		l.SetListener(kh)
	}
	if l, ok := d.net.(interface{ SetListener(kernel.Listener) }); ok {
		l.SetListener(kh)
	}

	// Received IKE packets pass charon's receiver checks on the socket's
	// goroutine (a flood is dropped there, not queued) and become jobs.
	d.sock.SetIKEHandler(func(p network.Packet) {
		in, ok := d.manager.Receive(receiverThread, sa.Packet{Data: p.Data, Src: p.Src, Dst: p.Dst})
		if !ok {
			return
		}
		d.manager.Queue(in.Priority(), "process_message", func(thread int) { d.manager.Process(thread, in) })
	})

	if slices.Contains(plugins, "updown") {
		d.env.Events.Add(NewUpdown(d.env))
	}
	d.startAttributePlugins(plugins)
	if slices.Contains(plugins, "stroke") {
		if err := d.loadStroke(); err != nil {
			return err
		}
	}
	if slices.Contains(plugins, "counters") {
		d.counters = counters.New()
		d.env.Events.Add(d.counters)
	}
	if slices.Contains(plugins, "vici") {
		d.loadVici()
	}
	if slices.Contains(plugins, "load-tester") {
		d.startLoadTester()
	}
	if slices.Contains(plugins, "ha-state") {
		d.startHAState()
	}
	// d.plugins, which loadVici corrects if the vici socket failed.
	d.logf(bus.LIB, bus.Control, "loaded plugins: charon %s", strings.Join(d.plugins, " "))
	d.logf(bus.LIB, bus.Control, "dropped capabilities, running as uid %d, gid %d", os.Getuid(), os.Getgid())
	return nil
}

// receiverThread is the thread number the receiver logs under: charon's
// receiver is a job that occupies one of the first workers for good.
const receiverThread = 4

// sendIKE is the core's packet sender: out on the IKE socket.
func (d *Daemon) sendIKE(p sa.Packet) {
	if err := d.sock.SendIKE(network.Packet{Data: p.Data, Src: p.Src, Dst: p.Dst}); err != nil {
		d.logf(bus.NET, bus.Control, "error writing to socket: %v", err)
	}
}

type senderFunc func(p sa.Packet)

func (f senderFunc) Send(p sa.Packet) { f(p) }

// parseMark parses "value[/mask]" marks (socket-default.fwmark); 0 when
// unset or invalid.
func parseMark(s string) uint32 {
	v, _, _ := strings.Cut(strings.TrimSpace(s), "/")
	n, err := strconv.ParseUint(v, 0, 32)
	if err != nil {
		return 0
	}
	return uint32(n)
}

func (d *Daemon) netlinkOptions(st sa.Settings) kernel_netlink.Options {
	s := d.Settings()
	o := kernel_netlink.Options{
		Log:                  bus.Ctx{Bus: d.bus},
		SPIMin:               st.SPIMin,
		SPIMax:               st.SPIMax,
		RoutingTable:         uint32(s.Int("charon.routing_table", kernel_netlink.DefaultRoutingTable)),
		RoutingTablePrio:     uint32(s.Int("charon.routing_table_prio", kernel_netlink.DefaultRoutingTablePrio)),
		NoInstallRoutes:      !s.Bool("charon.install_routes", true),
		NoInstallVirtualIP:   !s.Bool("charon.install_virtual_ip", true),
		InstallVirtualIPOn:   s.Str("charon.install_virtual_ip_on", ""),
		InterfacesIgnore:     tokens(s.Str("charon.interfaces_ignore", "")),
		InterfacesUse:        tokens(s.Str("charon.interfaces_use", "")),
		NoProcessRoute:       !s.Bool("charon.process_route", true),
		PreferTemporaryAddrs: s.Bool("charon.prefer_temporary_addrs", false),
		NoRoamEvents:         !s.Bool("charon.plugins.kernel-netlink.roam_events", true),
		ProcessRules:         s.Bool("charon.plugins.kernel-netlink.process_rules", false),
		MTU:                  uint32(s.Int("charon.plugins.kernel-netlink.mtu", 0)),
		MSS:                  uint32(s.Int("charon.plugins.kernel-netlink.mss", 0)),
		PolicyUpdate:         s.Bool("charon.plugins.kernel-netlink.policy_update", false),
		PortBypass:           s.Bool("charon.plugins.kernel-netlink.port_bypass", false),
		ProtoPortTransport:   s.Bool("charon.plugins.kernel-netlink.set_proto_port_transport_sa", false),
		XfrmAcqExpires:       uint32(s.Int("charon.plugins.kernel-netlink.xfrm_acq_expires", kernel_netlink.DefaultXfrmAcqExpires)),
		HWOffloadInterface:   s.Str("charon.plugins.kernel-netlink.hw_offload_feature_interface", "lo"),
		FWMark:               s.Str("charon.plugins.kernel-netlink.fwmark", ""),
	}
	if s.Int("charon.routing_table", kernel_netlink.DefaultRoutingTable) == 0 {
		o.NoRoutingTable = true
	}
	for _, t := range tokens(s.Str("charon.ignore_routing_tables", "")) {
		if n, err := strconv.ParseUint(t, 10, 32); err == nil {
			o.IgnoreRoutingTables = append(o.IgnoreRoutingTables, uint32(n))
		}
	}
	return o
}

// openLibipsec creates the userspace data plane on the IKE socket, its
// routes going through the networking backend (kernel-libipsec).
func (d *Daemon) openLibipsec(st sa.Settings) (*kernel_libipsec.IPsec, error) {
	iface := "ipsec0"
	k, err := kernel_libipsec.Open(kernel_libipsec.Options{
		Interface: iface,
		MTU:       1400,
		SPIMin:    st.SPIMin,
		SPIMax:    st.SPIMax,
		Logf:      func(format string, args ...any) { d.logf(bus.ESP, bus.Diag, format, args...) },
	}, d.sock)
	if err != nil {
		d.logf(bus.LIB, bus.Control, "failed to create TUN device: %v", err)
		return nil, fmt.Errorf("kernel-libipsec: %w", err)
	}
	d.onClose(k.Close)
	d.logf(bus.LIB, bus.Control, "created TUN device: %s", iface)
	return k, nil
}

// loadStroke starts the stroke plugin: credentials first (they are loaded
// when the plugin loads), then the socket.
func (d *Daemon) loadStroke() error {
	s := d.Settings()
	d.cred = newStrokeCred(d)
	d.ca = &strokeCA{d: d}
	d.cred.loadAll()
	path, err := stroke.ParseSocketURI(s.Str("charon.plugins.stroke.socket", "unix://"+filepath.Join(d.opts.PidDir, "charon.ctl")))
	if err != nil {
		d.logf(bus.CFG, bus.Control, "%v", err)
		return err
	}
	ctl := &strokeControl{d: d, timeout: durationMS(s.Int("charon.plugins.stroke.timeout", 0))}
	srv, err := stroke.Listen(stroke.ServerConfig{
		Path:                   path,
		MaxConcurrent:          s.Int("charon.plugins.stroke.max_concurrent", 0),
		UID:                    -1,
		GID:                    -1,
		PreventLoglevelChanges: s.Bool("charon.plugins.stroke.prevent_loglevel_changes", false),
		Handlers: stroke.Handlers{
			Control:     ctl,
			Config:      &strokeConfig{d: d},
			CA:          d.ca,
			Credentials: d.cred,
			List:        d.lister(),
			LogLevels:   d,
		},
		Log: bus.Ctx{Bus: d.bus},
	})
	if err != nil {
		return fmt.Errorf("stroke: %w", err)
	}
	d.stroke = srv
	d.onClose(srv.Close)
	return nil
}
