package daemon

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/ikesim"
)

// simDaemon wraps a simulated node in the parts of a Daemon the stroke
// handlers use.
func simDaemon(n *ikesim.Node) *Daemon {
	d := &Daemon{bus: n.Env.Bus, env: n.Env, manager: n.Mgr, backends: n.Env.Backends, creds: n.Env.Creds, net: n.Env.Net,
		certs: n.Env.Certs, ipsecDir: "/nonexistent/goswan-test/ipsec.d"}
	d.cred = &strokeCred{d: d}
	d.ca = &strokeCA{d: d}
	d.traps = sa.NewTrapManager(n.Env)
	d.shunts = sa.NewShuntManager(n.Env)
	d.controller = NewController(n.Env)
	return d
}

func run(t *testing.T, f func(out *stroke.Reply), verbosity int32) string {
	t.Helper()
	var buf bytes.Buffer
	out := stroke.NewReply(strings.NewReader(""), &buf, verbosity)
	f(out)
	if err := out.Flush(); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func wantInOrder(t *testing.T, got string, want ...string) {
	t.Helper()
	rest := got
	for _, w := range want {
		i := strings.Index(rest, w)
		if i < 0 {
			t.Fatalf("output lacks %q (in order); got:\n%s", w, got)
		}
		rest = rest[i+len(w):]
	}
}

func TestStrokeUpDown(t *testing.T) {
	s, moon, _, _, _ := ikesim.NetNet(t, nil)
	d := simDaemon(moon)
	ctl := &strokeControl{d: d}
	ctx := context.Background()

	// ipsec up: the initiation's log at the client's verbosity (1), then
	// the verdict.
	up := run(t, func(out *stroke.Reply) { ctl.Initiate(ctx, stroke.S("net-net"), out) }, 1)
	wantInOrder(t, up,
		"initiating IKE_SA net-net[1] to 192.168.0.2\n",
		"generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]\n",
		"authentication of 'sun.strongswan.org' with pre-shared key successful\n",
		"IKE_SA net-net[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]\n",
		"CHILD_SA net-net{1} established with SPIs",
		"connection 'net-net' established successfully\n")
	if strings.Contains(up, "state change") {
		t.Errorf("level 2 lines streamed at verbosity 1:\n%s", up)
	}

	if got := run(t, func(out *stroke.Reply) { ctl.Initiate(ctx, stroke.S("nonexistent"), out) }, 1); got != "no config named 'nonexistent'\n" {
		t.Errorf("up of an unknown conn: %q", got)
	}

	// ipsec down conn{1}: the CHILD_SA only.
	down := run(t, func(out *stroke.Reply) { ctl.Terminate(ctx, stroke.S("net-net{1}"), out) }, 1)
	wantInOrder(t, down, "closing CHILD_SA net-net{1}", "CHILD_SA {1} closed successfully\n")
	if ikes := moon.IKESAs(); len(ikes) != 1 || ikes[0].ChildCount() != 0 {
		t.Fatalf("after down net-net{1}: %v", ikes)
	}

	// ipsec down conn: the IKE_SA.
	down = run(t, func(out *stroke.Reply) { ctl.Terminate(ctx, stroke.S("net-net"), out) }, 1)
	wantInOrder(t, down, "deleting IKE_SA net-net[1] between", "IKE_SA [1] closed successfully\n")
	s.Clock.Advance(time.Second)
	if ikes := moon.IKESAs(); len(ikes) != 0 {
		t.Fatalf("IKE_SAs left after down: %v", ikes)
	}

	// A client that does not wait (up-nb, verbosity -1) gets nothing.
	// The daemon runs it on the stroke goroutine; in the simulation it
	// must run as a job, or the inline processor would nest the exchange
	// inside it.
	if got := run(t, func(out *stroke.Reply) {
		moon.Run(func(int) { ctl.Initiate(ctx, stroke.S("net-net"), out) })
	}, -1); got != "" {
		t.Errorf("up-nb wrote %q", got)
	}
	if ikes := moon.IKESAs(); len(ikes) != 1 || ikes[0].State() != sa.IKEEstablished {
		t.Fatalf("up-nb did not establish: %v", ikes)
	}
}

func TestStrokeUpFails(t *testing.T) {
	s, moon, sun, _, _ := ikesim.NetNet(t, nil)
	sun.Env.Creds.Replace(nil) // sun has no PSK: authentication fails
	d := simDaemon(moon)
	ctl := &strokeControl{d: d}
	done := make(chan string)
	go func() {
		done <- run(t, func(out *stroke.Reply) { ctl.Initiate(context.Background(), stroke.S("net-net"), out) }, 1)
	}()
	var got string
	for got == "" {
		select {
		case got = <-done:
		case <-time.After(10 * time.Millisecond):
			// retransmissions and timeouts run on the virtual clock
			s.Clock.Advance(time.Second)
		}
	}
	wantInOrder(t, got, "initiating IKE_SA net-net[1] to 192.168.0.2\n", "establishing connection 'net-net' failed\n")
}

func TestParseSpecifier(t *testing.T) {
	for _, c := range []struct {
		in   string
		want specifier
		ok   bool
	}{
		{"net-net", specifier{name: "net-net"}, true},
		{"net-net[3]", specifier{id: 3}, true},
		{"net-net{12}", specifier{id: 12, child: true}, true},
		{"net-net[*]", specifier{name: "net-net", all: true}, true},
		{"net-net{*}", specifier{name: "net-net", all: true, child: true}, true},
		{"net-net[]", specifier{name: "net-net"}, true},
		{"net-net{}", specifier{name: "net-net", child: true}, true},
		{"net-net[x]", specifier{}, false},
		{"net-net[0]", specifier{}, false},
		{"net-net]", specifier{}, false},
		{"", specifier{}, false},
		{"{5}", specifier{id: 5, child: true}, true},
	} {
		got, ok := parseSpecifier(c.in)
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("parseSpecifier(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}
