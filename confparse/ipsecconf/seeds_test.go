package ipsecconf

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/goswan/goswan/confparse/internal/files"
)

func mustLoad(t *testing.T, path string, opts *Options) *Config {
	t.Helper()
	cfg, err := Load(path, opts)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return cfg
}

func connByName(t *testing.T, cfg *Config, name string) *Conn {
	t.Helper()
	for _, c := range cfg.Conns {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("no conn %q among %d", name, len(cfg.Conns))
	return nil
}

// TestSeedNet2NetRekey: moon's net-net conn of seeds/000 rekeys its
// CHILD_SA 5 s after it was created (lifetime 10 s, margintime 5 s) with no
// jitter (rekeyfuzz 0%), and the kernel SA gets soft 5 s / hard 10 s.
func TestSeedNet2NetRekey(t *testing.T) {
	moon := connByName(t, mustLoad(t, "../testdata/seeds/000-net2net-rekey/moon/ipsec.conf", nil), "net-net")
	if moon.Lifetime != 10 || moon.Margin != 5 || moon.RekeyFuzz != 0 {
		t.Fatalf("lifetime %d margin %d fuzz %d, want 10 5 0", moon.Lifetime, moon.Margin, moon.RekeyFuzz)
	}
	lt := moon.ChildLifetimes()
	if lt.Time != (Limit{Life: 10, Rekey: 5, Jitter: 0}) {
		t.Errorf("child time limits %+v, want life 10 rekey 5 jitter 0", lt.Time)
	}
	if lt.Bytes != (Limit{}) || lt.Packets != (Limit{}) {
		t.Errorf("volume limits %+v %+v, want none", lt.Bytes, lt.Packets)
	}
	// ikelifetime=60m with the 5 s margin; reauth is on by default.
	if got := moon.IKETimes(); got != (IKETimes{ReauthTime: 3595, JitterTime: 0, OverTime: 5}) {
		t.Errorf("IKE times %+v", got)
	}
	if moon.KeyingTries != 1 || moon.KeyExchange != IKEv2 || moon.Options&OptMobike != 0 {
		t.Errorf("keyingtries %d keyexchange %v options %#x", moon.KeyingTries, moon.KeyExchange, moon.Options)
	}
	if moon.Left.Updown != S("ipsec _updown iptables") || moon.Left.Host != S("PH_IP_MOON") ||
		moon.Left.ID != S("@moon.strongswan.org") || moon.Right.Subnet != S("10.2.0.0/16") {
		t.Errorf("ends %+v / %+v", moon.Left, moon.Right)
	}

	// sun uses the old names keylife= and rekeymargin= for the same fields:
	// 20 min, rekeyed 3 min early, with up to 100% of the margin as jitter.
	sun := connByName(t, mustLoad(t, "../testdata/seeds/000-net2net-rekey/sun/ipsec.conf", nil), "net-net")
	if got := sun.ChildLifetimes().Time; got != (Limit{Life: 1200, Rekey: 1020, Jitter: 180}) {
		t.Errorf("sun child time limits %+v", got)
	}
}

// TestSeedMIPv6 loads seeds/004's home agent config, whose includes are
// absolute paths, from an in-memory file system.
func TestSeedMIPv6(t *testing.T) {
	fsys := files.Map{}
	for name, path := range map[string]string{
		"/etc/ipsec.conf":                    "../testdata/seeds/004-mipv6-ha/ipsec.conf",
		"/etc/ipsec.conf.d/carol.ipsec.conf": "../testdata/seeds/004-mipv6-ha/ipsec.conf.d/carol.ipsec.conf",
		"/etc/ipsec.conf.d/dave.ipsec.conf":  "../testdata/seeds/004-mipv6-ha/ipsec.conf.d/dave.ipsec.conf",
	} {
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = string(data)
	}
	cfg := mustLoad(t, "/etc/ipsec.conf", &Options{FS: fsys, NetDB: testNetDB})
	var names []string
	for _, m := range cfg.StartupMessages(1) {
		names = append(names, m.Type.String()+" "+m.Name)
	}
	want := []string{"STR_ADD_CONN carol-mh", "STR_ADD_CONN carol-tunnel", "STR_ADD_CONN dave-mh", "STR_ADD_CONN dave-tunnel"}
	if len(names) != len(want) {
		t.Fatalf("messages %q, want %q", names, want)
	}
	for i := range want {
		if names[i] != want[i] {
			t.Errorf("message %d: %q, want %q", i, names[i], want[i])
		}
	}
	if got := cfg.Setup.CharonDebugArgs(); len(got) != 2 || got[0] != "--debug-knl" || got[1] != "2" {
		t.Errorf("charon arguments %q", got)
	}
	if n := len(cfg.Problems); n != 2 {
		t.Errorf("want the 2 deprecated keywords as warnings, got %v", cfg.Problems)
	}
	checkMIPv6Conns(t, cfg)
}

// checkMIPv6Conns checks the home agent's transport-proxy and tunnel conns.
func checkMIPv6Conns(t *testing.T, cfg *Config) {
	t.Helper()
	mh := connByName(t, cfg, "carol-mh")
	if mh.Mode != ModeTransport || !mh.ProxyMode || mh.InstallPolicy || mh.Options&(OptDontReauth|OptMobike) != OptDontReauth {
		t.Errorf("carol-mh mode %v proxy %v installpolicy %v options %#x", mh.Mode, mh.ProxyMode, mh.InstallPolicy, mh.Options)
	}
	if mh.Left.Subnet != S("2001:1::1/128") || mh.Right.Subnet != S("2001:1::10/128") ||
		mh.Left.Protocol != 135 || mh.Left.FromPort != 0 || mh.Left.ToPort != 0 ||
		mh.Right.Protocol != 135 || mh.Right.ID != S("carol@strongswan.org") ||
		mh.Left.Host != S("2001:1::1") || mh.Right.Host != S("%any") ||
		mh.IKE != S("aes128-sha1-modp2048!") || mh.ESP != S("aes128-sha1-modp2048!") {
		t.Errorf("carol-mh ends %+v / %+v", mh.Left, mh.Right)
	}
	tun := connByName(t, cfg, "dave-tunnel")
	if tun.Mode != ModeTunnel || tun.Left.Subnet != S("::/0") || tun.Right.Subnet != S("2001:1::20/128") || tun.Left.Protocol != 0 {
		t.Errorf("dave-tunnel %v %+v / %+v", tun.Mode, tun.Left, tun.Right)
	}
	// With reauth=no, the IKE_SA is rekeyed (not reauthenticated) after the
	// default 3h minus the default 9m margin, jitter up to 100% of it.
	if got := tun.IKETimes(); got != (IKETimes{RekeyTime: 10800 - 540, JitterTime: 540, OverTime: 540}) {
		t.Errorf("dave-tunnel IKE times %+v", got)
	}
}

// TestReferenceConfigs loads the configs of the live charon capture.
func TestReferenceConfigs(t *testing.T) {
	for _, host := range []string{"moon", "sun"} {
		cfg := mustLoad(t, filepath.Join("../testdata/reference/live", host, "ipsec.conf"), &Options{NetDB: testNetDB})
		if len(cfg.Conns) != 3 || len(cfg.Problems) != 0 {
			t.Fatalf("%s: %d conns, problems %v", host, len(cfg.Conns), cfg.Problems)
		}
		nn := connByName(t, cfg, "net-net")
		m := nn.AddConn(&cfg.Setup, 1)
		if m.Authby.MeAuth != S("psk") || m.Authby.OtherAuth != S("psk") || m.Rekey.IPsecLifetime != 1200 ||
			m.Rekey.IKELifetime != 3600 || m.Rekey.Margin != 180 || m.Rekey.Tries != 1 || m.Mobike != 0 {
			t.Errorf("%s net-net: %+v", host, m)
		}
		th := connByName(t, cfg, "trap-http")
		if th.Left.Subnet.Value == "" || th.Right.Subnet.Value == "" {
			t.Errorf("%s trap-http subnets %v %v", host, th.Left.Subnet, th.Right.Subnet)
		}
	}
	moon := mustLoad(t, "../testdata/reference/live/moon/ipsec.conf", nil)
	if hh := connByName(t, moon, "host-host"); hh.Auto != AutoRoute || hh.Mode != ModeTransport || hh.Left.Subnet.Set {
		t.Errorf("moon host-host %+v", hh)
	}
	if th := connByName(t, moon, "trap-http"); th.Left.Subnet != S("10.1.0.0/16[tcp]") || th.Right.Subnet != S("10.2.0.0/16[tcp/http]") {
		t.Errorf("moon trap-http subnets %v %v", th.Left.Subnet, th.Right.Subnet)
	}
}
