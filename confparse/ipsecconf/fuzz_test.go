package ipsecconf

import (
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/confparse"
	"github.com/goswan/goswan/confparse/internal/files"
)

// FuzzIpsecConf feeds arbitrary ipsec.conf content (which may include a
// second in-memory file, or itself) to the loader: it must return problems,
// never panic, and whatever it accepts must yield stroke messages.
func FuzzIpsecConf(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/starter/*.conf")
	more, _ := filepath.Glob("../testdata/seeds/*/*/ipsec.conf")
	seeds = append(seeds, more...)
	seeds = append(seeds, "../testdata/reference/ipsec.full.conf", "../testdata/seeds/004-mipv6-ha/ipsec.conf")
	files.AddSeedFiles(f, seeds...)
	f.Add("include inc.conf\nconn a\n\talso=b\n")
	f.Add("include ipsec.conf\n")
	f.Fuzz(func(t *testing.T, src string) {
		fsys := files.Map{
			"/etc/ipsec.conf": src,
			"/etc/inc.conf":   "conn b\n\tleftid=@b\n\tauto=add\n",
		}
		cfg, err := Load("/etc/ipsec.conf", &Options{FS: fsys, NetDB: testNetDB})
		if cfg == nil {
			t.Fatal("nil config")
		}
		for _, p := range cfg.Problems {
			if p.Pos.File == "" || p.Msg == "" {
				t.Fatalf("problem without position or message: %+v", p)
			}
		}
		if (err != nil) != (len(cfg.Problems.Filter(confparse.Fatal)) > 0) {
			t.Fatalf("error %v disagrees with problems %v", err, cfg.Problems)
		}
		if err != nil {
			return
		}
		_ = cfg.CheckValues()
		for _, m := range cfg.StartupMessages(1) {
			if m.Conn != nil {
				msg := m.Conn.AddConn(&cfg.Setup, m.ID)
				_ = msg.ChildLifetimes()
				_ = msg.IKETimes()
				for _, e := range []*End{&m.Conn.Left, &m.Conn.Right} {
					_, _ = cfg.TrafficSelectors(e)
					_ = e.IKEAddresses()
					_ = e.SourceIPs(e == &m.Conn.Right)
				}
			}
		}
	})
}
