package vici_test

import (
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
	v, err := s.CommandRequest("version", nil)
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
	resp, err := s.CommandRequest("load-conn", load)
	if err != nil || resp.Get("success") != "yes" {
		t.Fatalf("load-conn: %v %v", resp, err)
	}
	pl := l.pair
	pl.Up()
	sas, err := s.StreamedCommandRequest("list-sas", "list-sa", nil)
	if err != nil || len(sas) != 1 {
		t.Fatalf("list-sas: %d %v", len(sas), err)
	}
	ike, ok := sas[0].Get("net-net").(*govici.Message)
	if !ok || ike.Get("state") != "ESTABLISHED" || ike.Get("remote-id") != "sun.strongswan.org" {
		t.Errorf("list-sa event %v", sas[0])
	}
	conns, err := s.StreamedCommandRequest("list-conns", "list-conn", nil)
	if err != nil || len(conns) != 2 {
		t.Fatalf("list-conns: %d %v", len(conns), err)
	}
	if gw, ok := conns[1].Get("gw-gw").(*govici.Message); !ok || gw.Get("version") != "IKEv2" {
		t.Errorf("list-conn event %v", conns[1])
	}
}
