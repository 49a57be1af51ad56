// Package labconf renders the strongswan.conf of the labs that run charon
// on the userspace data plane (chaos, netnet, reqiddiff, soak, swanlab):
// one template, so that their log and data-plane blocks cannot drift apart.
// Each lab's own settings stay with the lab; its test pins the rendered
// file (Golden), so the file as it lands in /etc can still be read whole
// in the lab's testdata.
package labconf

import (
	"fmt"
	"strings"
)

// StrongswanConf is what a lab's strongswan.conf sets beyond the shared
// frame.
type StrongswanConf struct {
	// Title follows "# /etc/strongswan.conf - " on the first line.
	Title string
	// Starter adds a starter section that turns off ipsec's warning about
	// charon's load list (for labs that run ipsec start).
	Starter bool
	// Load is charon's plugin list.
	Load string
	// Charon are further lines of the charon section, after load.
	Charon []string
	// Log are further levels of charon's daemon.log (e.g. "cfg = 2").
	Log []string
	// Userspace marks IKE and ESP-in-UDP with 0x42 so that they bypass the
	// routes into the userspace data plane's TUN device (kernel-libipsec
	// in Load).
	Userspace bool
	// After are sections after charon's, as written.
	After string
}

const frame = `# /etc/strongswan.conf - %s
%scharon {
  load = %s
%s  filelog {
    daemon {
      path = /var/log/daemon.log
      time_format = %%b %%e %%T
      default = 1
%s      flush_line = yes
    }
  }
  syslog {
    daemon {
      default = -1
    }
  }
%s}
%s`

const starter = `starter {
  load_warning = no
}
`

const userspace = `  plugins {
    socket-default {
      fwmark = 0x42
    }
    kernel-netlink {
      fwmark = !0x42
    }
  }
`

// String renders the file.
func (c StrongswanConf) String() string {
	indent := func(lines []string, by string) string {
		var b strings.Builder
		for _, l := range lines {
			b.WriteString(by + l + "\n")
		}
		return b.String()
	}
	st, us := "", ""
	if c.Starter {
		st = starter
	}
	if c.Userspace {
		us = userspace
	}
	return fmt.Sprintf(frame, c.Title, st, c.Load, indent(c.Charon, "  "), indent(c.Log, "      "), us, c.After)
}
