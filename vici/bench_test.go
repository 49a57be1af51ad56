package vici_test

import (
	"fmt"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/vici"
)

// BenchmarkIKESASetup measures an IKE_SA with its CHILD_SA set up between
// two in-process daemons (moon initiating, the exchanges running on one
// thread as ikesim runs them), with moon's vici plugin serving no clients
// and 100 clients, each subscribed to the log, ike-updown and child-updown
// events and reading them. The ratio of the two is the cost the clients add
// to the IKE path: building the events an SA raises and queueing them to
// every client, never waiting for one. The clients only drain their
// sockets, as the client processes of a real host would, so that what is
// measured is the daemon's side. (The setup of the daemons and the clients
// is not timed.)
func BenchmarkIKESASetup(b *testing.B) {
	for _, n := range []int{0, 100} {
		b.Run(fmt.Sprintf("clients=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				l := newLab(b)
				var clients []net.Conn
				for j := 0; j < n; j++ {
					clients = append(clients, subscriber(b, l.uri))
				}
				b.StartTimer()
				l.pair.Up()
				b.StopTimer()
				var est bool
				l.pair.Moon.Mgr.Each(0, true, func(ike *sa.IKESA) { est = ike.State() == sa.IKEEstablished })
				if !est {
					b.Fatal("IKE_SA not established")
				}
				for _, c := range clients {
					c.Close()
				}
				l.plugin.Close()
			}
		})
	}
}

// subscriber connects a client that registers for the log, ike-updown and
// child-updown events and then reads whatever comes without looking at it.
func subscriber(b *testing.B, uri string) net.Conn {
	b.Helper()
	nc, err := net.Dial("unix", strings.TrimPrefix(uri, "unix://"))
	if err != nil {
		b.Fatal(err)
	}
	for _, ev := range []string{"log", "ike-updown", "child-updown"} {
		if _, err := nc.Write(vici.Frame(vici.Packet{Type: vici.EventRegister, Name: ev}.Encode())); err != nil {
			b.Fatal(err)
		}
		seg, err := vici.ReadSegment(nc)
		if err != nil || len(seg) == 0 || seg[0] != vici.EventConfirm {
			b.Fatalf("registering for %s: %v %v", ev, seg, err)
		}
	}
	go io.Copy(io.Discard, nc)
	return nc
}
