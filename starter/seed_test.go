package starter

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestSeed004IsVerbatim: the startup corpus's 50-mipv6-ha.conf is the home
// agent configuration of seeds/004 (testdata/seed004, as the seed gives it)
// with only the directory of its two include lines changed, from
// /etc/ipsec.conf.d to the copy of that directory next to it, so that
// Debian's starter and goswan's read the seed's include files without a
// file in the machine's /etc. TestStartupParity/50-mipv6-ha then compares
// the four add_conn messages with Debian's starter's.
func TestSeed004IsVerbatim(t *testing.T) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed004", "ipsec.conf"))
	if err != nil {
		t.Fatal(err)
	}
	corpus, err := os.ReadFile(filepath.Join(startupDir, "50-mipv6-ha.conf"))
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.ReplaceAll(seed, []byte("include /etc/ipsec.conf.d/"), []byte("include ../seed004/ipsec.conf.d/"))
	if bytes.Equal(want, seed) || !bytes.Equal(corpus, want) {
		t.Fatalf("50-mipv6-ha.conf is not the seed with its include directory changed:\n%s", corpus)
	}
	for _, f := range []string{"carol.ipsec.conf", "dave.ipsec.conf"} {
		if _, err := os.Stat(filepath.Join("testdata", "seed004", "ipsec.conf.d", f)); err != nil {
			t.Error(err)
		}
	}
}
