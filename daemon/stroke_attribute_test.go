package daemon

import (
	"bytes"
	"context"
	"net/netip"
	"testing"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/stroke"
)

// attrDaemon is configDaemon with the stroke plugin's attribute parts and
// a log to read.
func attrDaemon(t *testing.T) (*Daemon, *bytes.Buffer) {
	d := configDaemon(t)
	var log bytes.Buffer
	d.bus = bus.New()
	d.bus.SetSinks(bus.NewWriterLogger(&log, bus.FileOptions{}, bus.DefaultLevels()))
	d.attrs = attributes.NewManager()
	d.env.Attributes = d.attrs
	d.startAttributePlugins([]string{"stroke"})
	return d, &log
}

// sourceIPConn is conn sourceip-in-parent of the starter corpus
// (rightsourceip=10.3.0.0/24), with rightsourceip and dns as given.
func sourceIPConn(t *testing.T, sourceip, dns string) *stroke.AddConn {
	for _, c := range loadCapture(t, "11-sourceip-vs-type") {
		if c.Name.Value == "sourceip-in-parent" {
			x := *c
			x.Other.SourceIP = stroke.S(sourceip)
			// PSK: goswan refuses public-key authentication without certificates
			x.Me.Auth, x.Other.Auth = stroke.S("psk"), stroke.S("psk")
			if dns != "" {
				x.Other.DNS = stroke.S(dns)
			}
			return &x
		}
	}
	t.Fatal("no conn sourceip-in-parent")
	return nil
}

// TestAddConnPools: rightsourceip= makes in-memory pools named as written
// (or after the conn for %config), reused when base and size repeat, and
// named pools are only referred to; invalid ones are logged.
func TestAddConnPools(t *testing.T) {
	d, log := attrDaemon(t)
	sc := &strokeConfig{d: d}
	sc.AddConn(context.Background(), sourceIPConn(t, "10.3.0.0/28, 10.4.0.1-10.4.0.10,%config,%bigpool,10.5.0.9-10.5.0.1,nonsense", ""))
	peer := d.backends.ByName("sourceip-in-parent")
	if peer == nil {
		t.Fatal("not loaded")
	}
	want := []string{"10.3.0.0/28", "10.4.0.1-10.4.0.10", "sourceip-in-parent", "bigpool"}
	if len(peer.Pools) != len(want) {
		t.Fatalf("pools %q", peer.Pools)
	}
	for i := range want {
		if peer.Pools[i] != want[i] {
			t.Errorf("pool %d: %q, want %q", i, peer.Pools[i], want[i])
		}
	}
	wantInOrder(t, log.String(),
		"adding virtual IP address pool 10.3.0.0/28",
		"adding virtual IP address pool 10.4.0.1-10.4.0.10",
		"invalid IP address range: 10.5.0.9-10.5.0.1",
		"IP pool 10.5.0.9-10.5.0.1 invalid, ignored",
		"IP pool nonsense invalid, ignored")
	got := d.Pools()
	if len(got) != 2 || got[0] != (Pool{Name: "10.3.0.0/28", Size: 14}) || got[1] != (Pool{Name: "10.4.0.1-10.4.0.10", Size: 10}) {
		t.Errorf("pools %+v", got)
	}
	log.Reset()
	c := sourceIPConn(t, "10.3.0.0/28", "")
	c.Name = stroke.S("second")
	sc.AddConn(context.Background(), c)
	wantInOrder(t, log.String(), "reusing virtual IP address pool 10.3.0.0/28")
}

// TestAddConnDNS: rightdns= servers go to the conn's peers, and go with
// the conn.
func TestAddConnDNS(t *testing.T) {
	d, log := attrDaemon(t)
	sc := &strokeConfig{d: d}
	c := sourceIPConn(t, "10.3.0.0/28", "192.168.0.150, fec1::20 ,bogus")
	sc.AddConn(context.Background(), c)
	wantInOrder(t, log.String(), "ignoring invalid DNS address 'bogus'")
	sa := attributes.SA{Conn: "sourceip-in-parent"}
	got := d.attrs.ResponderAttributes(nil, sa, nil)
	if len(got) != 2 || got[0].Type != encoding.AttrInternalIP4DNS || got[1].Type != encoding.AttrInternalIP6DNS ||
		netip.AddrFrom16([16]byte(got[1].Value)).String() != "fec1::20" {
		t.Errorf("attributes %v", got)
	}
	sc.DelConn(context.Background(), c.Name)
	if got := d.attrs.ResponderAttributes(nil, sa, nil); len(got) != 0 {
		t.Errorf("after del_conn: %v", got)
	}
}
