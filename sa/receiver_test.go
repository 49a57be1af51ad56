package sa_test

import (
	"testing"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// charon's receiver answers every message of an unknown major version
// with INVALID_MAJOR_VERSION, whatever its exchange, with the message's
// exchange type and ID; an IKEv1 message goswan cannot handle gets no
// answer.
func TestInvalidMajorVersionAnyExchange(t *testing.T) {
	l := newLimitsLab(t, func(*sa.Settings) {})
	for _, c := range []struct {
		version, exchange byte
		answered          bool
	}{{0x30, 37, true}, {0x40, 200, true}, {0x00, 34, true}, {0x10, 2, false}} {
		req := l.request(addr(1))
		req.Data[17], req.Data[18] = c.version, c.exchange
		if c.answered {
			req.Data[20], req.Data[23] = 0, 9 // message ID 9 (IKEv1's ID_PROT has none)
		}
		n := len(l.Wire())
		l.send(req)
		w := l.Wire()[n:]
		if !c.answered {
			if len(w) != 0 {
				t.Errorf("version %#x: answered", c.version)
			}
			continue
		}
		if len(w) != 1 {
			t.Fatalf("version %#x exchange %d: %d answers", c.version, c.exchange, len(w))
		}
		h, ok := encoding.ReadHeader(w[0].Packet.Data)
		if !ok && c.exchange != 200 {
			t.Fatalf("answer does not parse")
		}
		d := w[0].Packet.Data
		if d[17] != 0x20 || d[18] != c.exchange || d[23] != 9 || d[19]&encoding.FlagResponse == 0 ||
			d[28+4+2] != 0 || d[28+4+3] != byte(encoding.NotifyInvalidMajorVersion) {
			t.Errorf("version %#x exchange %d: answer %x (%+v)", c.version, c.exchange, d, h)
		}
	}
	l.Sun.WantLog(t, "[NET] received unsupported IKE version 4.0 from 203.0.113.1, sending INVALID_MAJOR_VERSION")
	l.Sun.WantLog(t, "[NET] received IKEv1 message from 203.0.113.1, IKEv1 is not supported - ignored")
}
