package vici_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/testpki"
	"github.com/goswan/goswan/testing/vclock"
	"github.com/goswan/goswan/vici"
)

// lineSink records the CFG lines of a bus, as charon's log shows them.
type lineSink struct {
	mu    sync.Mutex
	lines []string
}

func (s *lineSink) Log(g bus.Group, l bus.Level, _ int, _ bus.SAInfo, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lines = append(s.lines, msg)
}

func (s *lineSink) Level(bus.Group) bus.Level { return bus.Diag }

func (s *lineSink) has(line string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lines {
		if l == line {
			return true
		}
	}
	return false
}

// certLab is moon with a vici CertStore, sun with the stroke-built
// net-net conn authenticating with sun's certificate and trusting the root.
func certLab(t *testing.T) (*lab, *testpki.Hierarchy, *lineSink) {
	h := testpki.NewHierarchy(t, testpki.ECDSA256, vclock.Epoch, nil)
	l := newLabWith(t, func(moon, sun *ikesim.ConnOpts) {
		sun.PKI = &ikesim.PKIOpts{Cert: h.Sun, CAs: []*testpki.Cert{h.Root}}
	}, true)
	sink := &lineSink{}
	l.pair.Moon.Env.Bus.AddSink(sink)
	sunSink := &lineSink{}
	l.pair.Sun.Env.Bus.AddSink(sunSink)
	t.Cleanup(func() {
		if t.Failed() {
			for _, line := range sunSink.lines {
				t.Log("sun: " + line)
			}
		}
	})
	return l, h, sink
}

// certConn is net2net-cert's moon conn as swanctl sends it: the
// certificate's content in certs.
func certConn(h *testpki.Hierarchy, local []kv, certs map[string][]string, localSubs ...*vici.Element) *vici.Message {
	return certConnCA(h, local, certs, "C=CH, O=strongSwan Project, CN=strongSwan Root CA", localSubs...)
}

// certConnCA is certConn with the remote round's ca_id.
func certConnCA(h *testpki.Hierarchy, local []kv, certs map[string][]string, caID string, localSubs ...*vici.Element) *vici.Message {
	return conn("gw-gw",
		[]kv{{"version", "2"}, {"mobike", "no"}},
		map[string][]string{"local_addrs": {"192.168.0.1"}, "remote_addrs": {"192.168.0.2"},
			"proposals": {"aes128-sha256-x25519"}},
		sec("local", local, certs, localSubs...),
		sec("remote", []kv{{"auth", "pubkey"}, {"id", "sun.strongswan.org"}, {"ca_id", caID}}, nil),
		sec("children", nil, nil,
			sec("net-cert", nil, map[string][]string{"local_ts": {"10.1.0.0/16"}, "remote_ts": {"10.2.0.0/16"},
				"esp_proposals": {"aes128gcm16"}})))
}

func listCerts(t *testing.T, c *vici.Client, filter *vici.Message) []*vici.Message {
	t.Helper()
	events, resp, err := c.Stream("list-certs", "list-cert", filter)
	if err != nil || resp == nil {
		t.Fatalf("list-certs: %v", err)
	}
	return events
}

func TestLoadCertKeyAndAuthenticateWithThem(t *testing.T) {
	l, h, sink := certLab(t)
	c := l.client(t)
	id := loadMoonCreds(t, c, h, sink)
	checkListCerts(t, c, h)
	initiateCertConn(t, c, h)
	mustOK(t, mustReq(t, c, "unload-key", vici.Msg("id", id)), nil)
	if !sink.has("unloaded private key with id " + id) {
		t.Errorf("unload-key not logged")
	}
	if keys := mustReq(t, c, "get-keys", nil).Find("keys"); keys == nil || len(keys.Items) != 0 {
		t.Errorf("get-keys after unload: %+v", keys)
	}
	// Sun's certificate, received, is in the cache now, which list-certs
	// shows as charon's does.
	ev := listCerts(t, c, nil)
	if len(ev) != 3 {
		t.Errorf("list-certs after the IKE_SA and unload-key: %d", len(ev))
	}
	for _, e := range ev {
		if priv, _ := e.Str("has_privkey"); priv != "" {
			t.Errorf("has_privkey %q after unload-key", priv)
		}
	}
	mustOK(t, mustReq(t, c, "clear-creds", nil), nil)
	if ev := listCerts(t, c, nil); len(ev) != 0 {
		t.Errorf("list-certs after clear-creds: %d (the cache is flushed too)", len(ev))
	}
}

// loadMoonCreds loads the root CA, moon's certificate and key as swanctl
// does and returns the key's id.
func loadMoonCreds(t *testing.T, c *vici.Client, h *testpki.Hierarchy, sink *lineSink) string {
	t.Helper()
	mustOK(t, mustReq(t, c, "load-cert", vici.Msg("type", "X509", "flag", "CA", "data", string(h.Root.PEM()))), nil)
	mustOK(t, mustReq(t, c, "load-cert", vici.Msg("type", "X509", "flag", "NONE", "data", string(h.Moon.PEM()))), nil)
	resp := mustReq(t, c, "load-key", vici.Msg("type", "ecdsa", "data", string(h.Moon.KeyPEM())))
	mustOK(t, resp, nil)
	id, _ := resp.Str("id")
	if len(id) != 40 || strings.Contains(id, ":") {
		t.Errorf("key id %q: want 40 hex digits (%%+B)", id)
	}
	for _, line := range []string{"loaded certificate 'C=CH, O=strongSwan Project, CN=strongSwan Root CA'",
		"loaded certificate 'C=CH, O=strongSwan Project, CN=moon.strongswan.org'", "loaded ECDSA private key"} {
		if !sink.has(line) {
			t.Errorf("not logged: %q", line)
		}
	}
	if keys := mustReq(t, c, "get-keys", nil).Find("keys"); keys == nil || len(keys.Items) != 1 || string(keys.Items[0]) != id {
		t.Errorf("get-keys: %+v", keys)
	}
	return id
}

// checkListCerts: end entities first, then CAs, as enum_x509's passes,
// with the filters.
func checkListCerts(t *testing.T, c *vici.Client, h *testpki.Hierarchy) {
	t.Helper()
	events := listCerts(t, c, nil)
	if len(events) != 2 {
		t.Fatalf("list-certs: %d events", len(events))
	}
	for i, want := range []struct {
		flag, priv string
		der        []byte
	}{{"NONE", "yes", h.Moon.DER}, {"CA", "", h.Root.DER}} {
		e := events[i]
		typ, _ := e.Str("type")
		flag, _ := e.Str("flag")
		priv, _ := e.Str("has_privkey")
		data, _ := e.Value("data")
		if typ != "X509" || flag != want.flag || priv != want.priv || string(data) != string(want.der) {
			t.Errorf("event %d: type %q flag %q has_privkey %q, want X509 %q %q and the DER", i, typ, flag, priv, want.flag, want.priv)
		}
	}
	if ev := listCerts(t, c, vici.Msg("type", "x509ca")); len(ev) != 1 {
		t.Errorf("list-certs x509ca: %d events", len(ev))
	}
	if ev := listCerts(t, c, vici.Msg("subject", "moon.strongswan.org")); len(ev) != 1 {
		t.Errorf("list-certs by subject: %d events", len(ev))
	}
}

// initiateCertConn loads net2net-cert's conn and brings it up with sun.
func initiateCertConn(t *testing.T, c *vici.Client, h *testpki.Hierarchy) {
	t.Helper()
	// Sun expects the FQDN, not the certificate's DN: the conn names it.
	mustOK(t, mustReq(t, c, "load-conn", certConn(h, []kv{{"auth", "pubkey"}, {"id", "moon.strongswan.org"}},
		map[string][]string{"certs": {string(h.Moon.PEM())}})), nil)
	conns, _, err := c.Stream("list-conns", "list-conn", vici.Msg("ike", "gw-gw"))
	if err != nil || len(conns) != 1 {
		t.Fatalf("list-conns: %d, %v", len(conns), err)
	}
	if cl, _ := conns[0].Str("gw-gw.local-1.class"); cl != "public key" {
		t.Errorf("local-1.class %q", cl)
	}
	if certs := localCerts(conns[0]); certs == nil || len(certs.Items) != 1 ||
		string(certs.Items[0]) != "C=CH, O=strongSwan Project, CN=moon.strongswan.org" {
		t.Errorf("local-1.certs %+v", certs)
	}
	logs, resp, err := c.Stream("initiate", "control-log", vici.Msg("child", "net-cert"))
	var established bool
	for _, m := range logs {
		msg, _ := m.Str("msg")
		established = established || strings.Contains(msg,
			"IKE_SA gw-gw[1] established between 192.168.0.1[moon.strongswan.org]...192.168.0.2[sun.strongswan.org]")
	}
	if !established {
		for _, m := range logs {
			msg, _ := m.Str("msg")
			t.Log(msg)
		}
		t.Errorf("no establishment among %d control-log events", len(logs))
	}
	mustOK(t, resp, err)
	if sas, _, err := c.Stream("list-sas", "list-sa", nil); err != nil || len(sas) != 1 {
		t.Errorf("list-sas: %d, %v", len(sas), err)
	}
}

// Bad certificates, keys and conns from the socket get charon's error
// reply and log line, and lose nothing already loaded.
func TestBadCredentialsFromTheSocket(t *testing.T) {
	l, h, sink := certLab(t)
	c := l.client(t)
	mustOK(t, mustReq(t, c, "load-cert", vici.Msg("type", "x509ca", "data", string(h.Root.PEM()))), nil)
	resp := mustReq(t, c, "load-key", vici.Msg("type", "any", "data", string(h.Moon.KeyPEM())))
	mustOK(t, resp, nil)
	truncated := string(h.Moon.DER[:len(h.Moon.DER)/2])
	for _, tc := range []struct {
		cmd  string
		msg  *vici.Message
		want string
	}{
		{"load-cert", vici.Msg("type", "X509", "data", "garbage"), "parsing X509 certificate failed"},
		{"load-cert", vici.Msg("type", "X509", "data", truncated), "parsing X509 certificate failed"},
		{"load-cert", vici.Msg("type", "X509_CRL", "data", "garbage"), "parsing X509_CRL certificate failed"},
		{"load-cert", vici.Msg("type", "x509ca", "data", string(h.Moon.PEM())), "ca certificate lacks CA basic constraint, rejected"},
		{"load-cert", vici.Msg("type", "pubkey", "data", "x"), "parsing PUBKEY certificate failed: raw public keys are not supported by goswan yet"},
		{"load-cert", vici.Msg("type", "x509ac", "data", "x"),
			"parsing X509_AC certificate failed: certification authority sections, attribute certificates and certificates from files or tokens over vici are not supported by goswan yet"},
		{"load-key", vici.Msg("type", "rsa", "data", "garbage"), "parsing RSA private key failed"},
		{"load-key", vici.Msg("type", "rsa", "data", string(h.Sun.KeyPEM())), "parsing RSA private key failed"},
		{"load-conn", certConn(h, []kv{{"auth", "pubkey"}}, map[string][]string{"certs": {"garbage"}}),
			"invalid value for: certs, config discarded"},
		{"load-conn", certConn(h, []kv{{"auth", "pubkey"}}, map[string][]string{"pubkeys": {"x"}}),
			"unsupported option: pubkeys (raw public keys are not supported by goswan yet), config discarded"},
		{"load-conn", certConn(h, []kv{{"auth", "pubkey"}, {"ca_id", "%any"}, {"revocation", "sometimes"}}, nil),
			"invalid value for: revocation, config discarded"},
		{"load-conn", certConn(h, []kv{{"auth", "pubkey"}}, nil, sec("cert1", []kv{{"file", "/etc/swanctl/x509/a.pem"}}, nil)),
			"unsupported option: cert1 (certification authority sections, attribute certificates and certificates from files or tokens over vici are not supported by goswan yet), config discarded"},
	} {
		wantErr(t, mustReq(t, c, tc.cmd, tc.msg), nil, tc.want)
	}
	if !sink.has("  ca certificate lacks CA basic constraint, rejected") {
		t.Error("the CA rejection is not logged")
	}
	if !sink.has("loaded certificate 'C=CH, O=strongSwan Project, CN=moon.strongswan.org'") {
		t.Error("the certificate rejected as CA is not logged as loaded first")
	}
	if keys := mustReq(t, c, "get-keys", nil).Find("keys"); keys == nil || len(keys.Items) != 1 {
		t.Errorf("get-keys: %+v", keys)
	}
	if ev := listCerts(t, c, nil); len(ev) != 1 {
		t.Errorf("list-certs: %d events, want the CA only", len(ev))
	}
	if conns, _, _ := c.Stream("list-conns", "list-conn", vici.Msg("ike", "gw-gw")); len(conns) != 0 {
		t.Errorf("a discarded conn is listed")
	}
	// A conn without id defaults it to the certificate's subject, as
	// charon logs it.
	mustOK(t, mustReq(t, c, "load-conn", certConn(h, []kv{{"auth", "pubkey"}},
		map[string][]string{"certs": {string(h.Moon.DER)}})), nil)
	if !sink.has("  id not specified, defaulting to cert subject 'C=CH, O=strongSwan Project, CN=moon.strongswan.org'") {
		t.Error("the default id is not logged")
	}
}

// localCerts is the certs list of list-conn's gw-gw.local-1 section.
func localCerts(m *vici.Message) *vici.Element {
	gw := m.Find("gw-gw")
	if gw == nil || gw.Sub == nil {
		return nil
	}
	local := gw.Sub.Find("local-1")
	if local == nil || local.Sub == nil {
		return nil
	}
	return local.Sub.Find("certs")
}

// A CRL loaded over vici is listed as X509_CRL (after the certificates)
// and used; flush-certs of any type keeps what was loaded.
func TestLoadCRLAndFlush(t *testing.T) {
	l, h, sink := certLab(t)
	c := l.client(t)
	crl := testpki.CRL(t, h.Root, 1, vclock.Epoch, vclock.Epoch.Add(24*time.Hour))
	mustOK(t, mustReq(t, c, "load-cert", vici.Msg("type", "x509ca", "data", string(h.Root.DER))), nil)
	mustOK(t, mustReq(t, c, "load-cert", vici.Msg("type", "x509crl", "data", string(crl))), nil)
	if !sink.has("loaded certificate 'C=CH, O=strongSwan Project, CN=strongSwan Root CA'") {
		t.Error("the CRL's load is not logged with its issuer")
	}
	ev := listCerts(t, c, nil)
	if len(ev) != 2 {
		t.Fatalf("list-certs: %d events", len(ev))
	}
	if typ, _ := ev[1].Str("type"); typ != "X509_CRL" {
		t.Errorf("second event %q, want the CRL", typ)
	}
	if data, _ := ev[1].Value("data"); string(data) != string(crl) {
		t.Error("the CRL's data is not its DER")
	}
	if _, ok := ev[1].Str("flag"); ok {
		t.Error("a CRL has no X.509 flag")
	}
	if ev := listCerts(t, c, vici.Msg("type", "X509_CRL")); len(ev) != 1 {
		t.Errorf("list-certs X509_CRL: %d", len(ev))
	}
	for _, typ := range []string{"x509", "x509crl", "OCSP_RESPONSE", "ANY"} {
		mustOK(t, mustReq(t, c, "flush-certs", vici.Msg("type", typ)), nil)
	}
	if ev := listCerts(t, c, nil); len(ev) != 2 {
		t.Errorf("flush-certs dropped loaded credentials: %d left", len(ev))
	}
}

// ca_id requires the peer's chain to reach a CA of that name: another
// name fails the round with charon's log line.
func TestCAIdentityConstraint(t *testing.T) {
	l, h, sink := certLab(t)
	c := l.client(t)
	loadMoonCreds(t, c, h, sink)
	mustOK(t, mustReq(t, c, "load-conn", certConnCA(h, []kv{{"auth", "pubkey"}, {"id", "moon.strongswan.org"}},
		map[string][]string{"certs": {string(h.Moon.PEM())}}, "C=CH, O=Other, CN=Other CA")), nil)
	conns, _, err := c.Stream("list-conns", "list-conn", vici.Msg("ike", "gw-gw"))
	if err != nil || len(conns) != 1 {
		t.Fatalf("list-conns: %d, %v", len(conns), err)
	}
	if id, _ := conns[0].Str("gw-gw.remote-1.ca_id"); id != "C=CH, O=Other, CN=Other CA" {
		t.Errorf("remote-1.ca_id %q", id)
	}
	_, resp, _ := c.Stream("initiate", "control-log", vici.Msg("child", "net-cert"))
	wantErr(t, resp, nil, "establishing CHILD_SA 'net-cert' failed")
	if !sink.has("constraint check failed: peer not authenticated by CA 'C=CH, O=Other, CN=Other CA'") {
		t.Error("the CA constraint's failure is not logged")
	}
}
