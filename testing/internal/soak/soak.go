// Package soak runs two gateways for a long time under packet loss and
// checks that nothing leaks: moon and sun (strongSwan's test addresses, in
// network namespaces built by package topology) with Conns CHILD_SAs whose
// lifetimes spread over MinLife..MaxLife, an IKE_SA that rekeys too, and
// Loss percent of the packets on the internet segment dropped by netem.
// Meanwhile it samples the daemons' memory and the tunnels' traffic; at the
// end, with the loss removed, every tunnel must pass traffic, the kernel's
// XFRM states and policies must be exactly the daemons' (no leaked state,
// none missing, the expected policies and no others), and the Go heap
// (GOSWAN_MEMSTATS) must not have grown. make soak runs it in the kernel
// lane's guest, whose kernel has netem and ESP.
package soak

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/labconf"
	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
)

// Options shape a soak.
type Options struct {
	Left, Right runner.Impl // moon, sun
	GoswanBin   string
	// Userspace selects kernel-libipsec (the scenario lane's data plane);
	// the default is the kernel's ESP (kernel-netlink).
	Userspace bool
	Conns     int           // CHILD_SAs (default 10)
	MinLife   time.Duration // lifetimes from MinLife to MaxLife (10 s, 20 s)
	MaxLife   time.Duration
	IKELife   time.Duration // ikelifetime of c1 minus 3 s, c2 minus 6 s, ... (default 60 s; reauth=no, so rekeys)
	Loss      int           // percent, each way, on the internet segment (default 10)
	Duration  time.Duration // default 30 min
	Sample    time.Duration // sampling interval (default 30 s)
	// Dir receives the report, the daemons' logs and the samples.
	Dir  string
	Logf func(format string, args ...any)
}

func (o *Options) defaults() {
	if o.Conns == 0 {
		o.Conns = 10
	}
	if o.MinLife == 0 {
		o.MinLife = 10 * time.Second
	}
	if o.MaxLife == 0 {
		o.MaxLife = 20 * time.Second
	}
	if o.IKELife == 0 {
		o.IKELife = time.Minute
	}
	if o.Loss == 0 {
		o.Loss = 10
	}
	if o.Duration == 0 {
		o.Duration = 30 * time.Minute
	}
	if o.Sample == 0 {
		o.Sample = 30 * time.Second
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
}

// Report is the outcome of a soak.
type Report struct {
	Pairing    string
	Duration   time.Duration
	Failures   []string
	Notes      []string
	ChildRekey int // "creating rekey job for CHILD_SA" on moon
	IKERekey   int // "rekeyed between" on moon
	Retransmit int // "retransmit" lines on both
	Outages    int // tunnel checks during the run that got no reply
	Checks     int
	Heap, RSS  map[string]Trend // by host
	Text       strings.Builder
}

func (r *Report) fail(format string, args ...any) {
	r.Failures = append(r.Failures, fmt.Sprintf(format, args...))
}

// Passed reports whether the soak found nothing wrong.
func (r *Report) Passed() bool { return len(r.Failures) == 0 }

// String renders the report.
func (r *Report) String() string {
	var b strings.Builder
	verdict := "PASSED"
	if !r.Passed() {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "soak %s: %s after %s\n", r.Pairing, verdict, r.Duration.Round(time.Second))
	fmt.Fprintf(&b, "rekeys on moon: %d CHILD_SA, %d IKE_SA; retransmits: %d; tunnel checks without reply: %d of %d\n",
		r.ChildRekey, r.IKERekey, r.Retransmit, r.Outages, r.Checks)
	for _, h := range []string{"moon", "sun"} {
		if t, ok := r.Heap[h]; ok {
			fmt.Fprintf(&b, "%s Go heap in use: %s\n", h, t)
		}
		if t, ok := r.RSS[h]; ok {
			fmt.Fprintf(&b, "%s charon RSS (reported, not judged): %s\n", h, t)
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	for _, f := range r.Failures {
		fmt.Fprintf(&b, "FAIL: %s\n", f)
	}
	b.WriteString(r.Text.String())
	return b.String()
}

// soak is one running soak.
type soak struct {
	o    Options
	ctx  context.Context
	topo *topology.Topology
	rep  *Report
	rss  map[string][]Sample
	// Subnets of conn i: moon's 10.1.i.0/24, sun's 10.2.i.0/24.
	moonNets, sunNets []string
}

const scratchBase = "/var/tmp/goswan-soak"

// Run performs a soak. The error is for soaks that could not run at all;
// findings are in the Report.
func Run(ctx context.Context, o Options) (*Report, error) {
	o.defaults()
	if o.Conns < 1 || o.Conns > 200 || o.MinLife <= 4*time.Second || o.MaxLife < o.MinLife || o.Loss < 0 || o.Loss > 50 {
		return nil, fmt.Errorf("soak: options out of range: %d conns, lifetimes %v..%v, %d%% loss", o.Conns, o.MinLife, o.MaxLife, o.Loss)
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("soak: network namespaces need root")
	}
	s := &soak{o: o, ctx: ctx, rss: map[string][]Sample{},
		rep: &Report{Pairing: o.Left.Letter() + o.Right.Letter(), Heap: map[string]Trend{}, RSS: map[string]Trend{}}}
	for i := 1; i <= o.Conns; i++ {
		s.moonNets = append(s.moonNets, fmt.Sprintf("10.1.%d.0/24", i))
		s.sunNets = append(s.sunNets, fmt.Sprintf("10.2.%d.0/24", i))
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	if err := s.build(); err != nil {
		return nil, err
	}
	defer func() {
		if err := s.topo.Close(); err != nil {
			s.rep.fail("teardown: %v", err)
		}
	}()
	t0 := time.Now()
	err := s.run()
	s.rep.Duration = time.Since(t0)
	if err != nil {
		s.rep.fail("the soak stopped: %v", err)
	}
	s.collect()
	_ = os.WriteFile(filepath.Join(o.Dir, "report.txt"), []byte(s.rep.String()), 0o644)
	return s.rep, err
}

// build makes the network and configures both gateways.
func (s *soak) build() error {
	impls := runner.Implementations(s.o.GoswanBin)
	var specs []topology.HostSpec
	for _, g := range []struct {
		name string
		impl runner.Impl
	}{{"moon", s.o.Left}, {"sun", s.o.Right}} {
		im := impls[g.impl]
		if err := im.Check(); err != nil {
			return err
		}
		specs = append(specs, topology.HostSpec{Name: g.name, Binds: im.Binds, Env: hostEnv(), Etc: s.etc(g.name)})
	}
	if _, err := topology.CleanupStale(scratchBase, s.o.Logf); err != nil {
		return err
	}
	var rnd [3]byte
	_, _ = rand.Read(rnd[:])
	prefix := fmt.Sprintf("gsk%x", rnd)
	scratch, err := topology.MakeScratch(scratchBase, prefix)
	if err != nil {
		return err
	}
	s.topo, err = topology.Build(s.ctx, topology.Config{Prefix: prefix, Scratch: scratch, Hosts: specs, Logf: s.o.Logf})
	if err != nil {
		os.RemoveAll(scratch)
		return err
	}
	// An address in every conn's subnet on each gateway's inner interface:
	// the tunnels' traffic goes from moon's 10.1.i.1 to sun's 10.2.i.1.
	for _, h := range []string{"moon", "sun"} {
		var b strings.Builder
		for i := 1; i <= s.o.Conns; i++ {
			fmt.Fprintf(&b, "ip addr add %s dev eth1\n", gwAddr(h, i)+"/24")
		}
		if _, err := s.must(h, b.String(), 30*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// gwAddr is gateway h's address in conn i's subnet.
func gwAddr(h string, i int) string {
	if h == "moon" {
		return fmt.Sprintf("10.1.%d.1", i)
	}
	return fmt.Sprintf("10.2.%d.1", i)
}

func hostEnv() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C", "LC_ALL=C", "TERM=dumb",
		// goswan's charon samples its heap here (cmd/charon/memstats.go);
		// strongSwan's ignores it.
		"GOSWAN_MEMSTATS=/var/log/memstats.log",
	}
}

// etc returns a gateway's configuration: conn c1..cN, one CHILD_SA each.
// Each conn has an IKE_SA of its own (their ikelifetimes differ, so
// strongSwan does not merge them into one peer config): ten CHILD_SAs
// rekeying every 5 to 15 s on one IKE_SA would queue their exchanges
// behind each other's retransmits under loss until the IKE_SA's own rekey
// starved and it expired with all of them (both daemons did, in the first
// soaks).
func (s *soak) etc(h string) []topology.File {
	me, other, myNets, otherNets, otherName := "192.168.0.1", "192.168.0.2", s.moonNets, s.sunNets, "sun"
	if h == "sun" {
		me, other, myNets, otherNets, otherName = other, me, s.sunNets, s.moonNets, "moon"
	}
	var c strings.Builder
	fmt.Fprintf(&c, `# /etc/ipsec.conf - %s in the soak (testing/internal/soak)
config setup

conn %%default
	keyexchange=ikev2
	authby=secret
	mobike=no
	keyingtries=%%forever
	reauth=no
	left=%s
	right=%s
`, h, me, other)
	if h == "moon" {
		// moon rekeys: lifetimes spread over MinLife..MaxLife, rekeyed 4
		// to 5 s before they expire (room for three retransmits); sun
		// keeps strongSwan's defaults (3 h, 1 h, margins of 9 min), so
		// there are no collisions.
		c.WriteString("\tmargintime=4s\n\trekeyfuzz=25%\n")
	}
	for i := 1; i <= s.o.Conns; i++ {
		// IDs of the conn's own: the responder picks the peer config by
		// the IDs, and conns that differ only in their subnets would all
		// meet the first one (TS_UNACCEPTABLE).
		fmt.Fprintf(&c, "\nconn c%d\n\tleftid=@c%d.%s.strongswan.org\n\trightid=@c%d.%s.strongswan.org\n", i, i, h, i, otherName)
		// moon routes its conns (and brings them up with ipsec up): an
		// IKE_SA that reaches its hard lifetime because its rekey waited
		// behind retransmitting CHILD_SA rekeys is deleted without being set
		// up again, by charon as by goswan, and only the trap brings the
		// tunnel back at its next packet (testing/vm/FINDINGS.md 4).
		auto := "add"
		if h == "moon" {
			auto = "route"
		}
		fmt.Fprintf(&c, "\tleftsubnet=%s\n\trightsubnet=%s\n\tauto=%s\n", myNets[i-1], otherNets[i-1], auto)
		if h == "moon" {
			// Staggered, so that the IKE rekeys do not come all at once.
			fmt.Fprintf(&c, "\tikelifetime=%ds\n", int(s.o.IKELife.Seconds())+3*i)
			life := s.o.MinLife
			if s.o.Conns > 1 {
				life += (s.o.MaxLife - s.o.MinLife) * time.Duration(i-1) / time.Duration(s.o.Conns-1)
			}
			fmt.Fprintf(&c, "\tlifetime=%ds\n", int(life.Seconds()))
		}
	}
	return []topology.File{
		{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(c.String())},
		// One key for every pair of the conns' IDs.
		{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(": PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n")},
		{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(strongswanConf(h, s.o.Userspace))},
	}
}

// strongswanConf is gateway h's strongswan.conf; userspace selects the
// userspace data plane.
func strongswanConf(h string, userspace bool) string {
	load := "random nonce aes sha1 sha2 gmp openssl hmac kdf stroke kernel-netlink socket-default updown"
	if userspace {
		load = strings.Replace(load, "kernel-netlink", "kernel-libipsec kernel-netlink", 1)
	}
	return labconf.StrongswanConf{
		Title:   h + " in the soak",
		Starter: true,
		Load:    load,
		Charon: []string{
			"# under loss: six retransmits from 1 s, three of them within the 4 s",
			"# between a CHILD_SA's rekey and its expiry, about 17 s in all",
			"retransmit_tries = 6",
			"retransmit_timeout = 1.0",
			"retransmit_base = 1.4",
		},
		Userspace: userspace,
	}.String()
}

// sh runs a command on a gateway and returns its stdout.
func (s *soak) sh(h, cmd string, timeout time.Duration) (string, int) {
	r := s.topo.Host(h).Run(s.ctx, cmd, timeout)
	if r.Err != nil {
		return string(r.Stdout) + string(r.Stderr), -1
	}
	return string(r.Stdout), r.ExitCode
}

// must runs a command that has to succeed.
func (s *soak) must(h, cmd string, timeout time.Duration) (string, error) {
	out, rc := s.sh(h, cmd, timeout)
	if rc != 0 {
		return out, fmt.Errorf("%s# %s: exit %d: %s", h, cmd, rc, strings.TrimSpace(out))
	}
	return out, nil
}

func (s *soak) logf(format string, args ...any) {
	line := fmt.Sprintf("%s %s", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	s.o.Logf("soak %s: %s", s.rep.Pairing, line)
	s.rep.Text.WriteString(line + "\n")
}

// run starts the daemons and the tunnels, soaks, and checks.
func (s *soak) run() error {
	for _, h := range []string{"moon", "sun"} {
		if _, err := s.must(h, "ipsec start", 30*time.Second); err != nil {
			return err
		}
	}
	last := fmt.Sprintf("c%d:", s.o.Conns)
	for _, h := range []string{"moon", "sun"} {
		if err := s.waitFor(h, "ipsec statusall 2>/dev/null", last, 30*time.Second); err != nil {
			return err
		}
	}
	for i := 1; i <= s.o.Conns; i++ {
		if out, err := s.must("moon", fmt.Sprintf("ipsec up c%d", i), 60*time.Second); err != nil || !strings.Contains(out, "established successfully") {
			return fmt.Errorf("moon: ipsec up c%d: %v\n%s", i, err, out)
		}
	}
	if bad := s.traffic(); len(bad) > 0 {
		return fmt.Errorf("tunnels %v pass no traffic before the soak", bad)
	}
	s.logf("%d tunnels up; %d%% loss on the internet segment for %v", s.o.Conns, s.o.Loss, s.o.Duration)
	for _, h := range []string{"moon", "sun"} {
		if _, err := s.must(h, fmt.Sprintf("tc qdisc add dev eth0 root netem loss %d%%", s.o.Loss), 10*time.Second); err != nil {
			return fmt.Errorf("netem (the kernel needs sch_netem): %w", err)
		}
	}
	end := time.Now().Add(s.o.Duration)
	tick := time.NewTicker(s.o.Sample)
	defer tick.Stop()
	for time.Now().Before(end) {
		s.sampleRSS()
		s.rep.Checks++
		if bad := s.traffic(); len(bad) > 0 {
			s.rep.Outages++
			s.logf("no reply through tunnels %v", bad)
		}
		select {
		case <-s.ctx.Done():
			return s.ctx.Err()
		case <-tick.C:
		}
	}
	for _, h := range []string{"moon", "sun"} {
		_, _ = s.sh(h, "tc qdisc del dev eth0 root", 10*time.Second)
	}
	s.logf("loss removed; letting retransmits and delayed deletes finish")
	s.sleep(20 * time.Second)
	s.final()
	return nil
}

func (s *soak) sleep(d time.Duration) {
	select {
	case <-s.ctx.Done():
	case <-time.After(d):
	}
}

func (s *soak) waitFor(h, cmd, want string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		out, _ := s.sh(h, cmd, 10*time.Second)
		if strings.Contains(out, want) {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: %q did not show %q within %v", h, cmd, want, limit)
		}
		s.sleep(250 * time.Millisecond)
	}
}

// traffic pings through every tunnel (three tries each) and returns the
// conns that got no reply.
func (s *soak) traffic() []int {
	var b strings.Builder
	for i := 1; i <= s.o.Conns; i++ {
		fmt.Fprintf(&b, "(ping -n -q -c 3 -i 0.3 -W 1 -I %s %s >/dev/null 2>&1 || echo %d) &\n", gwAddr("moon", i), gwAddr("sun", i), i)
	}
	b.WriteString("wait\n")
	out, _ := s.sh("moon", b.String(), 30*time.Second)
	var bad []int
	for _, f := range strings.Fields(out) {
		var n int
		if _, err := fmt.Sscan(f, &n); err == nil {
			bad = append(bad, n)
		}
	}
	return bad
}

// sampleRSS records each charon's resident memory.
func (s *soak) sampleRSS() {
	for _, h := range []string{"moon", "sun"} {
		out, rc := s.sh(h, "cat /proc/$(cat /var/run/charon.pid)/status", 10*time.Second)
		if kb, ok := rssKB(out); ok && rc == 0 {
			s.rss[h] = append(s.rss[h], Sample{At: time.Now(), Value: float64(kb) * 1024})
		}
	}
}

var installedChild = regexp.MustCompile(`(?m)^\s*c\d+\{\d+\}:\s+INSTALLED`)

// final checks traffic, kernel state against the daemons' and the
// policies, then stops the daemons and checks that they cleaned up.
func (s *soak) final() {
	var bad []int
	for try := 0; try < 3; try++ {
		if bad = s.traffic(); len(bad) == 0 {
			break
		}
		s.sleep(5 * time.Second)
	}
	if len(bad) > 0 {
		s.rep.fail("after the soak, tunnels %v pass no traffic", bad)
	}
	for _, h := range []string{"moon", "sun"} {
		local, remote := s.moonNets, s.sunNets
		if h == "sun" {
			local, remote = remote, local
		}
		// The kernel first, then the daemon, and the other way round at
		// the end: every state of the first kernel snapshot was installed
		// before the first status, so it is listed there unless it was
		// already rekeyed, and then its inbound half goes within
		// delete_rekeyed_delay (5 s), well before the second kernel
		// snapshot. (Status first let a CHILD_SA installed between the
		// two and rekeyed 13 s later, inbound kept 5 s more, look leaked.)
		kA, _ := s.sh(h, "ip xfrm state", 10*time.Second)
		stA, _ := s.sh(h, "ipsec statusall 2>/dev/null", 20*time.Second)
		pol, _ := s.sh(h, "ip xfrm policy", 10*time.Second)
		s.sleep(15 * time.Second)
		stB, _ := s.sh(h, "ipsec statusall 2>/dev/null", 20*time.Second)
		kB, _ := s.sh(h, "ip xfrm state", 10*time.Second)
		leaked, missing := leakedStates(xfrmStates(kA), statusSPIs(stA), xfrmStates(kB), statusSPIs(stB))
		if len(leaked) > 0 {
			s.rep.fail("%s: XFRM states no CHILD_SA owns (leaked): %v", h, leaked)
		}
		if len(missing) > 0 {
			s.rep.fail("%s: CHILD_SAs whose SPIs the kernel lacks: %v", h, missing)
		}
		extra, lacking := comparePolicies(xfrmPolicies(pol), expectedPolicies(local, remote))
		if len(extra) > 0 {
			s.rep.fail("%s: unexpected (leaked or duplicate) policies: %v", h, extra)
		}
		if len(lacking) > 0 {
			s.rep.fail("%s: missing policies: %v", h, lacking)
		}
		if n := len(installedChild.FindAllString(stB, -1)); n != s.o.Conns {
			s.rep.fail("%s: %d CHILD_SAs installed, want %d", h, n, s.o.Conns)
		}
		s.logf("%s: %d XFRM states, %d policies, %d CHILD_SAs installed", h, len(xfrmStates(kB)), len(xfrmPolicies(pol)), len(installedChild.FindAllString(stB, -1)))
		_ = os.WriteFile(filepath.Join(s.o.Dir, h+".statusall"), []byte(stB), 0o644)
		_ = os.WriteFile(filepath.Join(s.o.Dir, h+".ip.state"), []byte(kB), 0o644)
		_ = os.WriteFile(filepath.Join(s.o.Dir, h+".ip.policy"), []byte(pol), 0o644)
	}
	for _, h := range []string{"moon", "sun"} {
		_, _ = s.sh(h, "ipsec stop", 30*time.Second)
	}
	for _, h := range []string{"moon", "sun"} {
		if st, _ := s.sh(h, "ip xfrm state", 10*time.Second); len(xfrmStates(st)) > 0 {
			s.rep.fail("%s: XFRM states left after ipsec stop: %v", h, keys(xfrmStates(st)))
		}
		if pol, _ := s.sh(h, "ip xfrm policy", 10*time.Second); strings.TrimSpace(pol) != "" {
			s.rep.fail("%s: XFRM policies left after ipsec stop: %d", h, len(xfrmPolicies(pol)))
		}
	}
}

// collect judges the memory samples and copies the daemons' logs.
func (s *soak) collect() {
	for _, h := range []string{"moon", "sun"} {
		logs, _ := s.sh(h, "cat /var/log/daemon.log", 30*time.Second)
		_ = os.WriteFile(filepath.Join(s.o.Dir, h+".daemon.log"), []byte(logs), 0o644)
		if h == "moon" {
			s.rep.ChildRekey = countLines(logs, "creating rekey job for CHILD_SA")
			s.rep.IKERekey = countLines(logs, "rekeyed between")
		}
		s.rep.Retransmit += countLines(logs, "] retransmit ")
		s.rep.RSS[h] = trend(s.rss[h], 0.25, 4<<20)
		var rss strings.Builder
		for _, x := range s.rss[h] {
			fmt.Fprintf(&rss, "%d %.0f\n", x.At.Unix(), x.Value)
		}
		_ = os.WriteFile(filepath.Join(s.o.Dir, h+".rss"), []byte(rss.String()), 0o644)
		impl := s.o.Left
		if h == "sun" {
			impl = s.o.Right
		}
		if impl == runner.StrongSwan {
			continue
		}
		mem, _ := s.sh(h, "cat /var/log/memstats.log", 10*time.Second)
		_ = os.WriteFile(filepath.Join(s.o.Dir, h+".memstats"), []byte(mem), 0o644)
		ms := memSamples(mem)
		t := trend(ms, 0.25, 1<<20)
		s.rep.Heap[h] = t
		switch {
		case !t.Judged:
			s.rep.Notes = append(s.rep.Notes, fmt.Sprintf("%s: %d heap samples, too few to judge growth", h, len(ms)))
		case t.Grew:
			s.rep.fail("%s: goswan's heap grew: %s", h, t)
		}
		if n := len(ms); n > 0 {
			s.rep.Notes = append(s.rep.Notes, fmt.Sprintf("%s: goroutines first %d, last %d", h, ms[0].Goroutines, ms[n-1].Goroutines))
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
