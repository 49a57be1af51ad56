package daemon

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/stroke"
)

// readCapture reads a capture of testdata/charon-5.9.8, without the
// "$ command" line and the "[rc=N]" line the live captures carry.
func readCapture(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "charon-5.9.8", rel))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if strings.HasPrefix(s, "$ ") {
		s = s[strings.IndexByte(s, '\n')+1:]
	}
	if i := strings.LastIndex(s, "[rc="); i >= 0 && strings.HasSuffix(s, "]\n") {
		s = s[:i]
	}
	return s
}

var (
	reDelta   = regexp.MustCompile(`\b\d+ (second|minute|hour|day)s?\b`)
	reAgo     = regexp.MustCompile(`, \d+s ago\)`)
	reSince   = regexp.MustCompile(`since [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d \d{4}`)
	reMalloc  = regexp.MustCompile(`malloc: sbrk \d+, mmap \d+, used \d+, free \d+`)
	reWorkers = regexp.MustCompile(`worker threads: \d+ of \d+ idle, \d+/\d+/\d+/\d+ working, job queue: \d+/\d+/\d+/\d+, scheduled: \d+`)
	reUname   = regexp.MustCompile(`\(strongSwan 5\.9\.8, Linux [^,]+, x86_64\)`)
	reIKESPIs = regexp.MustCompile(`\b[0-9a-f]{16}_([ir])`)
	reESPSPIs = regexp.MustCompile(`\b[0-9a-f]{8}_([io])\b`)
	reCPIs    = regexp.MustCompile(`\b[0-9a-f]{4}_([io])\b`)
	reIKEID   = regexp.MustCompile(`\[(\d+)\]:`)
	reChildID = regexp.MustCompile(`\{(\d+)\}:`)
)

// normalize replaces what differs between two runs of the same situation
// by placeholders: durations (keeping their unit), dates, malloc and
// worker figures, the kernel release, and SPIs and unique ids, which are
// renumbered in order of first appearance so that the structure (which
// line refers to which SA) is still compared.
func normalize(s string) string {
	s = reDelta.ReplaceAllString(s, "N ${1}s")
	s = reAgo.ReplaceAllString(s, ", Ns ago)")
	s = reSince.ReplaceAllString(s, "since DATE")
	s = reMalloc.ReplaceAllString(s, "malloc: sbrk N, mmap N, used N, free N")
	s = reWorkers.ReplaceAllString(s, "worker threads: N of N idle, N/N/N/N working, job queue: N/N/N/N, scheduled: N")
	s = reUname.ReplaceAllString(s, "(strongSwan 5.9.8, Linux RELEASE, x86_64)")
	s = renumber(s, reIKESPIs, "IKESPI")
	s = renumber(s, reESPSPIs, "SPI")
	s = renumber(s, reCPIs, "CPI")
	s = renumberGroup(s, reIKEID, "[", "]:")
	s = renumberGroup(s, reChildID, "{", "}:")
	return s
}

// renumber replaces each distinct value before the _x suffix by
// name<ordinal>_x, counting per suffix: the fake kernels of two simulated
// daemons hand out the same SPI numbers, so an SPI of ours and one of the
// peer may be equal in goswan's output and never are in charon's.
func renumber(s string, re *regexp.Regexp, name string) string {
	seen := map[string]map[string]int{}
	return re.ReplaceAllStringFunc(s, func(m string) string {
		v, suffix, _ := strings.Cut(m, "_")
		if v == strings.Repeat("0", len(v)) {
			return "ZERO_" + suffix
		}
		ids := seen[suffix[:1]]
		if ids == nil {
			ids = map[string]int{}
			seen[suffix[:1]] = ids
		}
		if _, ok := ids[v]; !ok {
			ids[v] = len(ids) + 1
		}
		return name + strconv.Itoa(ids[v]) + "_" + suffix
	})
}

func renumberGroup(s string, re *regexp.Regexp, open, close string) string {
	seen := map[string]int{}
	return re.ReplaceAllStringFunc(s, func(m string) string {
		v := re.FindStringSubmatch(m)[1]
		if _, ok := seen[v]; !ok {
			seen[v] = len(seen) + 1
		}
		return open + "#" + strconv.Itoa(seen[v]) + close
	})
}

// wantText fails with a line diff unless got equals want.
func wantText(t testing.TB, what, got, want string) {
	t.Helper()
	if got == want {
		return
	}
	g, w := strings.Split(got, "\n"), strings.Split(want, "\n")
	var b strings.Builder
	for i := 0; i < max(len(g), len(w)); i++ {
		var gl, wl string
		if i < len(g) {
			gl = g[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		mark := " "
		if gl != wl {
			mark = "!"
		}
		fmt.Fprintf(&b, "%s got  %q\n%s want %q\n", mark, gl, mark, wl)
	}
	t.Errorf("%s differs:\n%s", what, b.String())
}

// wantNormalized compares after normalize.
func wantNormalized(t testing.TB, what, got, want string) {
	t.Helper()
	wantText(t, what, normalize(got), normalize(want))
}

// fakeSource is a StatusSource with fixed answers and no IKE_SAs unless
// each is set.
type fakeSource struct {
	now       time.Time
	daemon    DaemonInfo
	plugins   []Plugin
	pools     []Pool
	leases    map[string][]Lease
	addrs     []netip.Addr
	peers     []*config.PeerCfg
	shunts    []*config.ChildCfg
	routed    []RoutedEntry
	total     int
	halfOpen  int
	each      func(wait bool, fn func(*sa.IKESA))
	waitCalls []bool
}

func (f *fakeSource) Now() time.Time                { return f.now }
func (f *fakeSource) Daemon() DaemonInfo            { return f.daemon }
func (f *fakeSource) Plugins() []Plugin             { return f.plugins }
func (f *fakeSource) Pools() []Pool                 { return f.pools }
func (f *fakeSource) Leases(pool string) []Lease    { return f.leases[pool] }
func (f *fakeSource) ListenAddresses() []netip.Addr { return f.addrs }
func (f *fakeSource) Peers() []*config.PeerCfg      { return f.peers }
func (f *fakeSource) Shunts() []*config.ChildCfg    { return f.shunts }
func (f *fakeSource) Routed() []RoutedEntry         { return f.routed }
func (f *fakeSource) IKESACount() (int, int)        { return f.total, f.halfOpen }
func (f *fakeSource) EachIKESA(wait bool, fn func(*sa.IKESA)) {
	f.waitCalls = append(f.waitCalls, wait)
	if f.each != nil {
		f.each(wait, fn)
	}
}

// render runs WriteStatus into a string.
func render(t testing.TB, src StatusSource, all bool, name stroke.Str) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteStatus(&b, src, all, true, name); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// pluginList makes plugins without features from their names.
func pluginList(names string) []Plugin {
	var out []Plugin
	for _, n := range strings.Fields(names) {
		out = append(out, Plugin{Name: n})
	}
	return out
}

// capturePlugins are the plugins of the live captures' strongswan.conf.
var capturePlugins = pluginList("charon random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 gmp stroke kernel-libipsec kernel-netlink socket-default updown")

// captureDaemon is a statusall header like the live captures'.
func captureDaemon(started time.Time) DaemonInfo {
	return DaemonInfo{
		Started: started,
		Uname:   &Uname{Sysname: "Linux", Release: "6.18.44-fc-v669", Machine: "x86_64"},
		Memory:  &MemInfo{Sbrk: 2162688, Used: 411152, Free: 1751536},
		Workers: processingStats(16, 7, [4]int{5, 0, 4, 0}),
	}
}

func processingStats(threads, idle int, working [4]int) processing.Stats {
	return processing.Stats{Threads: threads, Idle: idle, Working: working}
}

// connSpec is an ipsec.conf conn as the tests need it; build turns it into
// the configs stroke_config would make of it (the parts status shows).
type connSpec struct {
	name                    string
	version                 config.IKEVersion // 0: IKEv2
	aggressive              bool
	left, right             string
	leftID, rightID         string // "": no identity
	leftAuth, rightAuth     []*config.AuthCfg
	leftSubnet, rightSubnet string // "": dynamic
	mode                    kernel.Mode
	esp                     string
	dpdDelay                uint32
	dpdAction               config.Action
	noRekey                 bool
	ikeRekey, reauthToo     bool // reauth=no (rekey the IKE_SA), or both
	forceEncap              bool
	options                 config.ChildOption
}

// parseSubnet reads "10.1.0.0/16", "10.1.0.0/16[tcp]" or
// "10.2.0.0/16[tcp/http]".
func parseSubnet(t testing.TB, s string) selectors.TS {
	t.Helper()
	if s == "" {
		return selectors.Dynamic(0, 0, 0xffff)
	}
	var proto uint8
	from, to := uint16(0), uint16(0xffff)
	if cidr, pp, ok := strings.Cut(s, "["); ok {
		s = cidr
		pp = strings.TrimSuffix(pp, "]")
		protoName, port, hasPort := strings.Cut(pp, "/")
		p, ok := selectors.ProtocolNumber(protoName)
		if !ok {
			t.Fatalf("protocol %q", protoName)
		}
		proto = p
		if hasPort {
			n, ok := selectors.ServicePort(port, protoName)
			if !ok {
				t.Fatalf("port %q", port)
			}
			from, to = n, n
		}
	}
	ts, err := selectors.ParseCIDR(s, proto, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

func mustProposals(t testing.TB, proto config.Protocol, s string) []*config.Proposal {
	t.Helper()
	ps, err := config.ParseProposals(proto, s)
	if err != nil {
		t.Fatal(err)
	}
	return config.SupportedOnly(ps)
}

// pskAuth is an authby=secret round with an identity ("" for none).
func pskAuth(id string) []*config.AuthCfg {
	a := &config.AuthCfg{Class: config.AuthClassPSK}
	if id != "" {
		a.Identity = credentials.ParseIdentity(id)
	}
	return []*config.AuthCfg{a}
}

// build makes the configs with the live captures' %default: ikelifetime=60m,
// keylife=20m, rekeymargin=3m (rekeyfuzz 100%), reauth=yes.
func (c connSpec) build(t testing.TB) (*config.PeerCfg, *config.ChildCfg) {
	t.Helper()
	version := c.version
	if version == config.IKEAny {
		version = config.IKEv2
	}
	ike := config.NewIKECfg(config.IKECfg{Version: version, CertReq: true, Local: c.left, Remote: c.right,
		LocalPort: 500, RemotePort: 500, ForceEncap: c.forceEncap, Fragmentation: config.FragmentationYes,
		Proposals: mustProposals(t, config.ProtoIKE, "")})
	peer := &config.PeerCfg{Name: c.name, IKE: ike, Unique: config.UniqueNo, KeyingTries: 1,
		ReauthTime: 3600 - 180, JitterTime: 180, OverTime: 180, Aggressive: c.aggressive,
		DPDDelay: c.dpdDelay, LocalAuth: c.leftAuth, RemoteAuth: c.rightAuth}
	if c.noRekey {
		peer.ReauthTime, peer.JitterTime = 0, 0
	}
	if c.ikeRekey {
		peer.RekeyTime = 3600 - 180
		if !c.reauthToo {
			peer.ReauthTime = 0
		}
	}
	if peer.LocalAuth == nil {
		peer.LocalAuth = pskAuth(c.leftID)
	}
	if peer.RemoteAuth == nil {
		peer.RemoteAuth = pskAuth(c.rightID)
	}
	mode := c.mode
	if mode == kernel.ModeNone {
		mode = kernel.ModeTunnel
	}
	lifetime := kernel.Lifetime{Time: kernel.LifetimeLimit{Life: 1200, Rekey: 1200 - 180, Jitter: 180}}
	if c.noRekey {
		lifetime.Time.Rekey, lifetime.Time.Jitter = 0, 0
	}
	child := &config.ChildCfg{Name: c.name, Proposals: mustProposals(t, config.ProtoESP, c.esp),
		LocalTS: []selectors.TS{parseSubnet(t, c.leftSubnet)}, RemoteTS: []selectors.TS{parseSubnet(t, c.rightSubnet)},
		Mode: mode, DPDAction: c.dpdAction, Lifetime: lifetime, ReplayWindow: config.DefaultReplayWindow,
		Options: c.options}
	return peer, child
}
