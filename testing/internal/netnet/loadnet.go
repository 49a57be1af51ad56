package netnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
)

// LoadOptions shape a load network: moon with Conns net-net conns to sun,
// each with its own identity (moon1.strongswan.org …) and certificate, so
// that each is its own peer config and IKE_SA (stroke merges conns that
// differ only in name); sun accepts them all with one conn (rightid=%any).
type LoadOptions struct {
	// Auth is AuthPSK (one pre-shared key for every identity) or
	// AuthRSA2048 or AuthECDSA256: the kind of every key, with a CA made
	// for the network.
	Auth  string
	Conns int
	// IKE and ESP are ike= and esp= (empty: the defaults).
	IKE, ESP string
	// Lifetime and Margin are the CHILD_SAs' lifetime= and margintime=
	// (default 1h and 9m); RekeyFuzz their rekeyfuzz= (default 100%).
	Lifetime, Margin, RekeyFuzz string
	// InitiatorOnly gives Lifetime, Margin and RekeyFuzz to moon alone
	// (sun keeps the defaults), so that only moon rekeys.
	InitiatorOnly bool
	// Probe adds a conn "probe" to moon (identity probe.strongswan.org,
	// PSK only): an unrelated conn to bring up while the others are busy.
	Probe bool
	// Logf receives progress lines.
	Logf func(format string, args ...any)
}

// BuildLoad creates a load network (see LoadOptions) with moonImpl on moon
// and sunImpl on sun. IPsec is configured but not started; moon's conns are
// auto=add, named net-net1 … net-net<Conns>.
func BuildLoad(ctx context.Context, moonImpl, sunImpl, goswanBin string, o LoadOptions) (*Net, error) {
	if o.Conns < 1 {
		return nil, errors.New("netnet: a load network needs at least one conn")
	}
	var moonNames []string
	for i := 1; i <= o.Conns; i++ {
		moonNames = append(moonNames, fmt.Sprintf("moon%d", i))
	}
	psk := o.Auth == AuthPSK
	certs := &pki{}
	if !psk {
		var err error
		if certs, err = newPKI(o.Auth, moonNames); err != nil {
			return nil, err
		}
	}
	certFor := func(name string) string {
		if psk {
			return ""
		}
		return name + "Cert.pem"
	}
	var algs string
	if o.IKE != "" {
		algs += "\tike=" + o.IKE + "\n"
	}
	if o.ESP != "" {
		algs += "\tesp=" + o.ESP + "\n"
	}
	var moonConns strings.Builder
	for i, n := range moonNames {
		moonConns.WriteString(loadConn(fmt.Sprintf("net-net%d", i+1), "@"+n+".strongswan.org", certFor(n)))
	}
	if o.Probe && psk {
		moonConns.WriteString(loadConn("probe", "@probe.strongswan.org", ""))
	}
	sunConn := loadConn("net-net", "@sun.strongswan.org", certFor("sun"))
	ends := map[string]string{
		"moon": loadEnds(Moon, MoonNet, Sun, SunNet, "@sun.strongswan.org"),
		"sun":  loadEnds(Sun, SunNet, Moon, MoonNet, "%any"),
	}
	// The certificate plugins, and on sun no cookies or per-IP half-open
	// limit for moon's burst of IKE_SA_INITs from one address, as
	// strongSwan's load-tester documentation advises.
	plugins, sunConf := loadStrongswanConf()
	confOpts := func(name string) LoadOptions {
		if name == "sun" && o.InitiatorOnly {
			r := o
			r.Lifetime, r.Margin, r.RekeyFuzz = "", "", ""
			return r
		}
		return o
	}
	gw := func(name, conf, sconf string, im runner.Implementation, certNames []string) topology.HostSpec {
		secrets := fmt.Sprintf("# /etc/ipsec.secrets - goswan netnet\n: %s %sKey.pem\n", certs.secretType, name)
		if psk {
			secrets = "# /etc/ipsec.secrets - goswan netnet\n: PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL\n"
		}
		etc := []topology.File{
			{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(loadIPsecConf(name, algs+ends[name], confOpts(name)) + conf)},
			{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(secrets)},
			{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(sconf)},
		}
		if !psk {
			etc = append(etc, certs.files(name, certNames)...)
		}
		return topology.HostSpec{Name: name, Binds: im.Binds, Env: hostEnv(), Etc: etc}
	}
	return buildHosts(ctx, moonImpl, sunImpl, goswanBin, o.Logf, func(mi, si runner.Implementation) []topology.HostSpec {
		return []topology.HostSpec{
			gw("moon", moonConns.String(), plugins, mi, moonNames),
			gw("sun", sunConn, sunConf, si, []string{"sun"}),
			{Name: "alice", Env: hostEnv()},
			{Name: "bob", Env: hostEnv()},
		}
	})
}

// loadStrongswanConf is moon's and sun's strongswan.conf in a load
// network.
func loadStrongswanConf() (moon, sun string) {
	moon = strings.Replace(strongswanConf(""), "load = random nonce", "load = pem pkcs1 x509 random nonce", 1)
	return moon, strings.Replace(moon, "charon {\n", "charon {\n  dos_protection = no\n", 1)
}

// loadIPsecConf is the head of a load network gateway's ipsec.conf.
func loadIPsecConf(name, algs string, o LoadOptions) string {
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	auth := ""
	if o.Auth == AuthPSK {
		auth = "\tauthby=secret\n"
	}
	return fmt.Sprintf(`# /etc/ipsec.conf - %s (goswan netnet, load)
config setup

conn %%default
	ikelifetime=60m
	lifetime=%s
	margintime=%s
	rekeyfuzz=%s
	keyingtries=1
	keyexchange=ikev2
	mobike=no
%s%s`, name, def(o.Lifetime, "1h"), def(o.Margin, "9m"), def(o.RekeyFuzz, "100%"), auth, algs)
}

// loadEnds is what every conn of a load network gateway shares, in its
// %default: both ends but our identity. A conn repeating them made 100 000
// conns a 17 MB ipsec.conf, past what the parsers read.
func loadEnds(me, myNet, other, otherNet, otherID string) string {
	return fmt.Sprintf("\tleft=%s\n\tleftsubnet=%s\n\tright=%s\n\trightsubnet=%s\n\trightid=%s\n\tauto=add\n",
		me, myNet, other, otherNet, otherID)
}

// loadConn is one conn of a load network gateway (cert empty: PSK): its
// identity, and its certificate.
func loadConn(conn, myID, cert string) string {
	if cert != "" {
		cert = "\tleftcert=" + cert + "\n"
	}
	return fmt.Sprintf("\nconn %s\n\tleftid=%s\n%s", conn, myID, cert)
}

// buildHosts checks the implementations, makes a scratch directory and
// builds the topology of the hosts that specs returns for them (Build's
// and BuildLoad's).
func buildHosts(ctx context.Context, moonImpl, sunImpl, goswanBin string, logf func(string, ...any),
	specs func(moon, sun runner.Implementation) []topology.HostSpec) (*Net, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("network namespaces need root")
	}
	picked, err := runner.Pick(goswanBin, moonImpl, sunImpl)
	if err != nil {
		return nil, err
	}
	return BuildHosts(ctx, logf, specs(picked[0], picked[1]))
}

// BuildHosts builds a network of the given hosts in a scratch directory
// of its own: any hosts of strongSwan's topology, each running what its
// spec's binds and files say (runner.Implementations gives the binds).
// IPsec is configured but not started. Close removes it all.
func BuildHosts(ctx context.Context, logf func(string, ...any), specs []topology.HostSpec) (*Net, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("network namespaces need root")
	}
	if logf == nil {
		logf = func(string, ...any) {}
	}
	if _, err := topology.CleanupStale(scratchBase, logf); err != nil {
		return nil, err
	}
	scratch, err := topology.MakeScratch(scratchBase, fmt.Sprintf("netnet-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6))
	if err != nil {
		return nil, err
	}
	topo, err := topology.Build(ctx, topology.Config{
		Prefix:  fmt.Sprintf("gsn%x", (os.Getpid()+int(time.Now().UnixNano()))&0xffff),
		Scratch: scratch,
		Logf:    logf,
		Hosts:   specs,
	})
	if err != nil {
		os.RemoveAll(scratch)
		return nil, err
	}
	return &Net{ctx: ctx, Topo: topo, scratch: scratch}, nil
}
