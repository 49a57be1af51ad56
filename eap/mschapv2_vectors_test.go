package eap

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The example of RFC 2759 §9.2 and the MPPE keys of RFC 3079 §3.5.3.
func TestMSCHAPv2Vectors(t *testing.T) {
	pw := utf16le([]byte("clientPass"))
	ntHash := md4Sum(pw)
	if want := unhex(t, "44EBBA8D5312B8D611474411F56989AE"); !bytes.Equal(ntHash, want) {
		t.Fatalf("PasswordHash %X", ntHash)
	}
	hashHash := md4Sum(ntHash)
	if want := unhex(t, "41C00C584BD2D91C4017A2A12FA59F3F"); !bytes.Equal(hashHash, want) {
		t.Fatalf("PasswordHashHash %X", hashHash)
	}
	auth := unhex(t, "5B5D7C7D7B3F2F3E3C2C602132262628")
	peer := unhex(t, "21402324255E262A28295F2B3A337C7E")
	ch := mschapChallengeHash(peer, auth, []byte("User"))
	if want := unhex(t, "D02E4386BCE91226"); !bytes.Equal(ch, want) {
		t.Fatalf("ChallengeHash %X", ch)
	}
	m := &mschapv2{}
	m.generate(auth, peer, []byte("User"), ntHash)
	if want := unhex(t, "82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF"); !bytes.Equal(m.ntResponse, want) {
		t.Fatalf("NT-Response %X", m.ntResponse)
	}
	if want := unhex(t, "407A5589115FD0D6209F510FE9C04566932CDA56"); !bytes.Equal(m.authResp, want) {
		t.Fatalf("AuthenticatorResponse %X", m.authResp)
	}
	// RFC 3079 §3.5.3: the server's 128-bit send key.
	if want := unhex(t, "8B7CDC149B993A1BA118CB153F56DCCB"); !bytes.Equal(m.msk[16:32], want) {
		t.Fatalf("MSK %X", m.msk)
	}
	if len(m.msk) != 64 || !bytes.Equal(m.msk[32:], make([]byte, 32)) {
		t.Fatalf("MSK %X", m.msk)
	}
}

func TestUTF16LE(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"ab", "61006200"},
		{"\u00e4", "e400"},
		{"\U0001F600", "3dd800de"},
		{"a\xc3", "6100"},         // truncated sequence ends the input
		{"\xef\xb7\x90x", "7800"}, // U+FDD0 is no character
	} {
		if got := hex.EncodeToString(utf16le([]byte(c.in))); got != c.want {
			t.Errorf("utf16le(%q) = %s, want %s", c.in, got, c.want)
		}
	}
}

func TestExpandDESKey(t *testing.T) {
	// Each octet gets odd parity in its lowest bit.
	k := expandDESKey([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	for _, b := range k {
		if b != 0xff && b != 0xfe {
			t.Fatalf("%X", k)
		}
	}
}
