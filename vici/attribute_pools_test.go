package vici_test

import (
	"net/netip"
	"testing"

	"github.com/goswan/goswan/attributes"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/vici"
)

// TestPools: load-pool, get-pools with leases, a lease taken through the
// attribute provider, the pool's attributes for its addresses only, and
// unload-pool refused while a lease is online (vici_attribute.c).
func TestPools(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	mustOK(t, mustReq(t, c, "load-pool", conn("bigpool", []kv{{"addrs", "10.3.0.1-10.3.3.232"}},
		map[string][]string{"dns": {"192.168.0.150", "fec1::20"}, "nbns": {"10.1.0.20"}, "subnet": {"10.1.0.0/16"}, "25": {"example.org"}})), nil)
	mustOK(t, mustReq(t, c, "load-pool", conn("small", []kv{{"addrs", "10.4.0.0/30"}}, nil)), nil)
	got := mustReq(t, c, "get-pools", nil)
	if v, _ := got.Str("bigpool.base"); v != "10.3.0.1" {
		t.Errorf("bigpool base %q", v)
	}
	if v, _ := got.Str("bigpool.size"); v != "1000" {
		t.Errorf("bigpool size %q", v)
	}
	if v, _ := got.Str("small.size"); v != "2" {
		t.Errorf("small size %q", v)
	}

	env := l.pair.Moon.Env
	sa := attributes.SA{ID: credentials.ParseIdentity("carol@strongswan.org"), Peer: netip.MustParseAddrPort("192.168.0.100:4500")}
	a := env.Attributes.AcquireAddress([]string{"bigpool"}, sa, netip.IPv4Unspecified())
	if a.String() != "10.3.0.1" {
		t.Fatalf("acquired %s", a)
	}
	attrs := env.Attributes.ResponderAttributes([]string{"small", "bigpool"}, sa, []netip.Addr{a})
	// in the order of the request, whose lists conn() sorts by name
	types := []encoding.ConfigAttribute{encoding.AttrInternalDNSDomain, encoding.AttrInternalIP4DNS,
		encoding.AttrInternalIP6DNS, encoding.AttrInternalIP4NBNS, encoding.AttrInternalIP4Subnet}
	if len(attrs) != len(types) {
		t.Fatalf("attributes %v", attrs)
	}
	for i, want := range types {
		if attrs[i].Type != want {
			t.Errorf("attribute %d: %s, want %s", i, attrs[i].Type, want)
		}
	}
	if string(attrs[0].Value) != "example.org" || len(attrs[4].Value) != 8 {
		t.Errorf("values %x %x", attrs[0].Value, attrs[4].Value)
	}

	leases := mustReq(t, c, "get-pools", vici.Msg("leases", "yes", "name", "bigpool"))
	for path, want := range map[string]string{"bigpool.online": "1", "bigpool.leases.0.address": "10.3.0.1",
		"bigpool.leases.0.identity": "carol@strongswan.org", "bigpool.leases.0.status": "online"} {
		if v, _ := leases.Str(path); v != want {
			t.Errorf("%s = %q, want %q", path, v, want)
		}
	}
	if leases.Find("small") != nil {
		t.Error("the name filter let small through")
	}
	wantErr(t, mustReq(t, c, "unload-pool", vici.Msg("name", "bigpool")), nil, "bigpool has online leases, unable to unload")
	wantErr(t, mustReq(t, c, "load-pool", conn("bigpool", []kv{{"addrs", "10.5.0.0/24"}}, nil)), nil,
		"vici pool bigpool has online leases, unable to replace")
	env.Attributes.ReleaseAddress([]string{"bigpool"}, a, sa)
	mustOK(t, mustReq(t, c, "unload-pool", vici.Msg("name", "bigpool")), nil)
	if mustReq(t, c, "get-pools", nil).Find("bigpool") != nil {
		t.Error("bigpool still listed")
	}
}

// TestConnPoolsAndVips: load-conn takes pools and vips (parse_stringlist,
// parse_hosts), and refuses an invalid virtual IP.
func TestConnPoolsAndVips(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	rw := conn("rw", []kv{{"version", "2"}},
		map[string][]string{"local_addrs": {"192.168.0.1"}, "pools": {"bigpool", "small"}},
		sec("local", []kv{{"auth", "psk"}}, nil), sec("remote", []kv{{"auth", "psk"}}, nil))
	mustOK(t, mustReq(t, c, "load-conn", rw), nil)
	home := conn("home", []kv{{"version", "2"}},
		map[string][]string{"remote_addrs": {"192.168.0.1"}, "vips": {"0.0.0.0", "::"}},
		sec("local", []kv{{"auth", "psk"}}, nil), sec("remote", []kv{{"auth", "psk"}}, nil))
	mustOK(t, mustReq(t, c, "load-conn", home), nil)
	bad := conn("bad", nil, map[string][]string{"vips": {"nonsense"}})
	wantErr(t, mustReq(t, c, "load-conn", bad), nil, "invalid value for: vips, config discarded")
	peer := l.pair.Moon.Env.Backends.ByName("rw")
	if peer == nil || len(peer.Pools) != 2 || peer.Pools[0] != "bigpool" || peer.Pools[1] != "small" {
		t.Errorf("rw pools: %+v", peer)
	}
	if peer := l.pair.Moon.Env.Backends.ByName("home"); peer == nil || len(peer.VirtualIPs) != 2 {
		t.Errorf("home vips: %+v", peer)
	}
}
