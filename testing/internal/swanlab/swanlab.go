// Package swanlab sets up strongSwan's moon/sun net-to-net case in network
// namespaces with charon configured through swanctl (vici), the way
// strongSwan 5.9.8's swanctl scenarios run it: the daemon started like
// Debian's strongswan.service (testing/hosts/default/bin/systemctl), the
// connections and secrets in /etc/swanctl/swanctl.conf loaded by Debian's
// swanctl. Each gateway runs either Debian's charon or goswan's, always
// driven by Debian's swanctl. Like netnet, it builds on the scenario
// runner's topology package: nothing exists in the root namespace and
// Close removes everything.
package swanlab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"time"

	"github.com/goswan/goswan/testing/internal/labconf"
	"github.com/goswan/goswan/testing/internal/runner"
	"github.com/goswan/goswan/testing/internal/topology"
)

// Addresses of strongSwan's test network.
const (
	Moon, Sun  = "192.168.0.1", "192.168.0.2"
	Alice, Bob = "10.1.0.10", "10.2.0.10"

	scratchBase = "/var/tmp/goswan-swanlab"
)

// strongswanConf is both gateways' strongswan.conf: the userspace data
// plane (the kernel may lack ESP), charon's log in /var/log/daemon.log, and
// only plugins that both implementations have, so that their plugin lists
// agree. certPlugins is "pem pkcs1 x509 revocation " where certificates
// are used, stroke "stroke " where the stroke plugin loads too.
func strongswanConf(certPlugins, stroke string) string {
	return labconf.StrongswanConf{
		Title:     "goswan swanlab",
		Load:      "random nonce aes sha1 sha2 hmac kdf " + certPlugins + "gcm gmp openssl kernel-libipsec kernel-netlink socket-default " + stroke + "vici updown counters",
		Log:       []string{"cfg = 2"},
		Userspace: true,
		After:     "swanctl {\n  load = pem pkcs1 x509 revocation constraints pubkey openssl random\n}\n",
	}.String()
}

// swanctlConf is a gateway's swanctl.conf: strongSwan's ikev2/net2net-psk
// connection, a trap and a bypass policy for list-pols, and its secrets.
// IKE uses an AEAD (as swanctlCertConf does): its block size is 1, so a
// notify goswan does not announce makes Debian's messages exactly 8 bytes
// longer, which the comparison takes out (withoutUnannounced); with CBC the
// padding to 16 bytes would make the difference 0 or 16.
const swanctlConf = `connections {
   gw-gw {
      local_addrs  = %[1]s
      remote_addrs = %[2]s
      local {
         auth = psk
         id = %[3]s.strongswan.org
      }
      remote {
         auth = psk
         id = %[4]s.strongswan.org
      }
      children {
         net-net {
            local_ts  = %[5]s
            remote_ts = %[6]s
            rekey_time = 5400
            rekey_bytes = 500000000
            rekey_packets = 1000000
            esp_proposals = aes128gcm128-modp3072
         }
         alice-bob {
            local_ts  = %[7]s
            remote_ts = %[8]s
            esp_proposals = aes128gcm128-modp3072
         }
      }
      version = 2
      mobike = no
      reauth_time = 10800
      proposals = aes128gcm16-prfsha256-modp3072
   }
   trap {
      local_addrs  = %[1]s
      remote_addrs = %[2]s
      local {
         auth = psk
         id = %[3]s.strongswan.org
      }
      remote {
         auth = psk
         id = %[4]s.strongswan.org
      }
      children {
         trap-http {
            local_ts  = %[5]s[tcp/http]
            remote_ts = %[6]s[tcp]
            start_action = trap
         }
      }
      version = 2
   }
   pass {
      remote_addrs = 127.0.0.1
      children {
         pass-ssh {
            local_ts = %[1]s/32[tcp/22]
            remote_ts = 192.168.0.150/32[tcp]
            mode = pass
            start_action = trap
         }
      }
   }
}

secrets {
   ike-1 {
      id-1 = moon.strongswan.org
      secret = 0x45a30759df97dc26a15b88ff
   }
   ike-2 {
      id-2 = sun.strongswan.org
      secret = "This is a strong password"
   }
   ike-3 {
      id-3a = moon.strongswan.org
      id-3b = sun.strongswan.org
      secret = 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
   }
}
`

// swanctlCertConf is a gateway's swanctl.conf in Options.Certs:
// strongSwan's ikev2/net2net-cert connection, authenticated with the
// gateway's certificate of goswan's test PKI (testing/scripts/build-certs),
// which swanctl --load-all loads from /etc/swanctl/x509, x509ca, x509crl
// and rsa.
const swanctlCertConf = `connections {
   gw-gw {
      local_addrs  = %[1]s
      remote_addrs = %[2]s
      local {
         auth = pubkey
         certs = %[3]sCert.pem
         id = %[3]s.strongswan.org
      }
      remote {
         auth = pubkey
         id = %[4]s.strongswan.org
         ca_id = "C=CH, O=strongSwan Project, CN=strongSwan Root CA"
         cacerts = strongswanCert.pem
         revocation = relaxed
      }
      children {
         net-net {
            local_ts  = %[5]s
            remote_ts = %[6]s
            esp_proposals = aes128gcm128-modp3072
         }
      }
      version = 2
      mobike = no
      reauth_time = 10800
      proposals = aes128gcm16-prfsha256-modp3072
   }
}
`

// ipsecConf and ipsecSecrets give moon, in Options.Stroke, a conn of its
// own through stroke: alice to bob, which sun has as child alice-bob of its
// vici conn.
const ipsecConf = `# /etc/ipsec.conf - goswan swanlab
config setup

conn alice-bob
	left=192.168.0.1
	leftsubnet=10.1.0.0/24
	leftid=@moon.strongswan.org
	right=192.168.0.2
	rightsubnet=10.2.0.0/24
	rightid=@sun.strongswan.org
	authby=secret
	keyexchange=ikev2
	mobike=no
	ike=aes128gcm16-prfsha256-modp3072!
	esp=aes128gcm16-modp3072!
	auto=add
`

const ipsecSecrets = `# /etc/ipsec.secrets - goswan swanlab
@moon.strongswan.org @sun.strongswan.org : PSK 0sv+NkxY9LLZvwj4qCC2o/gGrWDF2d21jL
`

// Options change the lab.
type Options struct {
	// Stroke loads the stroke plugin on moon too, with the ipsec.conf conn
	// alice-bob beside swanctl's conns; Start then starts moon with
	// `ipsec start` (starter loads ipsec.conf) and loads swanctl.conf
	// after it.
	Stroke bool
	// Certs authenticates gw-gw with certificates instead of the PSK
	// (swanctlCertConf); each gateway's /etc/swanctl holds its
	// certificate and key, the root CA and its CRL from the test PKI.
	Certs bool
}

// Lab is a built network with charon configured on both gateways.
type Lab struct {
	ctx    context.Context
	Topo   *topology.Topology
	bin    string // the hosts' helper commands
	stroke bool
}

// Build creates the network with moonImpl's charon on moon and sunImpl's
// on sun ("goswan" or "strongswan": with swanctl the two differ only in
// the daemon); goswanBin holds goswan's binaries and testingDir is the
// repository's testing/ (for the hosts' helper commands). Nothing is
// started.
func Build(ctx context.Context, moonImpl, sunImpl, goswanBin, testingDir string, o Options) (*Lab, error) {
	if os.Geteuid() != 0 {
		return nil, errors.New("network namespaces need root")
	}
	picked, err := runner.Pick(goswanBin, moonImpl, sunImpl)
	if err != nil {
		return nil, err
	}
	mi, si := picked[0], picked[1]
	if _, err := topology.CleanupStale(scratchBase, func(string, ...any) {}); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("swanlab-%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	bin, err := topology.MakeScratch(scratchBase, name+"-bin")
	if err != nil {
		return nil, err
	}
	if err := copyHelpers(filepath.Join(testingDir, "hosts", "default", "bin"), bin); err != nil {
		os.RemoveAll(bin)
		return nil, err
	}
	scratch := filepath.Join(scratchBase, name)
	env := []string{
		"PATH=" + bin + ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C", "LC_ALL=C", "TERM=dumb",
	}
	pki := map[string][]topology.File{}
	if o.Certs {
		for _, h := range []string{"moon", "sun"} {
			if pki[h], err = pkiFiles(testingDir, h); err != nil {
				os.RemoveAll(bin)
				return nil, err
			}
		}
	}
	gw := func(name string, im runner.Implementation, me, other, otherName, myNet, otherNet, myHost, otherHost string) topology.HostSpec {
		stroke, certPlugins := "", ""
		etc := []topology.File{
			{Rel: "swanctl/swanctl.conf", Mode: 0o640,
				Data: []byte(fmt.Sprintf(swanctlConf, me, other, name, otherName, myNet, otherNet, myHost, otherHost))},
		}
		if o.Certs {
			etc[0].Data = []byte(fmt.Sprintf(swanctlCertConf, me, other, name, otherName, myNet, otherNet))
			etc = append(etc, pki[name]...)
			certPlugins = "pem pkcs1 x509 revocation "
		}
		if o.Stroke && name == "moon" {
			stroke = "stroke "
			etc = append(etc, topology.File{Rel: "ipsec.conf", Mode: 0o644, Data: []byte(ipsecConf)},
				topology.File{Rel: "ipsec.secrets", Mode: 0o600, Data: []byte(ipsecSecrets)})
		}
		etc = append(etc, topology.File{Rel: "strongswan.conf", Mode: 0o644, Data: []byte(strongswanConf(certPlugins, stroke))})
		return topology.HostSpec{Name: name, Binds: im.Binds, Env: env, Etc: etc}
	}
	topo, err := topology.Build(ctx, topology.Config{
		Prefix:  fmt.Sprintf("gsw%x", (os.Getpid()+int(time.Now().UnixNano()))&0xffff),
		Scratch: scratch,
		Hosts: []topology.HostSpec{
			gw("moon", mi, Moon, Sun, "sun", "10.1.0.0/16", "10.2.0.0/16", "10.1.0.0/24", "10.2.0.0/24"),
			gw("sun", si, Sun, Moon, "moon", "10.2.0.0/16", "10.1.0.0/16", "10.2.0.0/24", "10.1.0.0/24"),
			{Name: "alice", Env: env},
			{Name: "bob", Env: env},
		},
	})
	if err != nil {
		os.RemoveAll(bin)
		return nil, err
	}
	return &Lab{ctx: ctx, Topo: topo, bin: bin, stroke: o.Stroke}, nil
}

// pkiFiles are a gateway's credentials in swanctl's directories, taken
// from the test PKI the stroke scenarios use (testing/hosts/<host>/etc/
// ipsec.d) and winnetou's CRL of the root CA.
func pkiFiles(testingDir, host string) ([]topology.File, error) {
	ipsecD := filepath.Join(testingDir, "hosts", host, "etc", "ipsec.d")
	var out []topology.File
	for _, f := range []struct {
		from, rel string
		mode      os.FileMode
	}{
		{filepath.Join(ipsecD, "certs", host+"Cert.pem"), "swanctl/x509/" + host + "Cert.pem", 0o644},
		{filepath.Join(ipsecD, "cacerts", "strongswanCert.pem"), "swanctl/x509ca/strongswanCert.pem", 0o644},
		{filepath.Join(ipsecD, "private", host+"Key.pem"), "swanctl/rsa/" + host + "Key.pem", 0o600},
		{filepath.Join(testingDir, "hosts", "winnetou", "etc", "ca", "www", "strongswan.crl"), "swanctl/x509crl/strongswan.crl", 0o644},
	} {
		b, err := os.ReadFile(f.from)
		if err != nil {
			return nil, err
		}
		out = append(out, topology.File{Rel: f.rel, Mode: f.mode, Data: b})
	}
	return out, nil
}

func copyHelpers(from, to string) error {
	if err := os.MkdirAll(to, 0o755); err != nil {
		return err
	}
	ents, err := os.ReadDir(from)
	if err != nil {
		return err
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), b, 0o755); err != nil {
			return err
		}
	}
	return nil
}

// Run runs a shell command on a host and returns stdout and stderr; a
// non-zero exit is an error.
func (l *Lab) Run(host, command string, timeout time.Duration) (stdout, stderr string, err error) {
	r := l.Topo.Host(host).Run(l.ctx, command, timeout)
	if r.Err != nil {
		return string(r.Stdout), string(r.Stderr), r.Err
	}
	if r.ExitCode != 0 {
		return string(r.Stdout), string(r.Stderr), fmt.Errorf("%s: `%s` exited with %d: %s", host, command, r.ExitCode, r.Stderr)
	}
	return string(r.Stdout), string(r.Stderr), nil
}

// WaitFor polls a command until its output matches re.
func (l *Lab) WaitFor(host, command string, re *regexp.Regexp, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		out, _, _ := l.Run(host, command, 10*time.Second)
		if re.MatchString(out) {
			return nil
		}
		select {
		case <-l.ctx.Done():
			return l.ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: `%s` did not show %q within %v", host, command, re, limit)
}

// Start starts charon on both gateways as strongswan.service does and
// returns what `swanctl --load-all` printed on each.
func (l *Lab) Start() (map[string]string, error) {
	out := map[string]string{}
	for _, h := range []string{"moon", "sun"} {
		cmd := "systemctl start strongswan"
		if h == "moon" && l.stroke {
			// starter starts charon and loads ipsec.conf; swanctl.conf
			// follows once the vici socket is there.
			cmd = "ipsec start && for i in $(seq 100); do [ -S /var/run/charon.vici ] && break; sleep 0.1; done; " +
				"swanctl --load-all --noprompt"
		}
		o, _, err := l.Run(h, cmd, 30*time.Second)
		if err != nil {
			return nil, err
		}
		out[h] = o
	}
	for _, h := range []string{"moon", "sun"} {
		if _, _, err := l.Run(h, "expect-connection gw-gw", 10*time.Second); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Logs returns the end of a gateway's daemon log.
func (l *Lab) Logs(host string, lines int) string {
	out, _, _ := l.Run(host, fmt.Sprintf("tail -n %d /var/log/daemon.log", lines), 10*time.Second)
	return out
}

// Close stops charon on both gateways and removes the network.
func (l *Lab) Close() error {
	// Both at once, as netnet does: a stop takes a second or two.
	var wg sync.WaitGroup
	for _, h := range []string{"moon", "sun"} {
		cmd := "systemctl stop strongswan"
		if h == "moon" && l.stroke {
			cmd = "ipsec stop"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = l.Run(h, cmd, 30*time.Second)
		}()
	}
	wg.Wait()
	err := l.Topo.Close()
	os.RemoveAll(l.bin)
	return err
}
