package sa_test

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// charon's receiver answers a message of an unknown major version with an
// IKEv2 response carrying INVALID_MAJOR_VERSION, the message's exchange
// type and ID, and then logs that it did. Its encoder builds that answer
// only where it has message rules for the exchange that need no keys:
// IKE_SA_INIT, INFORMATIONAL (in clear) and IKEv1's ID_PROT, AGGRESSIVE
// and INFORMATIONAL_V1 (whose rules have no place for an IKEv2 notify);
// for encrypted exchanges and those without rules it logs why and sends
// nothing (message.c generate_message). An IKEv1 message, which goswan
// cannot handle, gets no answer.
func TestInvalidMajorVersionAnswers(t *testing.T) {
	l := newLimitsLab(t, func(*sa.Settings) {})
	const (
		noRules   = "[ENC] no message rules specified for this message type"
		noAEAD    = "[ENC] unable to encrypt payloads without AEAD transform"
		noOrder   = "[ENC] payload NOTIFY has no ordering rule in "
		sending   = "[NET] sending packet: from 192.168.0.2[500] to 203.0.113.1[500] (36 bytes)"
		received  = "[NET] received unsupported IKE version "
		ikev1Drop = "[NET] received IKEv1 message from 203.0.113.1, IKEv1 is not supported - ignored"
	)
	for _, c := range []struct {
		version, exchange byte
		msgID             byte
		answered          bool
		logs              []string
	}{
		{0x30, 37, 9, true, []string{"[ENC] generating INFORMATIONAL response 9 [ N(INVAL_MAJOR) ]", sending, received + "3.0 from 203.0.113.1"}},
		{0x00, 34, 9, true, []string{"[ENC] generating IKE_SA_INIT response 9 [ N(INVAL_MAJOR) ]", sending, received + "0.0"}},
		{0x31, 2, 0, true, []string{noOrder + "ID_PROT response", "[ENC] generating ID_PROT response 0 [ N(INVAL_MAJOR) ]", sending, received + "3.1"}},
		{0x40, 4, 0, true, []string{noOrder + "AGGRESSIVE response", "[ENC] generating AGGRESSIVE response 0 [ N(INVAL_MAJOR) ]", sending}},
		{0x50, 5, 9, true, []string{noOrder + "INFORMATIONAL_V1 response", "[ENC] generating INFORMATIONAL_V1 response 9 [ N(INVAL_MAJOR) ]", sending, received + "5.0"}},
		{0x30, 35, 9, false, []string{"[ENC] generating IKE_AUTH response 9 [ N(INVAL_MAJOR) ]", noAEAD, received + "3.0"}},
		{0x30, 36, 9, false, []string{"[ENC] generating CREATE_CHILD_SA response 9 [ N(INVAL_MAJOR) ]", noAEAD}},
		{0x30, 240, 9, false, []string{"[ENC] generating ME_CONNECT response 9 [ N(INVAL_MAJOR) ]", noAEAD}},
		{0x30, 32, 9, false, []string{noOrder + "QUICK_MODE response", "[ENC] generating QUICK_MODE response 9 [ N(INVAL_MAJOR) ]", noAEAD}},
		{0x30, 6, 9, false, []string{noOrder + "TRANSACTION response", "[ENC] generating TRANSACTION response 9 [ N(INVAL_MAJOR) ]", noAEAD}},
		{0x40, 200, 9, false, []string{noRules, received + "4.0"}},
		{0x30, 33, 9, false, []string{noRules}},
		{0x30, 3, 9, false, []string{noRules}},
		{0x30, 38, 9, false, []string{noRules}},
		// ID_PROT and AGGRESSIVE with a message ID fail charon's header
		// check, whatever the version.
		{0x30, 2, 9, false, []string{"[NET] received invalid IKE header from 203.0.113.1 - ignored"}},
		{0x10, 2, 0, false, []string{ikev1Drop}},
	} {
		req := l.request(addr(1))
		req.Data[17], req.Data[18] = c.version, c.exchange
		req.Data[20], req.Data[21], req.Data[22], req.Data[23] = 0, 0, 0, c.msgID
		n, logged := len(l.Wire()), len(l.Sun.LogText())
		l.send(req)
		w := l.Wire()[n:]
		log := l.Sun.LogText()[logged:]
		rest := log
		for _, want := range c.logs {
			i := strings.Index(rest, want)
			if i < 0 {
				t.Errorf("version %#x exchange %d: log lacks %q (in this order):\n%s", c.version, c.exchange, want, log)
				break
			}
			rest = rest[i+len(want):]
		}
		if !c.answered {
			if len(w) != 0 || strings.Contains(log, "sending packet") {
				t.Errorf("version %#x exchange %d: answered", c.version, c.exchange)
			}
			continue
		}
		if len(w) != 1 {
			t.Fatalf("version %#x exchange %d: %d answers", c.version, c.exchange, len(w))
		}
		d := w[0].Packet.Data
		// The request's SPIs, an IKEv2 response without the I flag (the
		// request had it), a notify of the message's ID.
		if len(d) != 36 || string(d[:16]) != string(req.Data[:16]) || d[16] != byte(encoding.PayloadNotify) ||
			d[17] != 0x20 || d[18] != c.exchange || d[19] != encoding.FlagResponse || d[23] != c.msgID ||
			d[28+4+2] != 0 || d[28+4+3] != byte(encoding.NotifyInvalidMajorVersion) {
			t.Errorf("version %#x exchange %d: answer %x", c.version, c.exchange, d)
		}
	}
}
