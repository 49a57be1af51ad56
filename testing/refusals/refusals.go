// Package refusals lists, for tests, one case per thing goswan refuses
// because it does not do it yet (config/feature): the ipsec.conf that asks
// for it, what ipsec checkconf says, and what charon logs when the conn is
// added. The ipsecconf, checkconf and daemon tests all run every case, so
// a refusal is tested end to end once it is listed here.
//
// When a feature becomes supported its cases fail (Check): replace them
// with the feature's own tests.
package refusals

import (
	"testing"

	"github.com/goswan/goswan/config/feature"
)

// Base is the ipsec.conf every conn case extends: a PSK conn goswan does
// (keyexchange=ikev2 and mobike=no, so that the defaults ask for nothing).
const Base = `conn %default
	authby=secret
	keyexchange=ikev2
	mobike=no
	left=192.168.0.1
	right=192.168.0.2
	leftid=@moon.strongswan.org
	rightid=@sun.strongswan.org
	leftsubnet=10.1.0.0/16
	rightsubnet=10.2.0.0/16
	auto=add
`

// Case is one refusal.
type Case struct {
	// Name is the conn's name.
	Name string
	// Lines are the conn's settings, one per line, added to Base.
	Lines []string
	// Feature is what goswan does not do.
	Feature *feature.Feature
	// Refused: charon does not load the conn; otherwise it loads it
	// without the feature.
	Refused bool
	// Checkconf is the reason checkconf gives, at the position of the first
	// line (or of the conn, when Lines set nothing it names).
	Checkconf string
	// AtConn: checkconf reports at the conn's header (a default).
	AtConn bool
	// Charon are the reasons charon logs when the conn is added, in order;
	// none when charon cannot tell (a default it does not log).
	Charon []string
}

// Conf is the ipsec.conf of the case.
func (c Case) Conf() string {
	s := Base + "\nconn " + c.Name + "\n"
	for _, l := range c.Lines {
		s += "\t" + l + "\n"
	}
	return s
}

// CharonLines are charon's log lines for the conn, as in its log.
func (c Case) CharonLines() []string {
	tail := "; ignored"
	if c.Refused {
		tail = "; connection not added"
	}
	var out []string
	for _, r := range c.Charon {
		out = append(out, "conn '"+c.Name+"': "+r+tail)
	}
	return out
}

// CheckconfLine is checkconf's line, after the position.
func (c Case) CheckconfLine() string {
	tail := "; charon loads it without that"
	if c.Refused {
		tail = "; charon does not load the conn"
	}
	if c.Feature == nil {
		tail = "; charon does not load the conn"
	}
	return "not supported: conn " + c.Name + ": " + c.Checkconf + tail
}

// Check fails the test for a case whose feature goswan now does.
func (c Case) Check(t *testing.T) {
	t.Helper()
	if c.Feature != nil && c.Feature.Supported {
		t.Fatalf("%s: %s is supported now: replace this refusal case with the feature's tests", c.Name, c.Feature)
	}
}

func needs(what string, f *feature.Feature) string {
	return what + " needs " + f.Name + ", which goswan does not do yet"
}

var rawKeys = feature.RawPublicKeys

// Conns are the refusals of conn keywords and values.
var Conns = []Case{
	{Name: "ikev1", Lines: []string{"keyexchange=ikev1"}, Feature: feature.IKEv1, Refused: true,
		Checkconf: needs("keyexchange=ikev1", feature.IKEv1), Charon: []string{needs("keyexchange=ikev1", feature.IKEv1)}},
	{Name: "ike-either", Lines: []string{"keyexchange=ike"}, Feature: feature.IKEv1,
		Checkconf: needs("keyexchange=ike", feature.IKEv1)},
	{Name: "aggressive", Lines: []string{"aggressive=yes"}, Feature: feature.IKEv1,
		Checkconf: needs("aggressive=yes", feature.IKEv1), Charon: []string{needs("aggressive=yes", feature.IKEv1)}},
	{Name: "modecfg-push", Lines: []string{"modeconfig=push"}, Feature: feature.IKEv1,
		Checkconf: needs("modeconfig=push", feature.IKEv1), Charon: []string{needs("modeconfig=push", feature.IKEv1)}},
	{Name: "leftsigkey", Lines: []string{"leftsigkey=moonKey.pem"}, Feature: rawKeys, Refused: true,
		Checkconf: needs("leftsigkey=moonKey.pem", rawKeys), Charon: []string{needs("leftsigkey=moonKey.pem", rawKeys)}},
	{Name: "xauthpsk", Lines: []string{"authby=xauthpsk"}, Feature: feature.XAuth, Refused: true,
		Checkconf: needs("authby=xauthpsk", feature.XAuth), Charon: []string{needs("leftauth2=xauth", feature.XAuth)}},
	{Name: "xauth-server", Lines: []string{"xauth=server"}, Feature: feature.XAuth,
		Checkconf: needs("xauth=server", feature.XAuth)},
	{Name: "xauth-identity", Lines: []string{"xauth_identity=alice"}, Feature: feature.XAuth,
		Checkconf: needs("xauth_identity=alice", feature.XAuth), Charon: []string{needs("xauth_identity=alice", feature.XAuth)}},
	{Name: "eap-ttls-second", Lines: []string{"rightauth2=eap-ttls"}, Feature: feature.OtherEAPMethods, Refused: true,
		Checkconf: needs("rightauth2=eap-ttls", feature.OtherEAPMethods), Charon: []string{needs("rightauth2=eap-ttls", feature.OtherEAPMethods)}},
	{Name: "eap-vendor", Lines: []string{"leftauth=pubkey", "rightauth=eap-200-12345"}, Feature: feature.OtherEAPMethods, Refused: true,
		Checkconf: needs("rightauth=eap-200-12345", feature.OtherEAPMethods), Charon: []string{needs("rightauth=eap-200-12345", feature.OtherEAPMethods)}},
	{Name: "mediation", Lines: []string{"mediation=yes"}, Feature: feature.Mediation, Refused: true,
		Checkconf: needs("mediation=yes", feature.Mediation), Charon: []string{needs("mediation=yes", feature.Mediation)}},
	{Name: "mediated", Lines: []string{"mediated_by=medsrv", "me_peerid=carol"}, Feature: feature.Mediation, Refused: true,
		Checkconf: needs("mediated_by=medsrv", feature.Mediation),
		Charon:    []string{needs("mediated_by=medsrv", feature.Mediation), needs("me_peerid=carol", feature.Mediation)}},
	{Name: "ikedscp", Lines: []string{"ikedscp=101110"}, Feature: feature.IKEDSCP, Refused: true,
		Checkconf: needs("ikedscp=101110", feature.IKEDSCP), Charon: []string{needs("ikedscp=101110", feature.IKEDSCP)}},
	// Algorithms strongSwan's parser takes and goswan's crypto lacks: no
	// feature switch, the crypto package decides.
	{Name: "blowfish", Lines: []string{"esp=blowfish128-sha256!"}, Refused: true,
		Checkconf: "esp=blowfish128-sha256!: goswan does not implement blowfish128 yet",
		Charon:    []string{"esp=blowfish128-sha256!: goswan does not implement blowfish128 yet"}},
}

// Setting is a refusal of a strongswan.conf option or of a config setup
// or ca section.
type Setting struct {
	// File is "strongswan.conf" or "ipsec.conf"; Text its content.
	File, Text string
	Feature    *feature.Feature
	// Line and Column of the refused setting.
	Line, Column int
	// Checkconf is checkconf's line after the position.
	Checkconf string
	// Charon is charon's log line (empty: it logs nothing).
	Charon string
}

// Settings are the refusals outside conn sections.
var Settings = []Setting{
	{File: "strongswan.conf", Text: "charon {\n\tplugins {\n\t\teap-radius {\n\t\t\taccounting = yes\n\t\t}\n\t}\n}\n",
		Feature: feature.RADIUSExtras, Line: 4, Column: 4,
		Checkconf: "not supported: " + needs("charon.plugins.eap-radius.accounting=yes", feature.RADIUSExtras) + "; charon goes on without it",
		Charon:    needs("charon.plugins.eap-radius.accounting=yes", feature.RADIUSExtras) + "; ignored"},
	{File: "strongswan.conf", Text: "charon {\n\ttls {\n\t\tsuites = TLS_DHE_RSA_WITH_AES_128_GCM_SHA256\n\t}\n}\n",
		Feature: feature.TLSAlgorithms, Line: 3, Column: 3,
		Checkconf: "not supported: " + needs("charon.tls.suites=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", feature.TLSAlgorithms) + "; charon goes on without it",
		Charon:    needs("charon.tls.suites=TLS_DHE_RSA_WITH_AES_128_GCM_SHA256", feature.TLSAlgorithms) + "; ignored"},
	{File: "strongswan.conf", Text: "charon {\n\tplugins {\n\t\teap-radius {\n\t\t\tdae {\n\t\t\t\tenable = yes\n\t\t\t}\n\t\t}\n\t}\n}\n",
		Feature: feature.RADIUSExtras, Line: 5, Column: 5,
		Checkconf: "not supported: " + needs("charon.plugins.eap-radius.dae.enable=yes", feature.RADIUSExtras) + "; charon goes on without it",
		Charon:    needs("charon.plugins.eap-radius.dae.enable=yes", feature.RADIUSExtras) + "; ignored"},
}
