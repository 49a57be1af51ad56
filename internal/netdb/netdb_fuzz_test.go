package netdb

import "testing"

// FuzzParse: any /etc/protocols and /etc/services text gives a database
// that answers lookups.
func FuzzParse(f *testing.F) {
	f.Add("ip\t0\tIP\ntcp\t6\tTCP\nudp\t17\tUDP # comment\n", "ssh\t\t22/tcp\nisakmp\t\t500/udp\n")
	f.Add("bad line\n999 x\n", "x 99999/tcp\n/udp\n")
	f.Fuzz(func(t *testing.T, protocols, services string) {
		db := Parse(protocols, services)
		for _, name := range []string{"tcp", "udp", "ssh", "isakmp", ""} {
			_, _ = db.Protocol(name)
			_, _ = db.Service(name)
			_, _ = db.ServiceProto(name, "udp")
		}
		for _, n := range []uint16{0, 6, 17, 22, 500, 65535} {
			_, _ = db.ProtocolName(uint8(n))
			_, _ = db.ServiceName(n, "udp")
			_, _ = db.ServiceName(n, "")
		}
	})
}
