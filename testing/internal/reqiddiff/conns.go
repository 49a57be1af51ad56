// Package reqiddiff is the differential test of reqid allocation: two
// copies of the moon/sun network, one running an implementation under test
// and one the reference (Debian's strongSwan 5.9.8), are driven through the
// same random sequence of stroke commands — ipsec up, down, route, unroute,
// rekeys, IKE_SA restarts by close action, reauthentications, daemon
// restarts and trap acquires — and every reqid that `ipsec statusall` shows
// on either gateway is compared after each step.
//
// The connections overlap on purpose so that every lookup path of charon's
// alloc_reqid runs: conns with equal traffic selectors (found by TS),
// narrowed selectors, marks (same TS, other key), a static reqid=, trap
// policies (reqid kept when the acquire's CHILD_SA is negotiated) and
// closeaction=restart (the reqid requested again after it was released,
// where 5.9.8 collides, strongswan/strongswan#1855).
package reqiddiff

import (
	"fmt"
	"strings"

	"github.com/goswan/goswan/testing/internal/labconf"
)

// conn is one ipsec.conf connection of the test. Both gateways load all of
// them; moon's and sun's traffic selectors are given from moon's view.
type conn struct {
	name string
	peer string // the also= section with identities and IKE settings
	// local and remote subnets on moon; sun swaps them unless sunLocal and
	// sunRemote (narrower: sun narrows what moon proposes) are set.
	local, remote       string
	sunLocal, sunRemote string
	extra               string // further lines, both gateways
	moonExtra           string // further lines, moon only
	sunExtra            string // further lines, sun only
	route               bool   // auto=route instead of auto=add
}

// peer is a group of conns that charon merges into one peer config (the
// IKE_SA is named after the first conn of the group).
type peer struct {
	name  string
	first string // name of the IKE_SAs: the group's first conn
	// extra are further lines on both gateways, moonExtra on moon only.
	extra, moonExtra string
}

// slowIKE is the IKE proposal of the groups whose IKE_SA moon replaces
// (restart by close action, reauthentication). moon releases the old
// CHILD_SAs' reqids right after it starts the new IKE_SA, and allocates
// the new ones when its IKE_AUTH completes; a large MODP group's key
// exchange on both sides keeps a loaded machine from turning that order
// around (charon has the same race). MODP-4096, not 8192: goswan's
// big.Int exchange takes 0.6 s at 8192 bits on a loaded machine, more
// than the retransmit timeout.
const slowIKE = "\tike=aes128-sha256-modp4096!\n"

var peers = []peer{
	{name: "pa", first: "a"},
	{name: "pn", first: "n"},
	{name: "pr", first: "r1", extra: slowIKE},
	{name: "ps", first: "s"},
	// moon reauthenticates it 3 s after establishment (break-before-make):
	// the reauth step brings it up, waits for one reauthentication and
	// takes it down again before the next one.
	{name: "pe", first: "e1", extra: slowIKE, moonExtra: "\tikelifetime=6s\n\tmargintime=3s\n\treauth=yes\n"},
}

// conns are loaded in this order; the last one is auto=route, so a daemon
// has loaded everything once it shows that trap.
var conns = []conn{
	{name: "a", peer: "pa", local: "10.1.0.0/16", remote: "10.2.0.0/16"},
	{name: "b", peer: "pa", local: "10.1.0.0/16", remote: "10.2.0.0/16"},
	{name: "c", peer: "pa", local: "10.1.0.0/24", remote: "10.2.0.0/24"},
	{name: "m", peer: "pa", local: "10.1.0.0/16", remote: "10.2.0.0/16", extra: "\tmark=42\n"},
	{name: "n", peer: "pn", local: "10.1.0.0/16", remote: "10.2.0.0/16", sunLocal: "10.2.0.0/24", sunRemote: "10.1.0.0/24"},
	// moon restarts these when sun deletes them. sun gives them static
	// reqids: when sun deletes the IKE_SA, moon's new one is already on
	// its way, and charon on sun releases the old CHILD_SAs' reqids and
	// allocates the new ones on two threads in either order.
	{name: "r1", peer: "pr", local: "10.1.0.0/24", remote: "10.2.0.0/24", moonExtra: "\tcloseaction=restart\n", sunExtra: "\treqid=11\n"},
	{name: "r2", peer: "pr", local: "10.1.0.0/16", remote: "10.2.0.0/16", moonExtra: "\tcloseaction=restart\n", sunExtra: "\treqid=12\n"},
	{name: "r3", peer: "pr", local: "10.1.0.0/16", remote: "10.2.0.0/24", moonExtra: "\tcloseaction=restart\n", sunExtra: "\treqid=13\n"},
	{name: "s", peer: "ps", local: "10.1.0.0/24", remote: "10.2.0.0/16", extra: "\treqid=2\n"},
	{name: "u", peer: "ps", local: "10.1.0.0/16", remote: "10.2.0.0/16", extra: "\tmark=42\n"},
	// Reauthenticated by moon; static on sun for the same reason as r1-r3.
	{name: "e1", peer: "pe", local: "10.1.0.0/24", remote: "10.2.0.0/24", sunExtra: "\treqid=21\n"},
	{name: "e2", peer: "pe", local: "10.1.0.0/16", remote: "10.2.0.0/16", sunExtra: "\treqid=22\n"},
	{name: "t", peer: "ps", local: "10.1.0.0/16", remote: "10.2.0.0/24", route: true},
}

// Gateway addresses of strongSwan's test network.
const (
	moonAddr = "192.168.0.1"
	sunAddr  = "192.168.0.2"
)

// ipsecConf renders a gateway's ipsec.conf.
func ipsecConf(host string) string {
	var b strings.Builder
	me, other := moonAddr, sunAddr
	if host == "sun" {
		me, other = sunAddr, moonAddr
	}
	fmt.Fprintf(&b, `# /etc/ipsec.conf - %s (goswan reqid differential test)
config setup

conn %%default
	keyexchange=ikev2
	authby=secret
	ikelifetime=60m
	lifetime=20m
	margintime=3m
	rekeyfuzz=0%%
	keyingtries=1
	mobike=no
	left=%s
	right=%s
`, host, me, other)
	for _, p := range peers {
		my, their := p.name[1:]+".moon", p.name[1:]+".sun"
		if host == "sun" {
			my, their = their, my
		}
		fmt.Fprintf(&b, "\nconn %s\n\tleftid=@%s\n\trightid=@%s\n%s", p.name, my, their, p.extra)
		if host == "moon" {
			b.WriteString(p.moonExtra)
		}
	}
	for _, c := range conns {
		local, remote := c.local, c.remote
		if host == "sun" {
			local, remote = c.remote, c.local
			if c.sunLocal != "" {
				local, remote = c.sunLocal, c.sunRemote
			}
		}
		auto := "add"
		if c.route {
			auto = "route"
		}
		fmt.Fprintf(&b, "\nconn %s\n\talso=%s\n\tleftsubnet=%s\n\trightsubnet=%s\n%s", c.name, c.peer, local, remote, c.extra)
		if host == "moon" {
			b.WriteString(c.moonExtra)
		} else {
			b.WriteString(c.sunExtra)
		}
		fmt.Fprintf(&b, "\tauto=%s\n", auto)
	}
	return b.String()
}

const ipsecSecrets = `# /etc/ipsec.secrets - goswan reqid differential test
: PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
`

// strongswanConf: the userspace data plane (the lane's kernel has no ESP),
// short retransmits so that a restart against a stopped peer gives up
// quickly, and rekeyed SAs deleted at once so that a rekey is over when its
// exchanges are; settings are the lab's further charon settings.
func strongswanConf(settings string) string {
	return labconf.StrongswanConf{
		Title:   "goswan reqid differential test",
		Starter: true,
		Load:    "random nonce aes sha1 sha2 gmp openssl hmac kdf stroke kernel-libipsec kernel-netlink socket-default updown",
		Charon: []string{
			"retransmit_tries = 3",
			"retransmit_timeout = 1.0",
			"retransmit_base = 1",
			"delete_rekeyed_delay = 1",
			settings,
		},
		Log:       []string{"knl = 0"},
		Userspace: true,
	}.String()
}
