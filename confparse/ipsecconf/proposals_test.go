package ipsecconf

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckProposals(t *testing.T) {
	cfg, err := parse(t, "conn %default\n\tike=bogus-ike\nconn a\n\tesp=aes128-sha256!\n\tauto=add\nconn b\n\tike=aes128-sha256-modp2048\n\tah=nonsense\n")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	validate := func(proto, value string) error {
		seen = append(seen, proto+":"+value)
		if strings.Contains(value, "bogus") || strings.Contains(value, "nonsense") {
			return errors.New("unknown algorithm")
		}
		return nil
	}
	errs := cfg.CheckProposals(validate)
	if len(errs) != 2 {
		t.Fatalf("errors %v (validator saw %q)", errs, seen)
	}
	// The bad ike= is inherited from %default: the error points there.
	if errs[0].Pos.Line != 2 || errs[0].Section != "conn a" || !strings.Contains(errs[0].Msg, "invalid ike proposal 'bogus-ike'") {
		t.Errorf("%v", errs[0])
	}
	if errs[1].Pos.Line != 8 || errs[1].Section != "conn b" {
		t.Errorf("%v", errs[1])
	}
	if seen[1] != "esp:aes128-sha256!" {
		t.Errorf("the validator must get the value as written: %q", seen)
	}
	if cfg.CheckProposals(nil) != nil {
		t.Error("no validator, no errors")
	}
}
