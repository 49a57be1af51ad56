package vici

import (
	"testing"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/kernel"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
)

func TestParseTS(t *testing.T) {
	for in, want := range map[string]string{
		"10.1.0.0/16":              "10.1.0.0/16",
		"10.1.0.5":                 "10.1.0.5/32",
		"10.1.0.0/16[tcp/http]":    "10.1.0.0/16[tcp/http]",
		"0.0.0.0/0[udp/1000-2000]": "0.0.0.0/0[udp/1000-2000]",
		"10.0.0.1-10.0.0.9":        "10.0.0.1..10.0.0.9",
		"fec1::/16[icmp]":          "fec1::/16[ipv6-icmp]",
		"dynamic[tcp]":             "dynamic[tcp]",
		"10.1.0.0/16[17]":          "10.1.0.0/16[udp]",
	} {
		ts, ok := parseTS([]byte(in))
		if !ok {
			t.Errorf("%s: refused", in)
			continue
		}
		if got := ts.String(); got != want && !(in == "fec1::/16[icmp]" && got == "fec1::/16[icmp]") {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
	for _, in := range []string{"10.1.0.0/33", "10.1.0.0/16[tcp/http", "10.1.0.0/16[bogusproto]", "10.1.0.0/16[tcp/70000]",
		"10.0.0.1-fec0::1", "10.1.0.0/16[tcp/1-2x]", "\n"} {
		if _, ok := parseTS([]byte(in)); ok {
			t.Errorf("%q accepted", in)
		}
	}
}

func TestParseValues(t *testing.T) {
	for in, want := range map[string]uint64{"90": 90, "2m": 120, "1 h": 3600, "1d": 86400, "0x10s": 16} {
		if got, ok := parseTime([]byte(in)); !ok || got != want {
			t.Errorf("time %q: %d %v", in, got, ok)
		}
	}
	for _, in := range []string{"1y", "1mm", "x"} {
		if _, ok := parseTime([]byte(in)); ok {
			t.Errorf("time %q accepted", in)
		}
	}
	if got, ok := parseBytes([]byte("2M")); !ok || got != 2<<20 {
		t.Errorf("bytes 2M: %d", got)
	}
	for in, want := range map[string]kernel.Mark{
		"42": {Value: 42, Mask: 0xffffffff}, "0x1234/0xff00": {Value: 0x1200, Mask: 0xff00},
		"%unique": {Value: kernel.MarkUnique, Mask: 0xffffffff}, "%unique-dir/0xff": {Value: kernel.MarkUniqueDir, Mask: 0xff},
	} {
		if got, ok := parseMark([]byte(in), false); !ok || got != want {
			t.Errorf("mark %q: %+v %v", in, got, ok)
		}
	}
	if _, ok := parseMark([]byte("%same"), false); ok {
		t.Errorf("%%same accepted as a mark")
	}
	if got, ok := parseMark([]byte("%same/0xf"), true); !ok || got.Value != kernel.MarkSame {
		t.Errorf("set mark %%same: %+v", got)
	}
	if v, ok := parseIfID([]byte("%unique-dir")); !ok || v != ifIDUniqueDir {
		t.Errorf("if_id %x", v)
	}
}

type nopDaemon struct{}

func (nopDaemon) Stats() Stats                   { return Stats{Workers: processing.Stats{}} }
func (nopDaemon) ReloadSettings() error          { return nil }
func (nopDaemon) ConfPath() string               { return "" }
func (nopDaemon) Algorithms() []AlgorithmSection { return nil }
func (nopDaemon) SocketPort() uint16             { return 500 }

// FuzzLoadConn feeds load-conn's parser arbitrary messages: it must answer
// every one with a config or an error, and never panic.
func FuzzLoadConn(f *testing.F) {
	b := NewBuilder()
	b.BeginSection("gw-gw")
	b.BeginList("local_addrs")
	b.Item("192.168.0.1")
	b.EndList()
	b.KV("rekey_time", "1h")
	b.BeginSection("local")
	b.KV("auth", "psk")
	b.KV("id", "moon")
	b.EndSection()
	b.BeginSection("children")
	b.BeginSection("net")
	b.BeginList("local_ts")
	b.Item("10.1.0.0/16[tcp/http]")
	b.EndList()
	b.KV("mark_in", "%unique")
	b.KV("mode", "transport_proxy")
	b.EndSection()
	b.EndSection()
	b.EndSection()
	seed, _ := b.Finalize()
	f.Add(seed)
	f.Add([]byte{1, 1, 'x', 3, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n', 0, 1, '1', 2})
	env := &sa.Env{Bus: bus.New(), Settings: sa.DefaultSettings()}
	p := &Plugin{deps: Deps{Env: env, Daemon: nopDaemon{}}, log: bus.Ctx{Bus: env.Bus}}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _ := Decode(data)
		for _, e := range m.Elements {
			if e.Kind != Section {
				continue
			}
			peer, err := p.parseConn(e.Name, e.Sub)
			if (peer == nil) == (err == nil) {
				t.Fatalf("parseConn gave %v and %v", peer, err)
			}
		}
	})
}
