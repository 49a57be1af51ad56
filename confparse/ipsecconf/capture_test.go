package ipsecconf

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const refCaptures = "../testdata/reference"

// TestReferenceCaptures compares the messages starter sent for the
// reference configs (captured by the project's fact-finding, see
// testdata/reference/README.md) with what Conn.AddConn computes.
func TestReferenceCaptures(t *testing.T) {
	for _, tc := range []struct {
		conf, prefix string
		msgs         int
	}{
		{"ipsec.minimal.conf", "starter_minimal_", 1},
		{"ipsec.full.conf", "starter_full_", 7},
	} {
		t.Run(tc.conf, func(t *testing.T) {
			cfg, err := Load(filepath.Join(refCaptures, tc.conf), &Options{NetDB: testNetDB})
			if err != nil {
				t.Fatal(err)
			}
			bins, _ := filepath.Glob(filepath.Join(refCaptures, tc.prefix+"*.bin"))
			if len(bins) < tc.msgs {
				t.Fatalf("%d captures, want at least %d", len(bins), tc.msgs)
			}
			// The first tc.msgs messages are the startup sequence.
			compareSequence(t, cfg, bins[:tc.msgs])
		})
	}
}

func compareSequence(t *testing.T, cfg *Config, bins []string) {
	t.Helper()
	want := cfg.StartupMessages(1)
	if len(want) != len(bins) {
		t.Errorf("computed %d startup messages, starter sent %d", len(want), len(bins))
	}
	for i, bin := range bins {
		raw, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeStroke(raw)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(bin), err)
			continue
		}
		if got.Verbosity != -1 {
			t.Errorf("%s: output_verbosity %d, starter always sends -1", filepath.Base(bin), got.Verbosity)
		}
		if i >= len(want) {
			t.Errorf("%s: starter sent %v %q, nothing computed", filepath.Base(bin), got.Type, got.Name)
			continue
		}
		w := want[i]
		if got.Type != w.Type || got.Name != w.Name {
			t.Errorf("message %d: computed %v %q, starter sent %v %q", i+1, w.Type, w.Name, got.Type, got.Name)
			continue
		}
		switch w.Type {
		case MsgAddConn:
			mine := w.Conn.AddConn(&cfg.Setup, w.ID)
			if d := diffStructs("", reflect.ValueOf(mine), reflect.ValueOf(*got.AddConn)); len(d) > 0 {
				t.Errorf("%s (conn %s):\n  %s", filepath.Base(bin), w.Name, strings.Join(d, "\n  "))
			}
		case MsgAddCA:
			mine := w.CA.AddCA()
			if d := diffStructs("", reflect.ValueOf(mine), reflect.ValueOf(*got.AddCA)); len(d) > 0 {
				t.Errorf("%s (ca %s):\n  %s", filepath.Base(bin), w.Name, strings.Join(d, "\n  "))
			}
		case MsgConfig:
			if got.CacheCRL != 1 {
				t.Errorf("%s: cachecrl %d, want 1", filepath.Base(bin), got.CacheCRL)
			}
		}
	}
}
