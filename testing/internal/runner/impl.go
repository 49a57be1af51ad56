package runner

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/goswan/goswan/testing/internal/topology"
	"github.com/goswan/goswan/testing/testenv"
)

// Impl names an IPsec implementation a host can run.
type Impl string

const (
	// StrongSwan is Debian's strongSwan 5.9.8: /usr/sbin/ipsec, starter
	// and /usr/lib/ipsec/charon.
	StrongSwan Impl = "strongswan"
	// Goswan is this repository's build: bin/ipsec and bin/charon.
	Goswan Impl = "goswan"
	// Charon is Debian's ipsec and starter driving goswan's charon: the
	// drop-in of the daemon alone, and the proof that strongSwan's own
	// tools work with it over the stroke socket.
	Charon Impl = "charon"
)

// Letter is the one-letter code used in pairing codes ("gs").
func (i Impl) Letter() string { return string(i[0]) }

// ParseImpl accepts "goswan", "strongswan", "charon" and their first
// letters.
func ParseImpl(s string) (Impl, error) {
	switch strings.ToLower(s) {
	case "goswan", "g":
		return Goswan, nil
	case "strongswan", "s":
		return StrongSwan, nil
	case "charon", "c":
		return Charon, nil
	}
	return "", fmt.Errorf("unknown implementation %q (want goswan, strongswan or charon)", s)
}

// Pick parses the named implementations (as ParseImpl takes them) and
// checks each in turn (Check), failing at the first that is unknown or
// missing; goswanBin is as for Implementations. The labs pick their
// gateways' implementations with it.
func Pick(goswanBin string, names ...string) ([]Implementation, error) {
	impls := Implementations(goswanBin)
	picked := make([]Implementation, len(names))
	for n, name := range names {
		i, err := ParseImpl(name)
		if err != nil {
			return nil, err
		}
		picked[n] = impls[i]
		if err := picked[n].Check(); err != nil {
			return nil, err
		}
	}
	return picked, nil
}

// Implementation says where an implementation's programs are and how a host
// is made to run them.
type Implementation struct {
	Name Impl
	// IPsec is the implementation's ipsec command on this machine. Inside
	// a host it is always at /usr/sbin/ipsec (bound there for goswan), and
	// the host's PATH starts with a directory whose ipsec links there.
	IPsec string
	// Charon is the daemon binary; after pretest the runner checks that the
	// charon running on the host is this file.
	Charon string
	// Binds put the implementation's binaries over the Debian paths inside
	// the host, so that whatever starts "/usr/lib/ipsec/charon" or
	// "/usr/sbin/ipsec" there (Debian's starter, scripts with absolute
	// paths) gets this implementation and a goswan host can never silently
	// run strongSwan.
	Binds []topology.Bind
}

// Debian's installation paths.
const (
	// DebianIPsec is where every implementation's ipsec is inside a host.
	DebianIPsec  = debianIPsec
	debianIPsec  = "/usr/sbin/ipsec"
	debianCharon = "/usr/lib/ipsec/charon"
)

// Implementations returns the implementations; goswanBin is the directory
// holding goswan's ipsec and charon (the repository's bin/).
func Implementations(goswanBin string) map[Impl]Implementation {
	// Absolute: the bind sources are read by the hosts' holders.
	if abs, err := filepath.Abs(goswanBin); err == nil {
		goswanBin = abs
	}
	gi, gc := filepath.Join(goswanBin, "ipsec"), filepath.Join(goswanBin, "charon")
	return map[Impl]Implementation{
		StrongSwan: {Name: StrongSwan, IPsec: debianIPsec, Charon: debianCharon},
		Goswan: {Name: Goswan, IPsec: gi, Charon: gc, Binds: []topology.Bind{
			{Source: gi, Target: debianIPsec},
			{Source: gc, Target: debianCharon},
		}},
		Charon: {Name: Charon, IPsec: debianIPsec, Charon: gc, Binds: []topology.Bind{
			{Source: gc, Target: debianCharon},
		}},
	}
}

// ScenarioPlugins are the plugins the hosts' strongswan.conf files load
// (the scenarios' and the demo's and benchmark's): Debian's charon needs
// every one of them.
var ScenarioPlugins = []string{"random", "nonce", "aes", "sha1", "sha2", "gmp", "openssl", "hmac", "kdf",
	"stroke", "kernel-libipsec", "kernel-netlink", "socket-default", "updown"}

// Check verifies that the implementation's programs exist and are
// executable, and for Debian's charon the plugins the hosts load. The
// Debian paths goswan's are mounted over need not exist: the hosts make
// them.
func (im Implementation) Check() error {
	for _, p := range []string{im.IPsec, im.Charon} {
		fi, err := os.Stat(p)
		if err != nil {
			if im.Name != StrongSwan {
				return fmt.Errorf("%s: %w (build goswan first: make build)", im.Name, err)
			}
			return fmt.Errorf("%s: %w (install Debian's strongswan package)", im.Name, err)
		}
		if fi.Mode()&0o111 == 0 || fi.IsDir() {
			return fmt.Errorf("%s: %s is not an executable file", im.Name, p)
		}
	}
	if im.Charon == debianCharon {
		if m := testenv.MissingPlugins(ScenarioPlugins...); len(m) > 0 {
			return fmt.Errorf("%s: needs strongSwan's plugin %s", im.Name, strings.Join(m, ", plugin "))
		}
	}
	return nil
}
