// Package chaos is goswan's lab for reliability and security under attack
// and faults (make chaos): strongSwan's test network in namespaces with
// live tunnels that rekey every few seconds, an attacker on the internet
// segment, netem faults, and checks after every phase that the tunnels
// still carry traffic, that no SA, policy or route leaked or went missing,
// that charon's memory came back and that it never stopped.
//
// Hosts: moon is the gateway under test (goswan, or strongSwan for the
// comparison); sun (goswan) holds the net-net tunnel alice ↔ bob, carol
// (Debian's strongSwan) a roadwarrior tunnel to alice, dave (goswan) a
// roadwarrior that connects while the flood runs; winnetou is the attacker
// and the adversarial peer. Spoofed sources come from AttackNet, which
// moon routes back to winnetou, so nothing the attack provokes leaves the
// lab (nothing of the lab exists in the root namespace anyway).
package chaos

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/labconf"
	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
)

// Addresses of the lab (strongSwan's test network).
const (
	MoonIP     = "192.168.0.1"
	SunIP      = "192.168.0.2"
	CarolIP    = "192.168.0.100"
	DaveIP     = "192.168.0.200"
	WinnetouIP = "192.168.0.150"
	AliceIP    = "10.1.0.10"
	// The roadwarriors' inner addresses (strongSwan's virtual IPs of
	// carol and dave, here fixed on their loopback): the userspace data
	// plane cannot route a peer's own IKE address into the tunnel.
	CarolInner = "10.3.0.1"
	DaveInner  = "10.3.0.2"
	// WinnetouInner is the adversarial peer's side of its CHILD_SAs.
	WinnetouInner = "10.3.0.3"
	BobIP         = "10.2.0.10"
	// AttackNet holds the spoofed sources; moon routes it to winnetou.
	AttackNet = "10.200.0.0/16"
	// DebugSocket is goswan's GOSWAN_DEBUG_SOCKET inside moon.
	DebugSocket = "/run/goswan-debug.sock"
)

// The lab's timing: CHILD_SAs live 30 s and rekey 10 to 15 s before, so a
// phase sees several rekeys; IKE_SAs rekey (reauth=no: a responder that
// reauthenticates a roadwarrior while the roadwarrior restarts on its
// DELETE would duplicate the IKE_SA, in charon as in goswan) every minute
// or so. DPD every
// 5 s and a short retransmission schedule (1 s, base 1.4, 4 tries: gone
// after about 18 s) keep recovery within a phase.
const (
	childLifetime = 30
	childMargin   = 10
)

// Tunnel is one connection of the lab and how its traffic is checked.
type Tunnel struct {
	Name string // moon's conn
	// Peer is the host at the other end, Initiator the one that brings it
	// up (the peer; moon only answers).
	Peer string
	// From pings To through the tunnel, from Source if set.
	From, To, Source string
	// Route is the destination moon routes into the tunnel (table 220).
	Route string
}

// Tunnels of the lab; dave's comes up during the flood.
var (
	NetNet   = Tunnel{Name: "net-net", Peer: "sun", From: "alice", To: BobIP, Route: "10.2.0.0/16"}
	RWCarol  = Tunnel{Name: "rw-carol", Peer: "carol", From: "carol", To: AliceIP, Source: CarolInner, Route: CarolInner}
	RWDave   = Tunnel{Name: "rw-dave", Peer: "dave", From: "dave", To: AliceIP, Source: DaveInner, Route: DaveInner}
	Tunnels0 = []Tunnel{NetNet, RWCarol}
)

// Options shape a lab.
type Options struct {
	// Moon is moon's implementation ("goswan" or "strongswan"); the peers
	// are fixed.
	Moon string
	// GoswanBin holds goswan's ipsec and charon.
	GoswanBin string
	// Self is the chaos binary, run inside the hosts for the attacks.
	Self string
	// LogDir receives logs and profiles.
	LogDir string
	Logf   func(format string, args ...any)
}

// Lab is a built lab.
type Lab struct {
	*netnet.Net
	opts    Options
	impl    runner.Impl
	tunnels []Tunnel
	logf    func(format string, args ...any)
}

// strongswanConf is a host's strongswan.conf, with short retransmits.
func strongswanConf(name string) string {
	return labconf.StrongswanConf{
		Title: name + " (goswan chaos lab)",
		Load:  "random nonce aes sha1 sha2 gmp openssl hmac kdf curve25519 stroke kernel-libipsec kernel-netlink socket-default updown",
		Charon: []string{
			"retransmit_timeout = 1.0",
			"retransmit_base = 1.4",
			"retransmit_tries = 4",
		},
		Userspace: true,
	}.String()
}

const confDefault = `# /etc/ipsec.conf - %[1]s (goswan chaos lab)
config setup
	uniqueids=yes

conn %%default
	ikelifetime=90s
	reauth=no
	lifetime=%[2]ds
	margintime=%[3]ds
	rekeyfuzz=50%%
	keyingtries=%%forever
	keyexchange=ikev2
	authby=secret
	mobike=no
	ike=aes128-sha256-x25519!
	esp=aes128gcm16!
	dpddelay=5s
	dpdaction=restart
	closeaction=restart
`

// moonConf: moon answers sun, the roadwarriors and winnetou (the
// adversarial peer); right=%any also lets the flood's IKE_SA_INITs make
// half-open IKE_SAs, as a roadwarrior gateway's would. As a responding
// gateway it clears what its DPD finds dead and leaves the restart to the
// peers (both restarting would duplicate the IKE_SA on every failure).
const moonConf = `
conn net-net
	left=192.168.0.1
	leftsubnet=10.1.0.0/16
	leftid=@moon.strongswan.org
	dpdaction=clear
	closeaction=clear
	right=192.168.0.2
	rightsubnet=10.2.0.0/16
	rightid=@sun.strongswan.org
	auto=add

conn rw-carol
	left=192.168.0.1
	leftsubnet=10.1.0.0/16
	leftid=@moon.strongswan.org
	dpdaction=clear
	closeaction=clear
	right=%any
	rightid=@carol.strongswan.org
	rightsubnet=10.3.0.1/32
	auto=add

conn rw-dave
	left=192.168.0.1
	leftsubnet=10.1.0.0/16
	leftid=@moon.strongswan.org
	dpdaction=clear
	closeaction=clear
	right=%any
	rightid=@dave.strongswan.org
	rightsubnet=10.3.0.2/32
	auto=add

conn rw-winnetou
	left=192.168.0.1
	leftsubnet=10.1.0.0/16
	leftid=@moon.strongswan.org
	dpdaction=clear
	closeaction=clear
	right=%any
	rightid=@winnetou.strongswan.org
	rightsubnet=10.3.0.3/32
	esp=aes128gcm16-modp2048,aes128gcm16-ecp256,aes128gcm16-x25519,aes128gcm16!
	auto=add
`

const sunConf = `
conn net-net
	left=192.168.0.2
	leftsubnet=10.2.0.0/16
	leftid=@sun.strongswan.org
	right=192.168.0.1
	rightsubnet=10.1.0.0/16
	rightid=@moon.strongswan.org
	auto=start
`

const rwConf = `
conn home
	left=%[1]s
	leftsubnet=%[4]s/32
	leftid=@%[2]s.strongswan.org
	right=192.168.0.1
	rightsubnet=10.1.0.0/16
	rightid=@moon.strongswan.org
	auto=%[3]s
`

const secrets = `# /etc/ipsec.secrets (goswan chaos lab)
@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
@moon.strongswan.org @carol.strongswan.org : PSK 0sFpZAZqEN6Ti9sqt4ZP5EWcqx
@moon.strongswan.org @dave.strongswan.org : PSK 0sjVzONCF02ncsgiSlmIXeqhGN
@moon.strongswan.org @winnetou.strongswan.org : PSK "WinnetouChaosLabPSKrAnD0m"
`

// WinnetouPSK is the adversarial peer's secret, as in secrets: a quoted
// string there, so that the peer, which takes it as it is, uses the same
// bytes (a 0s value would be base64 to the daemons, not to the peer).
const WinnetouPSK = "WinnetouChaosLabPSKrAnD0m"

// Build creates the lab; IPsec is configured, not started.
func Build(ctx context.Context, o Options) (*Lab, error) {
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	impls := runner.Implementations(o.GoswanBin)
	moonImpl, err := runner.ParseImpl(o.Moon)
	if err != nil {
		return nil, err
	}
	for _, i := range []runner.Impl{moonImpl, runner.Goswan, runner.StrongSwan} {
		if err := impls[i].Check(); err != nil {
			return nil, err
		}
	}
	gw := func(name string, impl runner.Impl, conf string, extraEnv ...string) topology.HostSpec {
		return topology.HostSpec{Name: name, Binds: impls[impl].Binds, Env: append(netnet.HostEnv(), extraEnv...),
			Etc: []topology.File{
				{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(fmt.Sprintf(confDefault, name, childLifetime, childMargin) + conf)},
				{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(secrets)},
				{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(strongswanConf(name))},
			}}
	}
	var moonEnv []string
	if moonImpl == runner.Goswan {
		moonEnv = append(moonEnv, "GOSWAN_DEBUG_SOCKET="+DebugSocket)
		if r := os.Getenv("GOSWAN_MEMPROFILERATE"); r != "" {
			moonEnv = append(moonEnv, "GOSWAN_MEMPROFILERATE="+r)
		}
	}
	specs := []topology.HostSpec{
		gw("moon", moonImpl, moonConf, moonEnv...),
		gw("sun", runner.Goswan, sunConf),
		gw("carol", runner.StrongSwan, fmt.Sprintf(rwConf, CarolIP, "carol", "start", CarolInner)),
		gw("dave", runner.Goswan, fmt.Sprintf(rwConf, DaveIP, "dave", "add", DaveInner)),
		{Name: "winnetou", Env: netnet.HostEnv()},
		{Name: "alice", Env: netnet.HostEnv()},
		{Name: "bob", Env: netnet.HostEnv()},
	}
	n, err := netnet.BuildHosts(ctx, o.Logf, specs)
	if err != nil {
		return nil, err
	}
	l := &Lab{Net: n, opts: o, impl: moonImpl, tunnels: slices.Clone(Tunnels0), logf: o.Logf}
	// The spoofed sources route back to the attacker, never elsewhere;
	// the roadwarriors' inner addresses are theirs.
	for _, c := range [][2]string{{"moon", "ip route add " + AttackNet + " via " + WinnetouIP},
		{"carol", "ip addr add " + CarolInner + "/32 dev lo"}, {"dave", "ip addr add " + DaveInner + "/32 dev lo"}} {
		if _, err := l.Run(c[0], c[1], 5*time.Second); err != nil {
			l.Close()
			return nil, err
		}
	}
	return l, nil
}

// MoonImpl is moon's implementation.
func (l *Lab) MoonImpl() runner.Impl { return l.impl }

// Tunnels are the lab's live tunnels.
func (l *Lab) Tunnels() []Tunnel { return slices.Clone(l.tunnels) }

// ipsecHosts are the hosts that run IPsec.
var ipsecHosts = []string{"moon", "sun", "carol", "dave"}

// Start starts IPsec everywhere and waits for the initial tunnels.
func (l *Lab) Start() error {
	// moon first, with its conns loaded, so that no peer's first
	// IKE_SA_INIT finds it without them.
	for _, h := range ipsecHosts {
		if _, err := l.Run(h, "ipsec start", 20*time.Second); err != nil {
			return err
		}
		if _, err := l.WaitFor(h, "ipsec statusall 2>/dev/null", regexp.MustCompile(`Connections:`), 20*time.Second); err != nil {
			return err
		}
		if h == "moon" {
			if _, err := l.WaitFor(h, "ipsec statusall 2>/dev/null", regexp.MustCompile(`rw-winnetou:`), 20*time.Second); err != nil {
				return err
			}
		}
	}
	return l.WaitTunnels(l.tunnels, 60*time.Second)
}

// AddTunnel adds a tunnel to the expected set (dave's, once it is up).
func (l *Lab) AddTunnel(t Tunnel) {
	if !slices.ContainsFunc(l.tunnels, func(x Tunnel) bool { return x.Name == t.Name }) {
		l.tunnels = append(l.tunnels, t)
	}
}

// WaitTunnels waits until every tunnel is established and passes a ping.
func (l *Lab) WaitTunnels(ts []Tunnel, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for _, t := range ts {
		for {
			if l.Ping(t) == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("tunnel %s (%s -> %s) does not pass traffic after %v:\nmoon: %s\n%s's log:\n%s", t.Name, t.From, t.To,
					limit, l.Quiet("moon", "ipsec status 2>&1 | tail -n 20"), t.Peer, l.Logs(t.Peer, 30))
			}
			time.Sleep(500 * time.Millisecond)
		}
	}
	return nil
}

// Ping sends three pings through a tunnel; one answer is enough (a rekey
// or a fault may take a packet).
func (l *Lab) Ping(t Tunnel) error {
	src := ""
	if t.Source != "" {
		src = " -I " + t.Source
	}
	r := l.Topo.Host(t.From).Run(context.Background(), "ping -n -q -c 3 -i 0.2 -W 1"+src+" "+t.To, 10*time.Second)
	if r.Err != nil || r.ExitCode != 0 {
		return fmt.Errorf("ping %s from %s: %s", t.To, t.From, strings.TrimSpace(string(r.Stdout)+string(r.Stderr)))
	}
	return nil
}

// CharonPID is the PID of moon's charon (in the root namespace's view), 0
// if none runs.
func (l *Lab) CharonPID() int { return l.pidOf("moon") }

func (l *Lab) pidOf(host string) int {
	out := strings.TrimSpace(l.Quiet(host, "cat /run/charon.pid 2>/dev/null"))
	pid, err := strconv.Atoi(out)
	if err != nil {
		return 0
	}
	// The PID file lives in the host's /run; the PID is the same in the
	// root namespace (hosts share its PID namespace). Make sure it is a
	// charon.
	comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid))
	if err != nil || strings.TrimSpace(string(comm)) != "charon" {
		return 0
	}
	return pid
}

// Stop stops IPsec on every host and removes the lab.
func (l *Lab) Close() error {
	for _, h := range ipsecHosts {
		_, _ = l.Run(h, "ipsec stop", 20*time.Second)
	}
	return l.Net.Close()
}

// ErrNoCharon is returned when moon runs no charon.
var ErrNoCharon = errors.New("moon runs no charon")

// SaveLogs copies every IPsec host's daemon.log to dir/<moon>-<host>.log.
func (l *Lab) SaveLogs(dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return
	}
	for _, h := range ipsecHosts {
		_ = os.WriteFile(filepath.Join(dir, string(l.impl)+"-"+h+".log"), []byte(l.Quiet(h, "cat /var/log/daemon.log")), 0o644)
	}
}

// saveProfile stores goswan's heap profile in the log directory.
func (l *Lab) saveProfile(name string) {
	if l.opts.LogDir == "" {
		return
	}
	_ = os.MkdirAll(l.opts.LogDir, 0o755)
	for _, p := range []string{"heap", "allocs"} {
		if b, err := l.DebugCommand(p); err == nil {
			_ = os.WriteFile(filepath.Join(l.opts.LogDir, name+"-"+p+".pprof"), b, 0o644)
		}
	}
}
