package netdb

import "testing"

func TestParse(t *testing.T) {
	db := Parse("# comment\nip 0 IP\ntcp 6 TCP # transmission control\nudp 17 UDP\nbad x\n",
		"http 80/tcp www # web\nhttp 8080/udp\nkerberos 88/udp kerberos5 krb5\nbroken\n")
	for _, tc := range []struct {
		name string
		want uint8
		ok   bool
	}{{"tcp", 6, true}, {"TCP", 6, true}, {"ip", 0, true}, {"Tcp", 0, false}, {"bad", 0, false}} {
		if p, ok := db.Protocol(tc.name); p != tc.want || ok != tc.ok {
			t.Errorf("protocol %s: %d %v", tc.name, p, ok)
		}
	}
	for _, tc := range []struct {
		name string
		want uint16
		ok   bool
	}{{"http", 80, true}, {"www", 80, true}, {"krb5", 88, true}, {"broken", 0, false}} {
		if p, ok := db.Service(tc.name); p != tc.want || ok != tc.ok {
			t.Errorf("service %s: %d %v", tc.name, p, ok)
		}
	}
}
