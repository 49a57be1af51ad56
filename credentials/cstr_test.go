package credentials

import (
	"encoding/hex"
	"math/rand"
	"strings"
	"testing"

	"github.com/goswan/goswan/internal/clib"
)

// TestInetGlibc compares the inet_pton/inet_ntop emulation with glibc's
// answers (testing/capture/credentials/inet_glibc.py).
func TestInetGlibc(t *testing.T) {
	for _, r := range readGolden(t, "inet_glibc.golden", 3) {
		kind, in, want := r[0], r[1], r[2]
		var got string
		switch kind {
		case "pton6":
			got = "!ERR"
			if ip, ok := clib.Pton6(in); ok {
				b := ip.As16()
				got = hex.EncodeToString(b[:])
			}
		case "pton4":
			got = "!ERR"
			if ip, ok := clib.Pton4(in); ok {
				b := ip.As4()
				got = hex.EncodeToString(b[:])
			}
		case "ntop6":
			b, err := hex.DecodeString(in)
			if err != nil {
				t.Fatal(err)
			}
			got = inetNtop6(b)
		default:
			t.Fatalf("unknown kind %q", kind)
		}
		if got != want {
			t.Errorf("%s(%q) = %q, glibc %q", kind, in, got, want)
		}
	}
}

func TestHexLoose(t *testing.T) {
	tests := map[string]string{
		"":          "",
		"0102":      "0102",
		"0x0102":    "0102",
		"0X0102":    "000102", // only a lowercase x is a prefix; 'X' reads as 0
		"abc":       "0abc",
		"a:b:cd":    "0bcd",
		"01:02:03":  "010203",
		":a":        "0a",
		"a::":       "00",
		"ab::":      "b0",
		"::ab":      "ab",
		"zz12":      "0012",
		"g":         "00",
		"0x":        "",
		"FFee":      "ffee",
		"0x45a3:07": "45a307",
	}
	for in, want := range tests {
		if got := hex.EncodeToString(DecodeHex(in)); got != want {
			t.Errorf("DecodeHex(%q) = %s, want %s", in, got, want)
		}
	}
	// any mix of digits and colons decodes without reading outside the input
	r := rand.New(rand.NewSource(1))
	for i := 0; i < 5000; i++ {
		b := make([]byte, r.Intn(12))
		for j := range b {
			b[j] = "0a:"[r.Intn(3)]
		}
		DecodeHex(string(b))
	}
}

func TestAtoi(t *testing.T) {
	tests := map[string]int32{
		"8": 8, " 8": 8, "\t+8": 8, "-8": -8, "8x": 8, "x8": 0, "": 0, "-": 0,
		"2147483647": 2147483647, "2147483648": -2147483648, "4294967304": 8,
		"99999999999999999999": -1, "-99999999999999999999": 0,
	}
	for in, want := range tests {
		if got := clib.Atoi(in); got != want {
			t.Errorf("atoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestStrtoul(t *testing.T) {
	tests := []struct {
		in       string
		v        uint64
		end      int
		rangeErr bool
	}{
		{"42}", 42, 2, false},
		{"0x2a}", 42, 4, false},
		{"0X2A}", 42, 4, false},
		{"052}", 42, 3, false},
		{"0x}", 0, 1, false},
		{"09}", 0, 1, false},
		{" 7}", 7, 2, false},
		{"+7}", 7, 2, false},
		{"-1}", ^uint64(0), 2, false},
		{"}", 0, 0, false},
		{" }", 0, 0, false},
		{"-}", 0, 0, false},
		{"18446744073709551615}", ^uint64(0), 20, false},
		{"18446744073709551616}", ^uint64(0), 20, true},
	}
	for _, tc := range tests {
		v, rest, rangeErr := clib.StrtoulErr(tc.in, 0)
		end := len(tc.in) - len(rest)
		if v != tc.v || end != tc.end || rangeErr != tc.rangeErr {
			t.Errorf("strtoul(%q) = %d,%d,%v want %d,%d,%v", tc.in, v, end, rangeErr, tc.v, tc.end, tc.rangeErr)
		}
	}
}

func TestStrncaseEqual(t *testing.T) {
	if !strncaseEqual("ABC", "abc", 3) || strncaseEqual("abc", "abd", 3) || !strncaseEqual("abc", "abd", 2) {
		t.Error("basic")
	}
	if !strncaseEqual("a\x00x", "a\x00y", 3) {
		t.Error("stops at a shared NUL")
	}
	if strncaseEqual("a\x00", "ab", 2) {
		t.Error("NUL against a character")
	}
	if strncaseEqual("\xc4", "\xe4", 1) {
		t.Error("folds only ASCII")
	}
}

func TestBoundedBuf(t *testing.T) {
	w := boundedBuf{size: 8}
	if !w.put("abc") || !w.put("defg") || string(w.s) != "abcdefg" {
		t.Fatalf("fitting writes: %q", w.s)
	}
	w = boundedBuf{size: 8}
	w.put("abcde")
	if w.put("xyz") || string(w.s) != "abcdexy" || w.pos != 5 {
		t.Fatalf("overflowing write: %q pos %d", w.s, w.pos)
	}
	if !w.put("1") || string(w.s) != "abcde1" {
		t.Fatalf("rewrite at the old position: %q", w.s)
	}
	if got := truncateBuf(strings.Repeat("x", 600)); len(got) != 511 {
		t.Errorf("truncateBuf: %d", len(got))
	}
}
