package daemon

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/config/feature"
	"github.com/goswan/goswan/stroke"
	"github.com/goswan/goswan/testing/refusals"
	"github.com/goswan/goswan/testing/testpki"
)

// certNode is configNode with an ipsec.d holding moon's certificate and
// the root CA (loaded, as at startup).
func certNode(t *testing.T) (*Daemon, func() string) {
	d, node := configNode(t)
	d.ipsecDir = filepath.Join(t.TempDir(), "ipsec.d")
	for _, sub := range []string{"cacerts", "certs", "crls"} {
		if err := os.MkdirAll(filepath.Join(d.ipsecDir, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	h := testpki.NewHierarchy(t, testpki.RSA2048, time.Now(), nil)
	put(t, filepath.Join(d.ipsecDir, "certs", "moonCert.pem"), h.Moon.PEM())
	put(t, filepath.Join(d.ipsecDir, "cacerts", "rootCert.pem"), h.Root.PEM())
	d.certs.ReplaceCACerts(d.cred.caDir())
	return d, node.LogText
}

// The conns that were refused until certificates and EAP were done
// (refusals.Supported) load through the stroke socket with starter's
// message, without a refusal line, and authenticate with public keys or
// with EAP.
func TestSupportedConnsLoad(t *testing.T) {
	for _, c := range refusals.Supported {
		t.Run(c.Name, func(t *testing.T) {
			d, logText := certNode(t)
			sendRaw(t, strokeSocket(t, d), addConnFromConf(t, c.Conf(), c.Name))
			if text := logText(); strings.Contains(text, "conn '"+c.Name+"': ") || strings.Contains(text, "does not do yet") {
				t.Errorf("refusal logged:\n%s", text)
			}
			peer := d.backends.ByName(c.Name)
			if peer == nil {
				t.Fatalf("not loaded:\n%s", logText())
			}
			switch c.Feature {
			case feature.Certificates:
				if len(peer.LocalAuth) == 0 || peer.LocalAuth[0].Class != config.AuthClassPubkey {
					t.Errorf("local auth %+v", peer.LocalAuth)
				}
			case feature.EAP:
				eap := false
				for _, a := range append(slices.Clone(peer.LocalAuth), peer.RemoteAuth...) {
					eap = eap || a.Class == config.AuthClassEAP
				}
				if !eap && !strings.Contains(c.Conf(), "_identity=") {
					t.Errorf("no EAP round: local %+v remote %+v", peer.LocalAuth, peer.RemoteAuth)
				}
			}
			if strings.Contains(c.Conf(), "leftcert=moonCert.pem") {
				a := peer.LocalAuth[0]
				if len(a.SubjectCerts) != 1 || a.Identity.String() != "moon.strongswan.org" {
					t.Errorf("leftcert: certs %d, identity %s\n%s", len(a.SubjectCerts), a.Identity, logText())
				}
				if !strings.Contains(logText(), `  loaded certificate "C=CH, O=strongSwan Project, CN=moon.strongswan.org" from 'moonCert.pem'`) {
					t.Errorf("log lacks the certificate:\n%s", logText())
				}
			}
		})
	}
}

// cachecrls=yes and ca sections, refused until certificates were done,
// are taken as charon takes them.
func TestSupportedSettings(t *testing.T) {
	d, logText := certNode(t)
	sock := strokeSocket(t, d)
	sendRaw(t, sock, encode(t, &stroke.Msg{Type: stroke.TypeConfig, Verbosity: -1, Body: &stroke.Config{CacheCRL: 1}}))
	sendRaw(t, sock, encode(t, &stroke.Msg{Type: stroke.TypeAddCA, Verbosity: -1,
		Body: &stroke.AddCA{Name: stroke.S("root"), CACert: stroke.S("rootCert.pem"),
			CRLURI: stroke.S("http://crl.strongswan.org/strongswan.crl")}}))
	wantInOrder(t, logText(),
		"[CFG] crl caching to "+d.ipsecD("crls")+" enabled\n",
		`[CFG]   loaded ca certificate "C=CH, O=strongSwan Project, CN=strongSwan Root CA" from 'rootCert.pem'`+"\n",
		"[CFG] added ca 'root'\n")
	if strings.Contains(logText(), "does not do yet") {
		t.Errorf("refusal logged:\n%s", logText())
	}
	if len(d.certs.CASections()) != 1 {
		t.Errorf("%d ca sections", len(d.certs.CASections()))
	}
}
