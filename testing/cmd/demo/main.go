// Command demo shows goswan at work in under a minute: it builds
// strongSwan's test network (moon and sun as gateways, alice behind moon,
// bob behind sun) out of network namespaces, starts IPsec on both gateways
// with `ipsec start`, brings up the net-net tunnel, pings bob from alice
// through it, prints `ipsec statusall` of both gateways, waits for the
// CHILD_SA to be rekeyed (its lifetime is 20 s), pings again over the new
// SA, and tears everything down. Nothing leaves the namespaces it creates.
//
//	make demo                               # goswan on both gateways
//	make demo DEMO_ARGS="--sun strongswan"  # against Debian's strongSwan
//
// Needs root, iproute2, util-linux and iputils-ping; for strongswan,
// Debian's strongswan package.
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
	d := &demo{start: time.Now()}
	d.step("building the network: moon (%s) and sun (%s), alice behind moon, bob behind sun", moon, sun)
	// A CHILD_SA lifetime of 20 s with a margin of 8 s: rekeyed after 12 s.
	d.net, err = netnet.Build(ctx, moon, sun, bin, netnet.Options{Lifetime: "20s", Margin: "8s"})
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
	d.step("waiting for the CHILD_SA to be rekeyed (lifetime 20s, rekeyed after 12s)")
	rekeyed := regexp.MustCompile(`net-net\{2\}:\s+INSTALLED`)
	if _, err := d.net.WaitFor("moon", "ipsec status 2>/dev/null", rekeyed, 30*time.Second); err != nil {
		return err
	}
	fmt.Println("moon# grep -E 'rekey|CHILD_SA' /var/log/daemon.log")
	printIndented(d.net.Quiet("moon", "grep -E 'rekey|CHILD_SA' /var/log/daemon.log"))
	d.step("alice pings bob over the new CHILD_SA")
	if _, err := d.net.Run("alice", "ping -c 3 -i 0.2 -W 2 "+netnet.Bob, 15*time.Second); err != nil {
		return err
	}
	_, err = d.net.Run("moon", "ipsec status", 10*time.Second)
	return err
}
