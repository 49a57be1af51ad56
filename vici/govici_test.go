package vici_test

import (
	"context"
	"strings"
	"testing"

	govici "github.com/strongswan/govici/vici"
)

// TestGoviciDrivesThePlugin uses strongSwan's own Go client library, which
// monitoring tools (the Prometheus exporters, k3s) are built on, against
// the plugin: a client no one here wrote must read what goswan sends.
func TestGoviciDrivesThePlugin(t *testing.T) {
	l := newLab(t)
	s, err := govici.NewSession(govici.WithAddr("unix", strings.TrimPrefix(l.uri, "unix://")))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, err := s.Call(context.Background(), "version", nil)
	if err != nil {
		t.Fatal(err)
	}
	if d := v.Get("daemon"); d != "charon" {
		t.Errorf("daemon %v", d)
	}
	load := govici.NewMessage()
	conn := govici.NewMessage()
	for k, val := range map[string]any{"version": "2", "local_addrs": []string{"192.168.0.1"},
		"remote_addrs": []string{"192.168.0.2"}} {
		if err := conn.Set(k, val); err != nil {
			t.Fatal(err)
		}
	}
	if err := load.Set("gw-gw", conn); err != nil {
		t.Fatal(err)
	}
	resp, err := s.Call(context.Background(), "load-conn", load)
	if err != nil || resp.Get("success") != "yes" {
		t.Fatalf("load-conn: %v %v", resp, err)
	}
	pl := l.pair
	pl.Up()
	sas, err := collect(s, "list-sas", "list-sa")
	if err != nil || len(sas) != 1 {
		t.Fatalf("list-sas: %d %v", len(sas), err)
	}
	ike, ok := sas[0].Get("net-net").(*govici.Message)
	if !ok || ike.Get("state") != "ESTABLISHED" || ike.Get("remote-id") != "sun.strongswan.org" {
		t.Errorf("list-sa event %v", sas[0])
	}
	conns, err := collect(s, "list-conns", "list-conn")
	if err != nil || len(conns) != 2 {
		t.Fatalf("list-conns: %d %v", len(conns), err)
	}
	if gw, ok := conns[1].Get("gw-gw").(*govici.Message); !ok || gw.Get("version") != "IKEv2" {
		t.Errorf("list-conn event %v", conns[1])
	}
}

// collect gathers the events a streamed command sends.
func collect(s *govici.Session, cmd, event string) ([]*govici.Message, error) {
	var out []*govici.Message
	for m, err := range s.CallStreaming(context.Background(), cmd, event, nil) {
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}
