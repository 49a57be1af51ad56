// Package netnet sets up strongSwan's moon/sun net-to-net case in network
// namespaces — moon and sun as gateways, alice behind moon, bob behind
// sun — with a chosen IPsec implementation on each gateway, for the demo
// and the throughput benchmark. It builds on the scenario runner's
// topology package, so the same safety rules hold: nothing of it exists
// in the root namespace and Close removes everything.
package netnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/goswan/goswan/testing/internal/labconf"
	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
	"github.com/goswan/goswan/testing/testenv"
)

// Addresses of strongSwan's test network.
const (
	Moon, Sun   = "192.168.0.1", "192.168.0.2"
	Alice, Bob  = "10.1.0.10", "10.2.0.10"
	MoonNet     = "10.1.0.0/16"
	SunNet      = "10.2.0.0/16"
	scratchBase = "/var/tmp/goswan-netnet"
)

// Options shape the net-net connection.
type Options struct {
	// Rekey holds, per gateway ("moon", "sun"), the lines of its conn
	// %default that set the CHILD_SA's lifetime (e.g. "lifetime=10s",
	// "margintime=5s", "rekeyfuzz=0%"); a gateway without any keeps
	// strongSwan's defaults (1h, 9m, 100%).
	Rekey map[string][]string
	// IKE and ESP are ike= and esp= (empty: the defaults).
	IKE, ESP string
	// Plugins are loaded by charon in addition to the usual list (e.g.
	// "xcbc ccm" for algorithms openssl does not provide).
	Plugins string
	// Logf receives progress lines.
	Logf func(format string, args ...any)
	// Certs, if set, makes the gateways authenticate with certificates
	// (strongSwan's net2net-cert) instead of the PSK.
	Certs *Certs
}

// Certs are the credentials of a net2net-cert setup: the CA certificate
// both trust, and per gateway ("moon", "sun") its certificate and its key
// as PEM, with the ipsec.secrets keyword for the key (RSA, ECDSA or
// PKCS8).
type Certs struct {
	CA      []byte
	Cert    map[string][]byte
	Key     map[string][]byte
	KeyType string
	// Common are more files both gateways get below /etc (e.g.
	// "ipsec.d/crls/crl.pem"), and ExtraConf is appended to both
	// ipsec.conf files.
	Common    map[string][]byte
	ExtraConf string
	// Charon holds strongswan.conf lines for the charon section of the
	// named gateways ("moon", "sun").
	Charon map[string]string
}

// Net is a built network with IPsec configured on both gateways.
type Net struct {
	ctx     context.Context
	Topo    *topology.Topology
	scratch string
	// Echo, if set, receives every command run through Run and its
	// output, for a person to follow.
	Echo func(host, command, output string)
	// echoMu keeps Echo's calls apart when Close stops both gateways at
	// once.
	echoMu sync.Mutex
}

const ipsecConf = `# /etc/ipsec.conf - %[1]s (goswan netnet)
config setup

conn %%default
	ikelifetime=60m
	keyingtries=1
	keyexchange=ikev2
	authby=secret
	mobike=no
%[7]s
conn net-net
	left=%[2]s
	leftsubnet=%[3]s
	leftid=@%[1]s.strongswan.org
	right=%[4]s
	rightsubnet=%[5]s
	rightid=@%[6]s.strongswan.org
	auto=add
`

const ipsecSecrets = `# /etc/ipsec.secrets - goswan netnet
@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
`

// strongswanConf is a gateway's strongswan.conf, loading plugins beyond
// the usual ones. The kernel may lack ESP, so the data plane is the
// userspace one.
func strongswanConf(plugins string) string {
	return labconf.StrongswanConf{
		Title:     "goswan netnet",
		Starter:   true,
		Load:      "random nonce aes sha1 sha2 gmp openssl hmac kdf " + plugins + " stroke kernel-libipsec kernel-netlink socket-default updown",
		Userspace: true,
	}.String()
}

// HostEnv is the environment of every command run in a host: a plain
// root shell's, and the developer's profiling knobs passed through.
func HostEnv() []string { return hostEnv() }

func hostEnv() []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C", "LC_ALL=C", "TERM=dumb",
	}
	// Profiling goswan's daemons in a benchmark (see BENCHMARKS.md).
	for _, k := range []string{"GOSWAN_CPUPROFILE", "GOSWAN_STARTER_CPUPROFILE", "GOSWAN_DEBUG_DIR"} {
		if p := os.Getenv(k); p != "" {
			env = append(env, k+"="+p)
		}
	}
	return env
}

// Build creates the network with moonImpl on moon and sunImpl on sun
// ("goswan", "strongswan" or "charon"); goswanBin holds goswan's binaries.
// IPsec is configured but not started.
func Build(ctx context.Context, moonImpl, sunImpl, goswanBin string, o Options) (*Net, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("network namespaces need root")
	}
	for _, c := range []string{"ip", "nsenter", "unshare"} {
		if _, err := testenv.LookCommand(c); err != nil {
			return nil, err
		}
	}
	gw := func(name string, im runner.Implementation, me, myNet, other, otherNet, otherName string) topology.HostSpec {
		var lines string
		for _, l := range o.Rekey[name] {
			lines += "\t" + l + "\n"
		}
		if o.IKE != "" {
			lines += "\tike=" + o.IKE + "\n"
		}
		if o.ESP != "" {
			lines += "\tesp=" + o.ESP + "\n"
		}
		conf := fmt.Sprintf(ipsecConf, name, me, myNet, other, otherNet, otherName, lines)
		secrets, sconf := ipsecSecrets, strongswanConf(o.Plugins)
		var extra []topology.File
		if c := o.Certs; c != nil {
			conf = strings.Replace(conf, "\tauthby=secret\n", "", 1)
			conf = strings.Replace(conf, "\tleftid=", "\tleftcert="+name+"Cert.pem\n\tleftid=", 1)
			secrets = fmt.Sprintf("# /etc/ipsec.secrets - goswan netnet\n: %s %sKey.pem\n", c.KeyType, name)
			sconf = strings.Replace(sconf, "load = random nonce", "load = pem pkcs1 pkcs8 x509 revocation constraints random nonce", 1)
			if extra := c.Charon[name]; extra != "" {
				sconf = strings.Replace(sconf, "charon {\n", "charon {\n  "+extra+"\n", 1)
			}
			extra = []topology.File{
				{Rel: "ipsec.d/cacerts/caCert.pem", Mode: 0o644, Data: c.CA},
				{Rel: "ipsec.d/certs/" + name + "Cert.pem", Mode: 0o644, Data: c.Cert[name]},
				{Rel: "ipsec.d/private/" + name + "Key.pem", Mode: 0o600, Data: c.Key[name]},
			}
			for rel, data := range c.Common {
				extra = append(extra, topology.File{Rel: rel, Mode: 0o644, Data: data})
			}
			conf += c.ExtraConf
		}
		return topology.HostSpec{Name: name, Binds: im.Binds, Env: hostEnv(),
			Etc: append([]topology.File{
				{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(conf)},
				{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(secrets)},
				{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(sconf)},
			}, extra...)}
	}
	return buildHosts(ctx, moonImpl, sunImpl, goswanBin, o.Logf, func(mi, si runner.Implementation) []topology.HostSpec {
		return []topology.HostSpec{
			gw("moon", mi, Moon, MoonNet, Sun, SunNet, "sun"),
			gw("sun", si, Sun, SunNet, Moon, MoonNet, "moon"),
			{Name: "alice", Env: hostEnv()},
			{Name: "bob", Env: hostEnv()},
		}
	})
}

// Run runs a shell command on a host and returns its output (stdout and
// stderr); a non-zero exit is an error.
func (n *Net) Run(host, command string, timeout time.Duration) (string, error) {
	r := n.Topo.Host(host).Run(n.ctx, command, timeout)
	out := string(r.Stdout) + string(r.Stderr)
	if n.Echo != nil {
		n.echoMu.Lock()
		n.Echo(host, command, out)
		n.echoMu.Unlock()
	}
	if r.Err != nil {
		return out, r.Err
	}
	if r.ExitCode != 0 {
		return out, fmt.Errorf("%s: `%s` exited with %d", host, command, r.ExitCode)
	}
	return out, nil
}

// Quiet runs a command without echoing it and returns its stdout.
func (n *Net) Quiet(host, command string) string {
	r := n.Topo.Host(host).Run(n.ctx, command, 10*time.Second)
	return string(r.Stdout)
}

// WaitFor polls a command until its output matches re.
func (n *Net) WaitFor(host, command string, re *regexp.Regexp, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if out := n.Quiet(host, command); re.MatchString(out) {
			return out, nil
		}
		select {
		case <-n.ctx.Done():
			return "", n.ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s: `%s` did not show %q within %v", host, command, re, limit)
}

// Start runs `ipsec start` on both gateways and waits until both have
// loaded the connection.
func (n *Net) Start() error {
	for _, h := range []string{"moon", "sun"} {
		if _, err := n.Run(h, "ipsec start", 20*time.Second); err != nil {
			return err
		}
	}
	for _, h := range []string{"moon", "sun"} {
		if _, err := n.WaitFor(h, "ipsec statusall 2>/dev/null", regexp.MustCompile(`net-net:`), 15*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// Up brings the tunnel up from moon.
func (n *Net) Up() error {
	out, err := n.Run("moon", "ipsec up net-net", 30*time.Second)
	if err == nil && !strings.Contains(out, "established successfully") {
		err = errors.New("moon: ipsec up net-net did not establish the connection")
	}
	return err
}

// Logs returns the end of a gateway's daemon log.
func (n *Net) Logs(host string, lines int) string {
	return n.Quiet(host, fmt.Sprintf("tail -n %d /var/log/daemon.log", lines))
}

// Close stops IPsec on both gateways and removes the network.
func (n *Net) Close() error {
	// Both at once: each `ipsec stop` takes 1.3 to 2 s (the stop script
	// and starter poll), most of an interop test's time when run in turn.
	var wg sync.WaitGroup
	for _, h := range []string{"moon", "sun"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = n.Run(h, "ipsec stop", 20*time.Second)
		}()
	}
	wg.Wait()
	err := n.Topo.Close()
	os.RemoveAll(n.scratch)
	return err
}
