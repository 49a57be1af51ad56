package ipsecconf

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse"
)

// TestEveryKeywordHasAHandler writes every keyword starter knows into each
// kind of section, with a few values, and checks that each is either taken
// or rejected with a message, never silently mishandled.
func TestEveryKeywordHasAHandler(t *testing.T) {
	for kw := range keywords {
		if kw == "also" {
			continue
		}
		for _, v := range []string{"yes", "1", "%any", "", "x/y"} {
			for _, sec := range []string{"config setup", "conn c", "ca c"} {
				src := sec + "\n\t" + kw + "=\"" + v + "\"\n"
				cfg, err := parse(t, src)
				if cfg == nil {
					t.Fatalf("%q: nil config", src)
				}
				for _, p := range cfg.Problems {
					if p.Msg == "" || p.Pos.Line == 0 {
						t.Errorf("%q: problem without message or line: %+v", src, p)
					}
				}
				if sec == "config setup" && err == nil && len(cfg.Problems.Filter(confparse.Warning)) == 0 &&
					!strings.HasPrefix(kw, "charondebug") && keywords[kw] > kwSetupLast {
					t.Errorf("%q: a conn keyword accepted in config setup", src)
				}
			}
		}
	}
}

func TestCRValueMessage(t *testing.T) {
	cfg, err := parse(t, "conn a\n\tauto=add\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if e := cfg.Problems.Filter(confparse.Dropped); len(e) != 1 || !strings.Contains(e[0].Msg, `"add\r" (a carriage return`) {
		t.Errorf("%v", cfg.Problems)
	}
}
