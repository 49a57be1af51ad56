package starter

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/testing/netbase"
)

// link is a daemon that dies after a number of messages.
type link struct {
	sent   []string
	lifeIn int // messages until the daemon dies; <0 never
}

func (l *link) running() bool { return l.lifeIn != 0 }
func (l *link) send(m message) {
	l.sent = append(l.sent, fmt.Sprintf("%s %s", m.Type, m.Name))
	if l.lifeIn > 0 {
		l.lifeIn--
	}
}

func parse(t *testing.T, src string) *ipsecconf.Config {
	t.Helper()
	cfg, err := ipsecconf.Parse("ipsec.conf", []byte(src), &ipsecconf.Options{NetDB: netbase.DB()})
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

const stateConf = `config setup
conn %default
	left=192.0.2.1
conn a
	right=192.0.2.2
	auto=route
conn b
	right=192.0.2.3
	auto=start
conn %auto
	right=192.0.2.4
	auto=add
`

// TestDaemonDiesWhileStarterSends: starter checks before every message
// whether the daemon still runs; what it could not send counts as added
// all the same, and goes out when the daemon has been started again.
func TestDaemonDiesWhileStarterSends(t *testing.T) {
	c := newCore(parse(t, stateConf))
	l := &link{lifeIn: 1}
	c.addPending(l)
	if got := strings.Join(l.sent, ", "); got != "STR_ADD_CONN a" {
		t.Errorf("sent %s, want only the first add_conn", got)
	}
	for _, e := range c.cfg.conns {
		if e.state != stateAdded {
			t.Errorf("conn %s in state %d, want added", e.conn.Name, e.state)
		}
	}
	// The daemon is back: everything again, with the ids already given.
	l = &link{lifeIn: -1}
	c.markAllToAdd()
	c.addPending(l)
	want := "STR_ADD_CONN a, STR_ROUTE a, STR_ADD_CONN b, STR_INITIATE b, STR_ADD_CONN conn_3"
	if got := strings.Join(l.sent, ", "); got != want {
		t.Errorf("after restart sent %s, want %s", got, want)
	}
	// Without a daemon, reload and update send nothing and change nothing
	// the daemon would need to know.
	l = &link{lifeIn: 0}
	c.deleteAll(l)
	c.update(parse(t, stateConf), l)
	c.addPending(l)
	if len(l.sent) != 0 {
		t.Errorf("sent %v to no daemon", l.sent)
	}
}
