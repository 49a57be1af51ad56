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
	// Auth is AuthRSA2048 or AuthECDSA256: the kind of every key; a CA is
	// made for the network.
	Auth  string
	Conns int
	// IKE and ESP are ike= and esp= (empty: the defaults).
	IKE, ESP string
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
	certs, err := newPKI(o.Auth, moonNames)
	if err != nil {
		return nil, err
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
		moonConns.WriteString(loadConn(fmt.Sprintf("net-net%d", i+1), Moon, MoonNet, Sun, SunNet, "@"+n+".strongswan.org", "@sun.strongswan.org", n+"Cert.pem"))
	}
	sunConn := loadConn("net-net", Sun, SunNet, Moon, MoonNet, "@sun.strongswan.org", "%any", "sunCert.pem")
	// The certificate plugins, and on sun no cookies or per-IP half-open
	// limit for moon's burst of IKE_SA_INITs from one address, as
	// strongSwan's load-tester documentation advises.
	plugins := strings.Replace(strongswanConf, "load = random nonce", "load = pem pkcs1 x509 random nonce", 1)
	sunConf := strings.Replace(plugins, "charon {\n", "charon {\n  dos_protection = no\n", 1)
	gw := func(name, conf, sconf string, im runner.Implementation, certNames []string) topology.HostSpec {
		etc := []topology.File{
			{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(loadIPsecConf(name, algs) + conf)},
			{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(fmt.Sprintf("# /etc/ipsec.secrets - goswan netnet\n: %s %sKey.pem\n", certs.secretType, name))},
			{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(sconf)},
		}
		etc = append(etc, certs.files(name, certNames)...)
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

// loadIPsecConf is the head of a load network gateway's ipsec.conf.
func loadIPsecConf(name, algs string) string {
	return fmt.Sprintf(`# /etc/ipsec.conf - %s (goswan netnet, load)
config setup

conn %%default
	ikelifetime=60m
	lifetime=1h
	margintime=9m
	keyingtries=1
	keyexchange=ikev2
	mobike=no
%s`, name, algs)
}

// loadConn is one conn of a load network gateway.
func loadConn(conn, me, myNet, other, otherNet, myID, otherID, cert string) string {
	return fmt.Sprintf(`
conn %s
	left=%s
	leftsubnet=%s
	leftid=%s
	leftcert=%s
	right=%s
	rightsubnet=%s
	rightid=%s
	auto=add
`, conn, me, myNet, myID, cert, other, otherNet, otherID)
}

// buildHosts checks the implementations, makes a scratch directory and
// builds the topology of the hosts that specs returns for them. Build does
// the same inline; it is kept apart here while Build's certificate support
// (issue 13) lands, and the two can share it afterwards.
func buildHosts(ctx context.Context, moonImpl, sunImpl, goswanBin string, logf func(string, ...any),
	specs func(moon, sun runner.Implementation) []topology.HostSpec) (*Net, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("network namespaces need root")
	}
	impls := runner.Implementations(goswanBin)
	pick := func(name string) (runner.Implementation, error) {
		i, err := runner.ParseImpl(name)
		if err != nil {
			return runner.Implementation{}, err
		}
		return impls[i], impls[i].Check()
	}
	mi, err := pick(moonImpl)
	if err != nil {
		return nil, err
	}
	si, err := pick(sunImpl)
	if err != nil {
		return nil, err
	}
	return BuildHosts(ctx, logf, specs(mi, si))
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
