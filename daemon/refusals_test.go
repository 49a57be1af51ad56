package daemon

import (
	"context"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/confparse/ipsecconf"
	"github.com/goswan/goswan/confparse/settings"
	"github.com/goswan/goswan/starter"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/ikesim"
	"github.com/goswan/goswan/testing/refusals"
)

// strokeSocket serves d's stroke handlers on a socket in a temporary
// directory, as the daemon's stroke plugin does, and returns its path.
func strokeSocket(t *testing.T, d *Daemon) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "charon.ctl")
	srv, err := stroke.Listen(stroke.ServerConfig{Path: path, UID: -1, GID: -1, Log: bus.Ctx{Bus: d.bus},
		Handlers: stroke.Handlers{Control: &strokeControl{d: d}, Config: &strokeConfig{d: d}, CA: &strokeCA{d: d},
			Credentials: newStrokeCred(d)}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve() }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return path
}

// sendRaw writes an encoded stroke message and returns the reply.
func sendRaw(t *testing.T, path string, raw []byte) string {
	t.Helper()
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(raw); err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func encode(t *testing.T, m *stroke.Msg) []byte {
	t.Helper()
	raw, err := m.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// addConnFromConf is the add_conn starter sends for conn name of an
// ipsec.conf text.
func addConnFromConf(t *testing.T, text, name string) []byte {
	t.Helper()
	cfg, err := ipsecconf.Parse("ipsec.conf", []byte(text), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cfg.Conns {
		if c.Name == name {
			raw, err := starter.EncodeAddConn(&cfg.Setup, c, 1)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
	}
	t.Fatalf("no conn %s in\n%s", name, text)
	return nil
}

// A test per refusal (testing/refusals), through the stroke socket with
// the message starter sends: charon logs the reasons when the conn is
// added, loads it or not as the case says, and "ipsec up" of a refused
// conn answers as charon without it, with the reason.
func TestAddConnRefusals(t *testing.T) {
	for _, c := range refusals.Conns {
		t.Run(c.Name, func(t *testing.T) {
			c.Check(t)
			d, node := configNode(t)
			sock := strokeSocket(t, d)
			sendRaw(t, sock, addConnFromConf(t, c.Conf(), c.Name))
			text := node.LogText()
			rest := text
			for _, l := range c.CharonLines() {
				i := strings.Index(rest, "[CFG] "+l+"\n")
				if i < 0 {
					t.Fatalf("log lacks (in order)\n%s\ngot:\n%s", l, text)
				}
				rest = rest[i:]
			}
			if n := strings.Count(text, "conn '"+c.Name+"': "); n != len(c.Charon) {
				t.Errorf("%d refusal lines, want %d:\n%s", n, len(c.Charon), text)
			}
			loaded := d.backends.ByName(c.Name) != nil
			if loaded == c.Refused {
				t.Fatalf("loaded=%v, refused=%v\n%s", loaded, c.Refused, text)
			}
			if !c.Refused {
				return
			}
			reply := sendRaw(t, sock, encode(t, &stroke.Msg{Type: stroke.TypeInitiate, Verbosity: 1,
				Body: &stroke.Initiate{Name: stroke.S(c.Name)}}))
			want := "no config named '" + c.Name + "'\nconn '" + c.Name + "' was not added: " + c.Charon[0] + "\n"
			if !strings.HasPrefix(reply, want) {
				t.Errorf("ipsec up:\n got %q\nwant %q", reply, want)
			}
			if len(node.IKESAs()) != 0 {
				t.Error("ipsec up of a refused conn created an IKE_SA")
			}
			// starter's del_conn on update: as charon without the conn.
			sendRaw(t, sock, encode(t, &stroke.Msg{Type: stroke.TypeDelConn, Verbosity: -1,
				Body: &stroke.DelConn{Name: stroke.S(c.Name)}}))
			if d.backends.RefusedByName(c.Name) != nil || !strings.Contains(node.LogText(), "connection '"+c.Name+"' not found") {
				t.Errorf("del_conn of a refused conn:\n%s", node.LogText())
			}
		})
	}
}

// The refusals outside conns: strongswan.conf options when the daemon
// starts, cachecrls=yes (STR_CONFIG) and ca sections (STR_ADD_CA) when
// starter sends them.
func TestSettingRefusals(t *testing.T) {
	for _, s := range refusals.Settings {
		if s.Charon == "" {
			continue
		}
		t.Run(s.File+":"+strings.Fields(s.Text)[1], func(t *testing.T) {
			d, node := configNode(t)
			switch {
			case s.File == "strongswan.conf":
				conf, err := settings.Parse("strongswan.conf", []byte(s.Text), nil)
				if err != nil {
					t.Fatal(err)
				}
				d.logUnsupported(conf)
			case strings.Contains(s.Text, "cachecrls"):
				sendRaw(t, strokeSocket(t, d), encode(t, &stroke.Msg{Type: stroke.TypeConfig, Verbosity: -1,
					Body: &stroke.Config{CacheCRL: 1}}))
			default:
				sendRaw(t, strokeSocket(t, d), encode(t, &stroke.Msg{Type: stroke.TypeAddCA, Verbosity: -1,
					Body: &stroke.AddCA{Name: stroke.S("root"), CACert: stroke.S("rootCert.pem")}}))
			}
			if !strings.Contains(node.LogText(), "[CFG] "+s.Charon+"\n") {
				t.Errorf("log lacks\n%s\ngot:\n%s", s.Charon, node.LogText())
			}
		})
	}
}

// sunRefuses is moon with the PSK conn net-net and sun with conns added
// through the stroke socket from ipsec.conf text (others, loaded
// directly); moon has initiated and the exchanges have run.
func sunRefuses(t *testing.T, sunConf string, others ...ikesim.ConnOpts) (moon, sun *ikesim.Node) {
	s := ikesim.New(t)
	moon = s.AddNode("moon", "192.168.0.1", 1, nil)
	sun = s.AddNode("sun", "192.168.0.2", 2, nil)
	peer, child := moon.Conn(t, ikesim.ConnOpts{Name: "net-net", Local: "192.168.0.1", Remote: "192.168.0.2",
		LocalID: "@moon.strongswan.org", RemoteID: "@sun.strongswan.org"})
	for _, o := range others {
		sun.Conn(t, o)
	}
	d := simDaemon(sun)
	d.conf.Store(settings.Empty())
	sendRaw(t, strokeSocket(t, d), addConnFromConf(t, sunConf, "net-net"))
	moon.Initiate(peer, child)
	s.Advance(2 * time.Second)
	return moon, sun
}

const sunNetNet = `conn net-net
	left=192.168.0.2
	leftid=@sun.strongswan.org
	right=192.168.0.1
	rightid=@moon.strongswan.org
	keyexchange=ikev2
	mobike=no
	auto=add
`

// A responder that refused the only conn that fits answers as charon
// without it (NO_PROPOSAL_CHOSEN to IKE_SA_INIT, no IKE config found) and
// says why; neither side keeps an IKE_SA.
func TestRespondWithRefusedConn(t *testing.T) {
	moon, sun := sunRefuses(t, sunNetNet+"\tauthby=secret\n\tikedscp=101110\n")
	sun.WantLogOrder(t,
		"[IKE] no IKE config found for 192.168.0.2...192.168.0.1, sending NO_PROPOSAL_CHOSEN",
		"[CFG] conn 'net-net' would fit, but was not added: ikedscp=101110 needs DSCP marking of IKE packets, which goswan does not do yet",
		"[ENC] generating IKE_SA_INIT response 0 [ N(NO_PROP) ]")
	moon.WantLog(t, "[IKE] received NO_PROPOSAL_CHOSEN notify error")
	moon.WantNoIKESA(t)
	sun.WantNoIKESA(t)
}

// With another conn whose IKE config fits, the lookup fails in IKE_AUTH
// instead: AUTHENTICATION_FAILED as charon without the refused conn, the
// reason in the log, and no IKE_SA left on either side.
func TestAuthWithRefusedConn(t *testing.T) {
	moon, sun := sunRefuses(t, sunNetNet+"\tleftauth=psk\n\trightauth=psk\n\trightauth2=xauth\n",
		ikesim.ConnOpts{Name: "rw", Local: "192.168.0.2", Remote: "%any",
			LocalID: "@sun.strongswan.org", RemoteID: "@carol.strongswan.org"})
	sun.WantLogOrder(t,
		"[CFG] no matching peer config found",
		"[CFG] conn 'net-net' would fit, but was not added: rightauth2=xauth needs XAuth authentication, which goswan does not do yet",
		"[ENC] generating IKE_AUTH response 1 [ N(AUTH_FAILED) ]")
	moon.WantLog(t, "[IKE] received AUTHENTICATION_FAILED notify error")
	moon.WantNoIKESA(t)
	sun.WantNoIKESA(t)
}

// The refused conns of Debian's starter corpus (confparse/testdata/starter,
// the messages Debian's starter sent) are refused with their reasons, the
// others load.
func TestDebianStarterRefusals(t *testing.T) {
	d := configDaemon(t)
	sc := &strokeConfig{d: d}
	refused, loaded := 0, 0
	for _, m := range loadAllCaptures(t) {
		rs := starterView(m).Refusals()
		want := false
		for _, r := range rs {
			want = want || r.Refused
		}
		sc.AddConn(context.Background(), m)
		switch {
		case want && d.backends.RefusedByName(m.Name.Value) == nil:
			t.Errorf("%s: not refused: %v", m.Name, rs)
		case want:
			refused++
		case d.backends.ByName(m.Name.Value) != nil:
			loaded++
		}
		sc.DelConn(context.Background(), m.Name)
	}
	if refused == 0 || loaded == 0 {
		t.Errorf("%d refused, %d loaded: the corpus should have both", refused, loaded)
	}
}
