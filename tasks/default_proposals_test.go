package tasks_test

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/testing/ikesim"
)

// saPayloadOf returns the raw SA payload (generic header included) of an
// IKE_SA_INIT request: the first payload after the 28-byte IKE header.
func saPayloadOf(t *testing.T, msg []byte) []byte {
	t.Helper()
	if len(msg) >= 4 && bytes.Equal(msg[:4], []byte{0, 0, 0, 0}) {
		msg = msg[4:] // non-ESP marker
	}
	if len(msg) < 32 || encoding.PayloadType(msg[16]) != encoding.PayloadSA {
		t.Fatalf("not an IKE_SA_INIT starting with SA: %x", msg[:min(len(msg), 32)])
	}
	n := int(binary.BigEndian.Uint16(msg[30:]))
	if len(msg) < 28+n {
		t.Fatalf("SA payload of %d bytes in a %d-byte message", n, len(msg))
	}
	return msg[28 : 28+n]
}

// TestDefaultIKEProposalsOnTheWire: without ike=, goswan proposes what
// Debian's charon 5.9.8 with its default plugins proposes, byte for byte:
// the SA payload of goswan's IKE_SA_INIT request (proposals the daemon
// builds from the defaults reduced to what goswan implements) is the one of
// charon's, captured in crypto/testdata/strongswan/default.
func TestDefaultIKEProposalsOnTheWire(t *testing.T) {
	captured, err := os.ReadFile("../crypto/testdata/strongswan/default/ike_sa_init_request.bin")
	if err != nil {
		t.Fatal(err)
	}
	want := saPayloadOf(t, captured)
	p := ikesim.NewPair(t, nil)
	for _, n := range []*ikesim.Node{p.Moon, p.Sun} {
		// what daemon.strokeConfig.proposals builds for a conn without ike=
		n.Env.Backends.Peers()[0].IKE.Proposals = config.SupportedOnly(config.DefaultProposals(config.ProtoIKE))
	}
	p.Up()
	wire := p.Wire()
	if len(wire) == 0 {
		t.Fatal("nothing sent")
	}
	got := saPayloadOf(t, wire[0].Packet.Data)
	if !bytes.Equal(got, want) {
		t.Errorf("SA payload differs from charon's:\n got %x\nwant %x", got, want)
	}
	// and both goswan daemons agree on charon's choice from it
	p.Sun.WantLog(t, "[CFG] selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519")
	p.Moon.WantEstablished(t, 1)
}
