// Command demo shows goswan at work in under a minute: it builds
// strongSwan's test network (moon and sun as gateways, alice behind moon,
// bob behind sun) out of network namespaces, starts IPsec on both gateways
// with `ipsec start`, brings up the net-net tunnel, pings bob from alice
// through it, prints `ipsec statusall` of both gateways, waits for moon to
// rekey the CHILD_SA, pings again over the new SA, and tears everything
// down. Nothing leaves the namespaces it creates.
//
// The lifetimes are those of strongSwan's ikev2/net2net-rekey scenario
// (seeds/000): moon has lifetime=10s, margintime=5s and rekeyfuzz=0%, so it
// rekeys 5 s after the CHILD_SA is up; sun has keylife=20m, so only moon
// rekeys and no two rekeys can collide.
//
//	make demo                               # goswan on both gateways
//	make demo DEMO_ARGS="--sun strongswan"  # against Debian's strongSwan
//
// Needs root, iproute2, util-linux and iputils-ping (testing/fresh/
// packages.txt); for strongswan, Debian's strongswan package.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/goswan/goswan/testing/internal/netnet"
	"github.com/goswan/goswan/testing/testenv"
)

type demo struct {
	net   *netnet.Net
	start time.Time
}

func (d *demo) step(format string, args ...any) {
	fmt.Printf("\n[%5.1fs] == %s\n", time.Since(d.start).Seconds(), fmt.Sprintf(format, args...))
}

func echo(host, command, out string) {
	fmt.Printf("%s# %s\n", host, command)
	printIndented(out)
}

func printIndented(out string) {
	for _, l := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if l != "" {
			fmt.Printf("    %s\n", l)
		}
	}
}

func main() {
	moon := flag.String("moon", "goswan", "implementation on moon: goswan, strongswan or charon (Debian's ipsec with goswan's charon)")
	sun := flag.String("sun", "goswan", "implementation on sun")
	goswanBin := flag.String("goswan-bin", "bin", "directory with goswan's ipsec and charon")
	flag.Parse()
	if err := run(*moon, *sun, *goswanBin); err != nil {
		fmt.Fprintf(os.Stderr, "\ndemo failed: %v\n", err)
		os.Exit(1)
	}
}

func run(moon, sun, goswanBin string) (err error) {
	bin, err := filepath.Abs(goswanBin)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	if _, err := testenv.LookCommand("ping"); err != nil {
		return err
	}
	d := &demo{start: time.Now()}
	d.step("building the network: moon (%s) and sun (%s), alice behind moon, bob behind sun", moon, sun)
	d.net, err = netnet.Build(ctx, moon, sun, bin, netnet.Options{Rekey: map[string][]string{
		"moon": {"lifetime=10s", "margintime=5s", "rekeyfuzz=0%"},
		"sun":  {"keylife=20m", "rekeymargin=3m"},
	}})
	if err != nil {
		return err
	}
	d.net.Echo = echo
	defer func() {
		if err != nil {
			for _, h := range []string{"moon", "sun"} {
				fmt.Printf("%s# tail -n 40 /var/log/daemon.log\n", h)
				printIndented(d.net.Logs(h, 40))
			}
		}
		d.step("tearing down")
		if cerr := d.net.Close(); cerr != nil {
			fmt.Printf("teardown: %v\n", cerr)
		}
		fmt.Printf("\ndone in %.1fs\n", time.Since(d.start).Seconds())
	}()

	d.step("starting IPsec on both gateways")
	if err := d.net.Start(); err != nil {
		return err
	}
	d.step("bringing up the tunnel from moon")
	if err := d.net.Up(); err != nil {
		return err
	}
	d.step("alice pings bob through the tunnel")
	if _, err := d.net.Run("alice", "ping -c 3 -i 0.2 -W 2 "+netnet.Bob, 15*time.Second); err != nil {
		return err
	}
	for _, h := range []string{"moon", "sun"} {
		if _, err := d.net.Run(h, "ipsec statusall", 10*time.Second); err != nil {
			return err
		}
	}
	first, err := d.childSA("moon", nil)
	if err != nil {
		return err
	}
	d.step("waiting for moon to rekey %s (lifetime=10s, margintime=5s, rekeyfuzz=0%%: after 5 s; sun's lifetime is 20m)", first.name)
	deadline := time.Now().Add(30 * time.Second)
	var rekeyed child
	for {
		if rekeyed, err = d.childSA("moon", &first); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("moon did not rekey %s within 30s: %v", first.name, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	fmt.Printf("moon: %s (SPIs %s_i %s_o) replaced %s (SPIs %s_i %s_o)\n",
		rekeyed.name, rekeyed.in, rekeyed.out, first.name, first.in, first.out)
	fmt.Println("moon# grep -E 'rekey|CHILD_SA' /var/log/daemon.log")
	printIndented(d.net.Quiet("moon", "grep -E 'rekey|CHILD_SA' /var/log/daemon.log"))
	d.step("alice pings bob over the new CHILD_SA")
	if _, err := d.net.Run("alice", "ping -c 3 -i 0.2 -W 2 "+netnet.Bob, 15*time.Second); err != nil {
		return err
	}
	for _, h := range []string{"moon", "sun"} {
		if _, err := d.net.Run(h, "ipsec status", 10*time.Second); err != nil {
			return err
		}
	}
	return nil
}

// child is a CHILD_SA of the net-net connection as `ipsec status` shows it.
type child struct {
	name, in, out string // net-net{N} and its SPIs
}

// installedRE matches an installed CHILD_SA of conn net-net, whatever its
// unique number: "net-net{7}:  INSTALLED, TUNNEL, reqid 1, ESP in UDP SPIs:
// c1a2b3c4_i c5d6e7f8_o".
var installedRE = regexp.MustCompile(`(?m)^\s*(net-net\{\d+\}):\s+INSTALLED,.* SPIs: ([0-9a-f]+)_i ([0-9a-f]+)_o`)

// childSA returns host's installed net-net CHILD_SA; with not set, one with
// other SPIs than not (its successor after a rekey).
func (d *demo) childSA(host string, not *child) (child, error) {
	out := d.net.Quiet(host, "ipsec status 2>/dev/null")
	ms := installedRE.FindAllStringSubmatch(out, -1)
	for _, m := range ms {
		c := child{name: m[1], in: m[2], out: m[3]}
		if not == nil || (c.in != not.in && c.out != not.out) {
			return c, nil
		}
	}
	if not == nil {
		return child{}, fmt.Errorf("%s shows no installed net-net CHILD_SA:\n%s", host, out)
	}
	return child{}, fmt.Errorf("%s still shows only %s", host, not.name)
}
