package clib

import "testing"

func TestStrtoul(t *testing.T) {
	for _, tc := range []struct {
		in   string
		base int
		v    uint64
		rest string
	}{
		{"", 10, 0, ""},
		{"42", 10, 42, ""},
		{" 42", 10, 42, ""},
		{"+7s", 10, 7, "s"},
		{"-1", 10, ^uint64(0), ""},
		{"-5", 10, ^uint64(0) - 4, ""},
		{"m", 10, 0, "m"},
		{" ", 10, 0, " "},
		{"+", 10, 0, "+"},
		{"99999999999999999999999", 10, ^uint64(0), ""},
		{"0x1F", 0, 31, ""},
		{"0x", 0, 0, "x"},
		{"0xg", 16, 0, "xg"},
		{"017", 0, 15, ""},
		{"08", 0, 0, "8"},
		{"101110", 2, 46, ""},
		{"102", 2, 2, "2"},
		{"ff", 16, 255, ""},
		{"0XfF/0x3", 0, 255, "/0x3"},
	} {
		v, rest := Strtoul(tc.in, tc.base)
		if v != tc.v || rest != tc.rest {
			t.Errorf("Strtoul(%q, %d) = %d, %q; want %d, %q", tc.in, tc.base, v, rest, tc.v, tc.rest)
		}
	}
}

func TestStrtol(t *testing.T) {
	for _, tc := range []struct {
		in   string
		v    int64
		rest string
	}{
		{"-1", -1, ""},
		{"255", 255, ""},
		{"0x10-", 16, "-"},
		{"99999999999999999999", 1<<63 - 1, ""},
		{"-99999999999999999999", -1 << 63, ""},
		{"abc", 0, "abc"},
	} {
		v, rest := Strtol(tc.in, 0)
		if v != tc.v || rest != tc.rest {
			t.Errorf("Strtol(%q) = %d, %q; want %d, %q", tc.in, v, rest, tc.v, tc.rest)
		}
	}
}

func TestAtoi(t *testing.T) {
	for s, want := range map[string]int32{
		"": 0, "4": 4, "12": 12, "-1": -1, "-3": -3, " +7x": 7, "  +12x": 12, "x1": 0, "x9": 0, "\t\n-12": -12,
		"4294967297":            1,          // truncated from a long
		"99999999999":           1215752191, // likewise
		"99999999999999999999":  -1,         // saturated to LONG_MAX, then truncated
		"-99999999999999999999": 0,          // LONG_MIN truncates to 0
	} {
		if got := Atoi(s); got != want {
			t.Errorf("Atoi(%q) = %d, want %d", s, got, want)
		}
	}
}
