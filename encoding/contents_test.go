package encoding

import (
	"encoding/binary"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// decodedPacket returns the captured packet whose file name starts with
// prefix, decoded and decrypted.
func decodedPacket(t *testing.T, c *capture, prefix string) *Message {
	t.Helper()
	for _, pk := range c.packets {
		if strings.HasPrefix(pk.name, prefix) {
			m, err := Decode(pk.data)
			if err != nil {
				t.Fatal(err)
			}
			if m.Encrypted() {
				c.decrypt(t, pk.name, m)
			}
			return m
		}
	}
	t.Fatalf("%s: no packet %s*", c.run, prefix)
	return nil
}

func spiOf(p Proposal) uint32 { return binary.BigEndian.Uint32(p.SPI) }

func rangeOf(proto uint8, from, to string) TrafficSelector {
	return AddressRange(proto, 0, 65535, netip.MustParseAddr(from), netip.MustParseAddr(to))
}

// TestCaptureContents checks decoded fields against what charon logged
// about the same exchanges in the gcm run ("CHILD_SA net-net{1} established
// with SPIs 01790e17_i acdce22a_o and TS 10.1.0.0/16 fd01::/64 ===
// 10.2.0.0/16 fd02::/64", "selected proposal: IKE:AES_GCM_16_256/
// PRF_HMAC_SHA2_384/ECP_384", "sending DELETE for ESP CHILD_SA with SPI
// 01790e17") and the eapcp run ("installing new virtual IP 10.3.0.1").
func TestCaptureContents(t *testing.T) {
	gcm := loadCapture(t, "gcm")
	t.Run("IKE_SA_INIT", func(t *testing.T) { checkCapturedInit(t, gcm) })
	t.Run("IKE_AUTH", func(t *testing.T) { checkCapturedAuth(t, gcm) })
	t.Run("rekey and delete", func(t *testing.T) { checkCapturedRekeyDelete(t, gcm) })
	t.Run("EAP and CP", func(t *testing.T) { checkCapturedEAPCP(t, loadCapture(t, "eapcp")) })
}

// checkCapturedInit: the IKE_SA_INIT response of the gcm run.
func checkCapturedInit(t *testing.T, c *capture) {
	init := decodedPacket(t, c, "02_")
	prop := init.First(PayloadSA).(*SA).Proposals[0]
	want := []Transform{
		{Type: TransformENCR, ID: 20, Attributes: []TransformAttribute{KeyLengthAttribute(256)}}, // AES_GCM_16_256
		{Type: TransformPRF, ID: 6}, // PRF_HMAC_SHA2_384
		{Type: TransformDH, ID: 20}, // ECP_384
	}
	if prop.Protocol != ProtocolIKE || len(prop.SPI) != 0 || !reflect.DeepEqual(prop.Transforms, want) {
		t.Errorf("IKE_SA_INIT response proposal %+v", prop)
	}
	if ke := init.First(PayloadKE).(*KE); ke.Group != 20 || len(ke.Data) != 96 {
		t.Errorf("KE group %d with %d bytes", ke.Group, len(ke.Data))
	}
}

// checkCapturedAuth: the IKE_AUTH exchange of the gcm run.
func checkCapturedAuth(t *testing.T, c *capture) {
	auth := decodedPacket(t, c, "03_")
	if id := auth.First(PayloadIDi).(*ID); id.IDType != IDFQDN || string(id.Data) != "moon.strongswan.org" {
		t.Errorf("IDi %v %q", id.IDType, id.Data)
	}
	if a := auth.First(PayloadAUTH).(*Auth); a.Method != AuthPSK || len(a.Data) != 48 {
		t.Errorf("AUTH %v with %d bytes (PRF_HMAC_SHA2_384)", a.Method, len(a.Data))
	}
	if p := auth.First(PayloadSA).(*SA).Proposals[0]; p.Protocol != ProtocolESP || spiOf(p) != 0x01790e17 {
		t.Errorf("IKE_AUTH request proposal %+v", p)
	}
	tsi, tsr := auth.First(PayloadTSi).(*TS), auth.First(PayloadTSr).(*TS)
	if !reflect.DeepEqual(tsi.Selectors, []TrafficSelector{
		rangeOf(0, "10.1.0.0", "10.1.255.255"), rangeOf(0, "fd01::", "fd01::ffff:ffff:ffff:ffff"),
	}) || tsi.Responder {
		t.Errorf("TSi %+v", tsi)
	}
	if !reflect.DeepEqual(tsr.Selectors, []TrafficSelector{
		rangeOf(0, "10.2.0.0", "10.2.255.255"), rangeOf(0, "fd02::", "fd02::ffff:ffff:ffff:ffff"),
	}) || !tsr.Responder {
		t.Errorf("TSr %+v", tsr)
	}
	resp := decodedPacket(t, c, "04_")
	if p := resp.First(PayloadSA).(*SA).Proposals[0]; spiOf(p) != 0xacdce22a {
		t.Errorf("IKE_AUTH response SPI %x", p.SPI)
	}
}

// checkCapturedRekeyDelete: the CHILD_SA rekey, its delete, the IKE rekey
// and the IKE delete of the gcm run.
func checkCapturedRekeyDelete(t *testing.T, c *capture) {
	rekey := decodedPacket(t, c, "05_")
	n := rekey.Notify(NotifyRekeySA)
	if n == nil || n.Protocol != ProtocolESP || binary.BigEndian.Uint32(n.SPI) != 0x01790e17 {
		t.Errorf("REKEY_SA %+v", n)
	}
	if p := rekey.First(PayloadSA).(*SA).Proposals[0]; spiOf(p) != 0x62d07cc4 {
		t.Errorf("rekey SPI %x", p.SPI)
	}
	if ke := rekey.First(PayloadKE).(*KE); ke.Group != 20 {
		t.Errorf("rekey KE group %d", ke.Group)
	}

	del := decodedPacket(t, c, "07_").First(PayloadDelete).(*Delete)
	if !reflect.DeepEqual(del, &Delete{Protocol: ProtocolESP, SPIs: []uint32{0x01790e17}}) {
		t.Errorf("delete %+v", del)
	}
	ikeRekey := decodedPacket(t, c, "09_").First(PayloadSA).(*SA).Proposals[0]
	if ikeRekey.Protocol != ProtocolIKE || len(ikeRekey.SPI) != 8 {
		t.Errorf("IKE rekey proposal %+v", ikeRekey)
	}
	if d := decodedPacket(t, c, "11_").First(PayloadDelete).(*Delete); d.Protocol != ProtocolIKE || len(d.SPIs) != 0 {
		t.Errorf("IKE delete %+v", d)
	}
}

// checkCapturedEAPCP: the configuration payloads and EAP of the eapcp run.
func checkCapturedEAPCP(t *testing.T, c *capture) {
	req := decodedPacket(t, c, "03_").First(PayloadCP).(*CP)
	if !reflect.DeepEqual(req, &CP{CPType: CPRequest, Attributes: []CPAttribute{{Type: AttrInternalIP4Address}}}) {
		t.Errorf("CP request %+v", req)
	}
	eap := decodedPacket(t, c, "04_").First(PayloadEAP).(*EAP)
	if typ, _ := eap.Method(); eap.Code() != EAPRequest || typ != EAPIdentity {
		t.Errorf("EAP %v %v", eap.Code(), typ)
	}
	reply := decodedPacket(t, c, "10_")
	cp := reply.First(PayloadCP).(*CP)
	if !reflect.DeepEqual(cp, &CP{CPType: CPReply, Attributes: []CPAttribute{
		{Type: AttrInternalIP4Address, Value: []byte{10, 3, 0, 1}},
		{Type: AttrInternalIP4DNS, Value: []byte{10, 2, 0, 53}},
	}}) {
		t.Errorf("CP reply %+v", cp)
	}
	if ts := reply.First(PayloadTSi).(*TS); !reflect.DeepEqual(ts.Selectors, []TrafficSelector{rangeOf(0, "10.3.0.1", "10.3.0.1")}) {
		t.Errorf("TSi %+v", ts)
	}
	if n := reply.Notify(NotifyAuthLifetime); n == nil || len(n.Data) != 4 {
		t.Errorf("AUTH_LIFETIME %+v", n)
	}
}
