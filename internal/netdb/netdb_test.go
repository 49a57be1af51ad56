package netdb

import (
	"os"
	"path/filepath"
	"testing"
)

const (
	testProtocols = "# comment\nip 0 IP\ntcp 6 TCP # transmission control\nudp 17 UDP\nbad x\nudp2 17 UDP2\n"
	testServices  = "http 80/tcp www # web\nhttp 8080/udp\nkerberos 88/udp kerberos5 krb5\nkerberos 88/tcp\nbroken\nnoproto 9/\n" +
		"first 7/udp\nsecond 7/tcp\n"
)

func TestLookups(t *testing.T) {
	db := Parse(testProtocols, testServices)
	for _, tc := range []struct {
		name string
		want uint8
		ok   bool
	}{{"tcp", 6, true}, {"TCP", 6, true}, {"ip", 0, true}, {"Tcp", 0, false}, {"bad", 0, false}, {"UDP2", 17, true}} {
		if p, ok := db.Protocol(tc.name); p != tc.want || ok != tc.ok {
			t.Errorf("Protocol(%s) = %d %v", tc.name, p, ok)
		}
	}
	// The first entry for a number wins.
	for num, want := range map[uint8]string{6: "tcp", 17: "udp", 0: "ip", 99: ""} {
		if n, ok := db.ProtocolName(num); n != want || ok != (want != "") {
			t.Errorf("ProtocolName(%d) = %q %v", num, n, ok)
		}
	}
	for _, tc := range []struct {
		name, proto string
		want        uint16
		ok          bool
	}{
		{"http", "", 80, true}, {"www", "", 80, true}, {"http", "udp", 8080, true}, {"krb5", "", 88, true},
		{"krb5", "tcp", 0, false}, {"broken", "", 0, false}, {"noproto", "", 0, false},
	} {
		if p, ok := db.ServiceProto(tc.name, tc.proto); p != tc.want || ok != tc.ok {
			t.Errorf("ServiceProto(%s, %q) = %d %v", tc.name, tc.proto, p, ok)
		}
	}
	if p, ok := db.Service("http"); p != 80 || !ok {
		t.Errorf("Service(http) = %d %v", p, ok)
	}
	for _, tc := range []struct {
		port        uint16
		proto, want string
	}{
		{80, "tcp", "http"}, {8080, "udp", "http"}, {80, "udp", ""}, {88, "tcp", "kerberos"},
		// NULL protocol: the first entry in the file, here the udp one.
		{7, "", "first"}, {7, "tcp", "second"},
	} {
		if n, ok := db.ServiceName(tc.port, tc.proto); n != tc.want || ok != (tc.want != "") {
			t.Errorf("ServiceName(%d, %q) = %q %v", tc.port, tc.proto, n, ok)
		}
	}
}

// TestMissingFiles: without netbase there are no names at all, as for
// glibc (and so for strongSwan, which has no table of its own).
func TestMissingFiles(t *testing.T) {
	dir := t.TempDir()
	db := Read(filepath.Join(dir, "protocols"), filepath.Join(dir, "services"))
	if _, ok := db.Protocol("tcp"); ok {
		t.Error("tcp resolved without /etc/protocols")
	}
	if _, ok := db.ServiceName(22, "tcp"); ok {
		t.Error("22 named without /etc/services")
	}
	var nilDB *DB
	if _, ok := nilDB.Protocol("tcp"); ok {
		t.Error("nil DB answered")
	}
	if err := os.WriteFile(filepath.Join(dir, "protocols"), []byte("tcp 6 TCP\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db = Read(filepath.Join(dir, "protocols"), filepath.Join(dir, "services"))
	if p, ok := db.Protocol("tcp"); !ok || p != 6 {
		t.Errorf("tcp = %d %v", p, ok)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(testProtocols, testServices)
	f.Fuzz(func(t *testing.T, protocols, services string) {
		db := Parse(protocols, services)
		for _, p := range db.protocols {
			if len(p.names) == 0 {
				t.Fatal("protocol without a name")
			}
			if _, ok := db.Protocol(p.names[0]); !ok {
				t.Fatalf("%s does not resolve", p.names[0])
			}
			if _, ok := db.ProtocolName(p.num); !ok {
				t.Fatalf("%d has no name", p.num)
			}
		}
		for _, s := range db.services {
			if _, ok := db.ServiceName(s.port, s.proto); !ok {
				t.Fatalf("%d/%s has no name", s.port, s.proto)
			}
		}
	})
}
