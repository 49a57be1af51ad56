package daemon

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/selectors"
	"github.com/goswan/goswan/testing/ikesim"
)

// The updown script runs with the PLUTO_* environment when the CHILD_SA
// comes up and goes down, and its output lands in the log.
func TestUpdownScript(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "events")
	s, moon, _, peer, child := ikesim.NetNet(t, nil)
	child.Updown = "env | grep ^PLUTO_ | sort >> " + out + "; echo ---- >> " + out + "; echo hello from $PLUTO_VERB"
	moon.Env.Events.Add(NewUpdown(moon.Env))
	moon.Initiate(peer, child)
	s.Clock.Advance(time.Second)
	moon.WantLog(t, "[CHD] updown: hello from up-client")
	ike := moon.IKESAs()[0]
	moon.Run(func(int) { moon.Mgr.Release(ike, ike.Delete(false)) })
	s.Clock.Advance(time.Second)
	moon.WantLog(t, "[CHD] updown: hello from down-client")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	events := strings.Split(string(b), "----\n")
	for _, want := range []string{
		"PLUTO_VERB=up-client", "PLUTO_CONNECTION=net-net", "PLUTO_REQID=1", "PLUTO_PROTO=esp",
		"PLUTO_UNIQUEID=1", "PLUTO_ME=192.168.0.1", "PLUTO_MY_ID=moon.strongswan.org",
		"PLUTO_MY_CLIENT=10.1.0.0/16", "PLUTO_MY_PORT=0", "PLUTO_MY_PROTOCOL=0", "PLUTO_PEER=192.168.0.2",
		"PLUTO_PEER_ID=sun.strongswan.org", "PLUTO_PEER_CLIENT=10.2.0.0/16", "PLUTO_PEER_PORT=0",
		"PLUTO_PEER_PROTOCOL=0", "PLUTO_VERSION=1.1",
	} {
		if !strings.Contains(events[0], want+"\n") {
			t.Errorf("up event lacks %s:\n%s", want, events[0])
		}
	}
	if len(events) < 2 || !strings.Contains(events[1], "PLUTO_VERB=down-client\n") {
		t.Errorf("no down event:\n%s", b)
	}
}

func TestUpdownPorts(t *testing.T) {
	mk := func(s string, proto uint8, from, to uint16) selectorsTS { return mustTS(t, s, proto, from, to) }
	icmpMe, icmpOther := mk("10.1.0.0/16", 1, 8<<8, 8<<8), mk("10.2.0.0/16", 1, 8<<8, 8<<8)
	if got := portString(icmpMe, icmpOther, true); got != "8" {
		t.Errorf("ICMP type %q", got)
	}
	if got := portString(icmpMe, icmpOther, false); got != "0" {
		t.Errorf("ICMP code %q", got)
	}
	tcp := mk("10.1.0.0/16", 6, 1000, 2000)
	any := mk("10.2.0.0/16", 6, 0, 0xffff)
	if got := portString(tcp, any, true); got != "1000:2000" {
		t.Errorf("port range %q", got)
	}
	if got := portString(tcp, any, false); got != "0" {
		t.Errorf("any port %q", got)
	}
}

type selectorsTS = selectors.TS

func mustTS(t *testing.T, s string, proto uint8, from, to uint16) selectors.TS {
	t.Helper()
	ts, err := selectors.ParseCIDR(s, proto, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}
