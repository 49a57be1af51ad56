// Command demo shows goswan at work in under a minute: it builds
// strongSwan's test network (moon and sun as gateways, alice behind moon,
// bob behind sun) out of network namespaces, starts IPsec on both gateways
// with `ipsec start`, brings up the net-net tunnel, pings bob from alice
// through it, prints `ipsec statusall`, waits for the CHILD_SA to be
// rekeyed (its lifetime is 20 s), pings again over the new SA, and tears
// everything down. Nothing leaves the namespaces it creates.
//
//	make demo                        # goswan on both gateways
//	demo --moon goswan --sun strongswan   # against Debian's strongSwan
//
// Needs root, iproute2, util-linux and iputils-ping; for --... strongswan,
// Debian's strongswan package.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
)

const scratchBase = "/var/tmp/goswan-demo"

// The gateways' configuration: a PSK net-to-net tunnel whose CHILD_SA is
// rekeyed after 12 s (lifetime 20 s, margin 8 s, no fuzz).
const ipsecConf = `# /etc/ipsec.conf - %[1]s in goswan's demo
config setup

conn %%default
	ikelifetime=60m
	lifetime=20s
	margintime=8s
	rekeyfuzz=0%%
	keyingtries=1
	keyexchange=ikev2
	authby=secret
	mobike=no

conn net-net
	left=%[2]s
	leftsubnet=%[3]s
	leftid=@%[1]s.strongswan.org
	right=%[4]s
	rightsubnet=%[5]s
	rightid=@%[6]s.strongswan.org
	auto=add
`

const ipsecSecrets = `# /etc/ipsec.secrets - goswan's demo
@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
`

// This kernel may lack ESP, so the data plane is the userspace one; IKE
// and ESP-in-UDP carry mark 0x42 to bypass the routes into its TUN device.
const strongswanConf = `# /etc/strongswan.conf - goswan's demo
starter {
  load_warning = no
}
charon {
  load = random nonce aes sha1 sha2 gmp openssl hmac kdf stroke kernel-libipsec kernel-netlink socket-default updown
  filelog {
    daemon {
      path = /var/log/daemon.log
      time_format = %b %e %T
      default = 1
      flush_line = yes
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
  plugins {
    socket-default {
      fwmark = 0x42
    }
    kernel-netlink {
      fwmark = !0x42
    }
  }
}
`

type demo struct {
	ctx   context.Context
	topo  *topology.Topology
	start time.Time
}

func (d *demo) step(format string, args ...any) {
	fmt.Printf("\n[%5.1fs] == %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

// run runs a command on a host, echoing it and its output.
func (d *demo) run(host, command string, timeout time.Duration) (string, error) {
	fmt.Printf("%s# %s\n", host, command)
	r := d.topo.Host(host).Run(d.ctx, command, timeout)
	out := string(r.Stdout) + string(r.Stderr)
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			fmt.Printf("    %s\n", l)
		}
	}
	if r.Err != nil {
		return out, r.Err
	}
	if r.ExitCode != 0 {
		return out, fmt.Errorf("%s: `%s` exited with %d", host, command, r.ExitCode)
	}
	return out, nil
}

// quiet runs a command without echoing it.
func (d *demo) quiet(host, command string) string {
	r := d.topo.Host(host).Run(d.ctx, command, 10*time.Second)
	return string(r.Stdout)
}

// waitFor polls a command until its output matches re.
func (d *demo) waitFor(host, command string, re *regexp.Regexp, limit time.Duration) (string, error) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if out := d.quiet(host, command); re.MatchString(out) {
			return out, nil
		}
		select {
		case <-d.ctx.Done():
			return "", d.ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return "", fmt.Errorf("%s: `%s` did not show %q within %v", host, command, re, limit)
}

func main() {
	moonImpl := flag.String("moon", "goswan", "implementation on moon: goswan, strongswan or charon (Debian's ipsec with goswan's charon)")
	sunImpl := flag.String("sun", "goswan", "implementation on sun")
	goswanBin := flag.String("goswan-bin", "bin", "directory with goswan's ipsec and charon")
	flag.Parse()
	if err := mainErr(*moonImpl, *sunImpl, *goswanBin); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func mainErr(moonName, sunName, goswanBin string) error {
	if os.Geteuid() != 0 {
		return errors.New("the demo creates network namespaces and needs root (sudo make demo)")
	}
	bin, err := filepath.Abs(goswanBin)
	if err != nil {
		return err
	}
	impls := runner.Implementations(bin)
	pick := func(name string) (runner.Implementation, error) {
		i, err := runner.ParseImpl(name)
		if err != nil {
			return runner.Implementation{}, err
		}
		im := impls[i]
		return im, im.Check()
	}
	moonIm, err := pick(moonName)
	if err != nil {
		return err
	}
	sunIm, err := pick(sunName)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if _, err := topology.CleanupStale(scratchBase, func(f string, a ...any) { fmt.Printf(f+"\n", a...) }); err != nil {
		return err
	}
	scratch, err := topology.MakeScratch(scratchBase, fmt.Sprintf("demo-%d", os.Getpid()))
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)

	d := &demo{ctx: ctx, start: time.Now()}
	gw := func(name string, im runner.Implementation, me, myNet, other, otherNet, otherName string) topology.HostSpec {
		return topology.HostSpec{Name: name, Binds: im.Binds, Env: hostEnv(),
			Etc: []topology.File{
				{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(fmt.Sprintf(ipsecConf, name, me, myNet, other, otherNet, otherName))},
				{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(ipsecSecrets)},
				{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(strongswanConf)},
			}}
	}
	d.step("building the network: moon (%s) and sun (%s), alice behind moon, bob behind sun", moonIm.Name, sunIm.Name)
	d.topo, err = topology.Build(ctx, topology.Config{
		Prefix:  fmt.Sprintf("gsd%x", os.Getpid()&0xffff),
		Scratch: scratch,
		Hosts: []topology.HostSpec{
			gw("moon", moonIm, "192.168.0.1", "10.1.0.0/16", "192.168.0.2", "10.2.0.0/16", "sun"),
			gw("sun", sunIm, "192.168.0.2", "10.2.0.0/16", "192.168.0.1", "10.1.0.0/16", "moon"),
			{Name: "alice", Env: hostEnv()},
			{Name: "bob", Env: hostEnv()},
		},
	})
	if err != nil {
		return err
	}
	defer func() {
		d.step("tearing down")
		for _, h := range []string{"moon", "sun"} {
			_, _ = d.run(h, "ipsec stop", 20*time.Second)
		}
		if err := d.topo.Close(); err != nil {
			fmt.Printf("teardown: %v\n", err)
		}
		fmt.Printf("\ndone in %.1fs\n", time.Since(d.start).Seconds())
	}()

	d.step("starting IPsec on both gateways")
	for _, h := range []string{"moon", "sun"} {
		if _, err := d.run(h, "ipsec start", 20*time.Second); err != nil {
			return err
		}
	}
	loaded := regexp.MustCompile(`net-net:`)
	for _, h := range []string{"moon", "sun"} {
		if _, err := d.waitFor(h, "ipsec statusall 2>/dev/null", loaded, 15*time.Second); err != nil {
			return err
		}
	}

	d.step("bringing up the tunnel from moon")
	if _, err := d.run("moon", "ipsec up net-net", 30*time.Second); err != nil {
		return err
	}

	d.step("alice pings bob through the tunnel")
	if _, err := d.run("alice", "ping -c 3 -i 0.2 -W 2 10.2.0.10", 15*time.Second); err != nil {
		return err
	}
	if _, err := d.run("moon", "ipsec statusall", 10*time.Second); err != nil {
		return err
	}

	d.step("waiting for the CHILD_SA to be rekeyed (lifetime 20s, rekeyed after 12s)")
	rekeyed := regexp.MustCompile(`net-net\{2\}:\s+INSTALLED`)
	if _, err := d.waitFor("moon", "ipsec status 2>/dev/null", rekeyed, 30*time.Second); err != nil {
		d.showLogs()
		return err
	}
	fmt.Println("moon# grep -E 'rekey|CHILD_SA' /var/log/daemon.log")
	for _, l := range strings.Split(d.quiet("moon", "grep -E 'rekey|CHILD_SA' /var/log/daemon.log"), "\n") {
		if l != "" {
			fmt.Printf("    %s\n", l)
		}
	}
	d.step("alice pings bob over the new CHILD_SA")
	if _, err := d.run("alice", "ping -c 3 -i 0.2 -W 2 10.2.0.10", 15*time.Second); err != nil {
		return err
	}
	if _, err := d.run("moon", "ipsec status", 10*time.Second); err != nil {
		return err
	}
	return nil
}

// showLogs prints the end of both gateways' logs after a failure.
func (d *demo) showLogs() {
	for _, h := range []string{"moon", "sun"} {
		fmt.Printf("%s# tail -n 40 /var/log/daemon.log\n", h)
		for _, l := range strings.Split(d.quiet(h, "tail -n 40 /var/log/daemon.log"), "\n") {
			if l != "" {
				fmt.Printf("    %s\n", l)
			}
		}
	}
}

func hostEnv() []string {
	return []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C", "LC_ALL=C", "TERM=dumb",
	}
}
