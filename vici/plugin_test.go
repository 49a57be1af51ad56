package vici_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/daemon"
	"github.com/goswan/goswan/processing"
	"github.com/goswan/goswan/sa"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/vici"
)

type fakeDaemon struct{}

func (fakeDaemon) Stats() vici.Stats {
	return vici.Stats{Plugins: []string{"random", "vici"}, Workers: processing.Stats{Threads: 16, Idle: 16}}
}
func (fakeDaemon) ReloadSettings() error               { return nil }
func (fakeDaemon) ConfPath() string                    { return "/etc/strongswan.conf" }
func (fakeDaemon) Algorithms() []vici.AlgorithmSection { return nil }
func (fakeDaemon) SocketPort() uint16                  { return 500 }

// lab is a vici plugin on moon of an in-process moon/sun pair; sun has the
// stroke-built net-net conn, moon gets whatever the test loads over vici
// (next to the stroke-built net-net conn ikesim gives it).
type lab struct {
	pair   *ikesim.Pair
	plugin *vici.Plugin
	uri    string
}

func newLab(t testing.TB) *lab { return newLabWith(t, nil, false) }

// newLabWith is newLab with the pair's conns adjusted and, if certs, a
// CertStore on moon's credential manager, as the daemon passes one.
func newLabWith(t testing.TB, mod func(moon, sun *ikesim.ConnOpts), certs bool) *lab {
	t.Helper()
	p := ikesim.NewPair(t, mod)
	env := p.Moon.Env
	traps := sa.NewTrapManager(env)
	shunts := sa.NewShuntManager(env)
	uri := "unix://" + filepath.Join(t.TempDir(), "charon.vici")
	pools := vici.NewPools(nil)
	env.Attributes.AddProvider(pools)
	deps := vici.Deps{
		Env: env, Traps: traps, Shunts: shunts,
		Control:  daemon.ViciControl(daemon.NewController(env)),
		Daemon:   fakeDaemon{},
		Features: vici.Features{Pools: pools},
	}
	if certs {
		deps.Features.Certs = &vici.ManagerStore{M: env.Certs,
			Opts: credentials.ConstraintOptions{SignatureAuthConstraints: true}}
	}
	plugin, err := vici.Start(vici.ServerConfig{URI: uri, UID: -1, GID: -1}, deps)
	if err != nil {
		t.Fatal(err)
	}
	go plugin.Serve()
	t.Cleanup(func() { plugin.Close() })
	return &lab{pair: p, plugin: plugin, uri: uri}
}

func (l *lab) client(t *testing.T) *vici.Client {
	t.Helper()
	c, err := vici.Dial(l.uri)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// section builds a message section as swanctl sends it.
type kv = [2]string

func conn(name string, top []kv, lists map[string][]string, subs ...*vici.Element) *vici.Message {
	sub := &vici.Message{}
	for _, p := range top {
		sub.Elements = append(sub.Elements, vici.Element{Kind: vici.KeyValue, Name: p[0], Value: []byte(p[1])})
	}
	keys := make([]string, 0, len(lists))
	for k := range lists {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		e := vici.Element{Kind: vici.List, Name: k}
		for _, it := range lists[k] {
			e.Items = append(e.Items, []byte(it))
		}
		sub.Elements = append(sub.Elements, e)
	}
	for _, s := range subs {
		sub.Elements = append(sub.Elements, *s)
	}
	return &vici.Message{Elements: []vici.Element{{Kind: vici.Section, Name: name, Sub: sub}}}
}

func sec(name string, top []kv, lists map[string][]string, subs ...*vici.Element) *vici.Element {
	m := conn(name, top, lists, subs...)
	return &m.Elements[0]
}

// gwConn is moon's net2net-psk conn of strongSwan's ikev2/net2net-psk.
func gwConn(childOpts ...kv) *vici.Message {
	child := append([]kv{{"esp_proposals", ""}}, childOpts...)[1:]
	return conn("gw-gw",
		[]kv{{"version", "2"}, {"mobike", "no"}, {"reauth_time", "10800"}},
		map[string][]string{"local_addrs": {"192.168.0.1"}, "remote_addrs": {"192.168.0.2"},
			"proposals": {"aes128-sha256-x25519"}},
		sec("local", []kv{{"auth", "psk"}, {"id", "moon.strongswan.org"}}, nil),
		sec("remote", []kv{{"auth", "psk"}, {"id", "sun.strongswan.org"}}, nil),
		sec("children", nil, nil,
			sec("net-net", child, map[string][]string{"local_ts": {"10.1.0.0/16"}, "remote_ts": {"10.2.0.0/16"},
				"esp_proposals": {"aes128gcm16"}})))
}

func mustOK(t *testing.T, m *vici.Message, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Str("success"); ok != "yes" {
		e, _ := m.Str("errmsg")
		t.Fatalf("success=%s errmsg=%q", ok, e)
	}
}

func wantErr(t *testing.T, m *vici.Message, err error, want string) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	ok, _ := m.Str("success")
	e, _ := m.Str("errmsg")
	if ok != "no" || e != want {
		t.Errorf("success=%s errmsg=%q, want no/%q", ok, e, want)
	}
}

// An EAP round as swanctl.conf writes it (auth = eap-md5, eap_id) loads
// and lists as charon lists it.
func TestLoadConnEAP(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	msg := conn("rw-eap", []kv{{"version", "2"}},
		map[string][]string{"local_addrs": {"192.168.0.1"}},
		sec("local", []kv{{"auth", "psk"}, {"id", "moon.strongswan.org"}}, nil),
		sec("remote", []kv{{"auth", "eap-md5"}, {"eap_id", "%any"}}, nil),
		sec("remote2", []kv{{"auth", "eap-radius"}, {"aaa_id", "aaa.strongswan.org"}}, nil))
	resp, err := c.Request("load-conn", msg)
	mustOK(t, resp, err)
	events, _, err := c.Stream("list-conns", "list-conn", nil)
	if err != nil || len(events) == 0 || events[len(events)-1].Elements[0].Name != "rw-eap" {
		t.Fatalf("list-conns: %v %v", events, err)
	}
	events = events[len(events)-1:]
	for key, want := range map[string]string{
		"rw-eap.remote-1.class": "EAP", "rw-eap.remote-1.eap-type": "EAP_MD5", "rw-eap.remote-1.eap_id": "%any",
		"rw-eap.remote-2.eap-type": "EAP_RADIUS",
		"rw-eap.remote-2.aaa_id":   "aaa.strongswan.org",
	} {
		if got, _ := events[0].Str(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
}

// EAP methods goswan does not have are refused when the conn is loaded,
// not when a peer asks for them.
func TestLoadConnRefusesMissingEAPMethods(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	for auth, f := range map[string]*feature.Feature{"eap-ttls": feature.OtherEAPMethods,
		"eap-mschapv2-1234": feature.OtherEAPMethods} {
		msg := conn("rw-eap", []kv{{"version", "2"}},
			map[string][]string{"local_addrs": {"192.168.0.1"}},
			sec("local", []kv{{"auth", "psk"}, {"id", "moon.strongswan.org"}}, nil),
			sec("remote", []kv{{"auth", auth}}, nil))
		resp, err := c.Request("load-conn", msg)
		wantErr(t, resp, err, "unsupported option: auth ("+f.Name+" is not supported by goswan yet), config discarded")
	}
}

func TestLoadConnListsBesideStrokeConns(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	resp, err := c.Request("load-conn", gwConn(kv{"rekey_time", "5400"}, kv{"rekey_bytes", "500000000"}))
	mustOK(t, resp, err)
	events, _, err := c.Stream("list-conns", "list-conn", nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range events {
		names = append(names, e.Elements[0].Name)
	}
	// The stroke backend first, as charon loads stroke before vici.
	if !slices.Equal(names, []string{"net-net", "gw-gw"}) {
		t.Fatalf("list-conns %v", names)
	}
	gw := events[1]
	for key, want := range map[string]string{
		"gw-gw.version": "IKEv2", "gw-gw.reauth_time": "10800", "gw-gw.rekey_time": "0",
		"gw-gw.unique": "UNIQUE_NO", "gw-gw.local-1.class": "pre-shared key", "gw-gw.local-1.id": "moon.strongswan.org",
		"gw-gw.children.net-net.mode": "TUNNEL", "gw-gw.children.net-net.rekey_time": "5400",
		"gw-gw.children.net-net.rekey_bytes": "500000000", "gw-gw.children.net-net.dpd_action": "none",
	} {
		if got, _ := gw.Str(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	resp, err = c.Request("get-conns", nil)
	if err != nil {
		t.Fatal(err)
	}
	if l := resp.Find("conns"); l == nil || len(l.Items) != 1 || string(l.Items[0]) != "gw-gw" {
		t.Errorf("get-conns: only vici's conns, got %+v", l)
	}
	// The IKE engine finds the vici conn: the backends answer for both.
	if p := l.pair.Moon.Env.Backends.ByName("gw-gw"); p == nil || p.Child("net-net") == nil {
		t.Error("backends do not know the vici conn")
	}
	wantErr(t, mustReq(t, c, "unload-conn", vici.Msg("name", "nope")), nil, "unload: connection 'nope' not found")
	mustOK(t, mustReq(t, c, "unload-conn", vici.Msg("name", "gw-gw")), nil)
	if l.pair.Moon.Env.Backends.ByName("gw-gw") != nil {
		t.Error("unloaded conn still known")
	}
}

func mustReq(t *testing.T, c *vici.Client, cmd string, m *vici.Message) *vici.Message {
	t.Helper()
	r, err := c.Request(cmd, m)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLoadConnRefusesWhatCharonRefusesAndWhatGoswanLacks(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	for _, tc := range []struct {
		msg  *vici.Message
		want string
	}{
		{conn("x", []kv{{"bogus", "1"}}, nil), "unknown option: bogus, config discarded"},
		{conn("x", []kv{{"mobike", "maybe"}}, nil), "invalid value for: mobike, config discarded"},
		{conn("x", nil, nil, sec("weird", nil, nil)), "invalid section: weird"},
		{conn("x", nil, nil, sec("children", nil, nil, sec("c", []kv{{"mode", "tunnel4"}}, nil))),
			"invalid value for: mode, config discarded"},
		{conn("x", nil, nil, sec("children", nil, nil, sec("c", nil, map[string][]string{"local_ts": {"10.0.0.0/33"}}))),
			"invalid value for: local_ts, config discarded"},
		{conn("x", []kv{{"version", "1"}}, nil), "unsupported option: version (goswan speaks IKEv2 only), config discarded"},
		{conn("x", nil, nil, sec("local", []kv{{"auth", "pubkey"}}, nil)),
			"unsupported option: auth (certificates and public key authentication over vici are not supported by goswan yet), config discarded"},
		{conn("x", nil, nil, sec("local", nil, map[string][]string{"certs": {"x"}})),
			"unsupported option: certs (certificates and public key authentication over vici are not supported by goswan yet), config discarded"},
		{conn("x", nil, nil, sec("remote", []kv{{"auth", "eap-tls:rsa-2048"}}, nil)),
			"unsupported option: auth (certificates and public key authentication over vici are not supported by goswan yet), config discarded"},
	} {
		wantErr(t, mustReq(t, c, "load-conn", tc.msg), nil, tc.want)
	}
	resp := mustReq(t, c, "get-conns", nil)
	if l := resp.Find("conns"); l == nil || len(l.Items) != 0 {
		t.Errorf("refused conns were loaded: %+v", l)
	}
}

func TestStartActionsFollowReloads(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	mustOK(t, mustReq(t, c, "load-conn", gwConn(kv{"start_action", "trap"})), nil)
	pols, _, err := c.Stream("list-policies", "list-policy", vici.Msg("trap", "yes"))
	if err != nil || len(pols) != 1 || pols[0].Elements[0].Name != "gw-gw/net-net" {
		t.Fatalf("trap not listed: %v %v", pols, err)
	}
	// Reloading the same conn changes nothing; another child replaces it.
	mustOK(t, mustReq(t, c, "load-conn", gwConn(kv{"start_action", "trap"})), nil)
	pols, _, _ = c.Stream("list-policies", "list-policy", vici.Msg("trap", "yes"))
	if len(pols) != 1 {
		t.Fatalf("%d traps after an identical reload", len(pols))
	}
	mustOK(t, mustReq(t, c, "load-conn", gwConn(kv{"start_action", "none"})), nil)
	pols, _, _ = c.Stream("list-policies", "list-policy", vici.Msg("trap", "yes"))
	if len(pols) != 0 {
		t.Fatalf("trap still installed after the child changed: %d", len(pols))
	}
	mustOK(t, mustReq(t, c, "install", vici.Msg("child", "net-net", "ike", "gw-gw")), nil)
	wantErr(t, mustReq(t, c, "install", vici.Msg("child", "nope")), nil, "configuration name not found")
	mustOK(t, mustReq(t, c, "uninstall", vici.Msg("child", "net-net")), nil)
	wantErr(t, mustReq(t, c, "uninstall", vici.Msg("child", "net-net")), nil, "policy 'net-net' not found")
}

func TestSharedKeysFormASetBesideStrokes(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	m := vici.Msg("id", "ike-1", "type", "IKE", "data", "secret one")
	m.Elements = append(m.Elements, vici.Element{Kind: vici.List, Name: "owners",
		Items: [][]byte{[]byte("moon.strongswan.org"), []byte("carol@strongswan.org")}})
	mustOK(t, mustReq(t, c, "load-shared", m), nil)
	mustOK(t, mustReq(t, c, "load-shared", vici.Msg("type", "eap", "data", "x")), nil)
	wantErr(t, mustReq(t, c, "load-shared", vici.Msg("type", "pin", "data", "x")), nil, "invalid shared key type: pin")
	wantErr(t, mustReq(t, c, "load-shared", vici.Msg("type", "ike")), nil, "shared key data missing")
	resp := mustReq(t, c, "get-shared", nil)
	if l := resp.Find("keys"); l == nil || len(l.Items) != 1 || string(l.Items[0]) != "ike-1" {
		t.Errorf("get-shared: %+v", l)
	}
	creds := l.pair.Moon.Env.Creds
	k, ok := creds.Shared(credentials.SharedIKE, credentials.ParseIdentity("carol@strongswan.org"), nil)
	if !ok || string(k.Secret) != "secret one" {
		t.Fatalf("the vici key is not used: %v", k)
	}
	mustOK(t, mustReq(t, c, "unload-shared", vici.Msg("id", "ike-1")), nil)
	if _, ok := creds.Shared(credentials.SharedIKE, credentials.ParseIdentity("carol@strongswan.org"), nil); ok {
		t.Error("unloaded key still used")
	}
	mustOK(t, mustReq(t, c, "clear-creds", nil), nil)
}

func TestFeaturesGoswanLacksAreRefusedNotPretended(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	for _, tc := range []struct {
		cmd  string
		msg  *vici.Message
		want string
	}{
		{"load-cert", vici.Msg("type", "x509", "data", "x"), "parsing X509 certificate failed: certificates and public key authentication over vici are not supported by goswan yet"},
		{"load-cert", vici.Msg("type", "X509", "flag", "bogus", "data", "x"), "invalid certificate flag 'bogus'"},
		{"load-cert", vici.Msg("type", "bogus"), "invalid certificate type 'bogus'"},
		{"load-cert", vici.Msg("type", "x509crl"), "certificate data missing"},
		{"load-key", vici.Msg("type", "rsa", "data", "x"), "parsing RSA private key failed: private keys over vici are not supported by goswan yet"},
		{"load-key", vici.Msg("type", "dsx", "data", "x"), "invalid key type: dsx"},
		{"unload-key", vici.Msg("id", "00:11"), "key not found"},
		{"load-token", vici.Msg("handle", "0011"), "loading private key from token failed"},
		{"load-authority", conn("strongswan", []kv{{"cacert", "x"}}, nil),
			"unsupported option: cacert (certification authority sections, attribute certificates and certificates from files or tokens over vici are not supported by goswan yet), authority discarded"},
		{"load-authority", conn("strongswan", []kv{{"bogus", "x"}}, nil), "unknown option: bogus, authority discarded"},
		{"unload-authority", vici.Msg("name", "strongswan"), "unload: authority 'strongswan' not found"},
		{"load-pool", conn("rw", nil, nil), "missing addrs for pool 'rw'"},
		{"load-pool", conn("rw", []kv{{"addrs", "10.3.0.0/33x"}, {"addrs", "1"}}, nil), "multiple addrs defined"},
		{"load-pool", conn("rw", []kv{{"addrs", "nonsense"}}, nil), "invalid addrs value: nonsense"},
		{"load-pool", conn("rw", []kv{{"addrs", "10.3.0.0/24"}}, map[string][]string{"dns": {"bogus"}}), "invalid attribute value for dns"},
		{"load-pool", conn("rw", []kv{{"addrs", "10.3.0.0/24"}}, map[string][]string{"wins": {"10.1.0.1"}}), "invalid attribute: wins"},
		{"unload-pool", vici.Msg("name", "rw"), "rw not found"},
		{"flush-certs", vici.Msg("type", "bogus"), "invalid certificate type 'bogus'"},
		{"get-counters", nil, "no counters available (plugin missing?)"},
		{"redirect", vici.Msg("ike", "gw-gw"), "missing target gateway"},
		{"redirect", vici.Msg("gateway", "192.168.0.3"), "missing redirect selector"},
		{"redirect", vici.Msg("gateway", "192.168.0.3", "ike", "gw-gw"), "no matching SAs to redirect found"},
		{"initiate", nil, "missing configuration name"},
		{"initiate", vici.Msg("child", "nope"), "CHILD_SA config 'nope' not found"},
		{"terminate", nil, "missing terminate selector"},
		{"terminate", vici.Msg("ike", "nope"), "no matching SAs to terminate found"},
		{"rekey", vici.Msg("child-id", "77"), "no matching SAs to rekey found"},
	} {
		wantErr(t, mustReq(t, c, tc.cmd, tc.msg), nil, tc.want)
	}
	mustOK(t, mustReq(t, c, "flush-certs", vici.Msg("type", "x509crl")), nil)
	for _, cmd := range []string{"list-certs", "list-authorities"} {
		ev := map[string]string{"list-certs": "list-cert", "list-authorities": "list-authority"}[cmd]
		events, _, err := c.Stream(cmd, ev, nil)
		if err != nil || len(events) != 0 {
			t.Errorf("%s: %d events, %v", cmd, len(events), err)
		}
	}
	for cmd, list := range map[string]string{"get-keys": "keys", "get-authorities": "authorities"} {
		if l := mustReq(t, c, cmd, nil).Find(list); l == nil || l.Kind != vici.List || len(l.Items) != 0 {
			t.Errorf("%s: %+v", cmd, l)
		}
	}
	if resp := mustReq(t, c, "get-pools", nil); len(resp.Elements) != 0 {
		t.Errorf("get-pools: %+v", resp)
	}
}

func TestInitiateStreamsControlLogAndSAsAreListed(t *testing.T) {
	l := newLab(t)
	c := l.client(t)
	watch := l.client(t)
	updown := make(chan string, 16)
	for _, ev := range []string{"ike-updown", "child-updown"} {
		ev := ev
		if err := watch.Register(ev, func(m *vici.Message) {
			updown <- ev + ":" + m.StrDefault("up", "no")
		}); err != nil {
			t.Fatal(err)
		}
	}
	logs, resp, err := c.Stream("initiate", "control-log", vici.Msg("child", "net-net"))
	mustOK(t, resp, err)
	var sawEstablished bool
	for _, m := range logs {
		if msg, _ := m.Str("msg"); strings.Contains(msg, "IKE_SA net-net[1] established between") {
			sawEstablished = true
			if g, _ := m.Str("group"); g != "IKE" {
				t.Errorf("group %q", g)
			}
			if n, _ := m.Str("ikesa-name"); n != "net-net" {
				t.Errorf("ikesa-name %q", n)
			}
		}
	}
	if !sawEstablished {
		t.Errorf("no control-log of the establishment among %d events", len(logs))
	}
	sas, _, err := c.Stream("list-sas", "list-sa", nil)
	if err != nil || len(sas) != 1 {
		t.Fatalf("list-sas: %d, %v", len(sas), err)
	}
	sa := sas[0]
	for key, want := range map[string]string{
		"net-net.version": "2", "net-net.state": "ESTABLISHED", "net-net.local-host": "192.168.0.1",
		"net-net.local-id": "moon.strongswan.org", "net-net.initiator": "yes", "net-net.encr-alg": "AES_CBC",
		"net-net.child-sas.net-net-1.state": "INSTALLED", "net-net.child-sas.net-net-1.protocol": "ESP",
		"net-net.child-sas.net-net-1.encr-alg": "AES_GCM_16",
	} {
		if got, _ := sa.Str(key); got != want {
			t.Errorf("%s = %q, want %q", key, got, want)
		}
	}
	resp, err = c.Request("terminate", vici.Msg("ike", "net-net"))
	mustOK(t, resp, err)
	if m, _ := resp.Str("matches"); m != "1" {
		t.Errorf("matches %s", m)
	}
	// The events travel to the other client's socket on their own; wait
	// for them (the deadline only bounds a failure).
	var got []string
	for len(got) < 4 {
		select {
		case e := <-updown:
			got = append(got, e)
		case <-time.After(10 * time.Second):
			t.Fatalf("events %v", got)
		}
	}
	if !slices.Equal(got, []string{"ike-updown:yes", "child-updown:yes", "ike-updown:no", "child-updown:no"}) {
		t.Errorf("events %v", got)
	}
}
