package credentials

// Golden data from Debian's strongSwan 5.9.8 `pki`, which links the same
// libstrongswan as charon:
//
//   - testdata/dn_parse.golden: `pki --self --dn <string>` turns a string into
//     the certificate subject with identification_create_from_string, so the
//     subject's DER is charon's DN encoding; `pki --print` shows it with %Y.
//   - testdata/print.golden: certificates built here with arbitrary subject
//     and subjectAltName bytes, printed by `pki --print`; the subject is a DN
//     identity and each altName an FQDN/RFC822/URI/IPv4/IPv6 identity, all
//     printed with charon's %Y.
//
// TestGoldenPKI* check the committed files (no strongSwan needed). The
// TestLivePKI* tests run pki now and compare with this package; with -update
// they rewrite the files. See testdata/README.md.

import (
	"bufio"
	"crypto/ed25519"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goswan/goswan/testing/testenv"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from Debian's strongSwan")

// dnParseInputs exercise atodn: every attribute name, the separators,
// whitespace handling, string type choice, lengths, limits and failures.
var dnParseInputs = []string{
	"C=CH, O=strongSwan, CN=moon.strongswan.org",
	"C=CH, O=Linux strongSwan, OU=Research, CN=carol@strongswan.org",
	"/C=CH/O=strongSwan/CN=moon.strongswan.org",
	"c=ch, o=strongswan, cn=lower",
	"cN=MiXeD, Ou=Case",
	"CN=moon, E=moon@strongswan.org",
	"CN=moon, Email=moon@strongswan.org",
	"CN=moon, emailAddress=moon@strongswan.org",
	"EMAILADDRESS=upper@strongswan.org",
	"UN=unstructured name, unstructuredName=x",
	"UA=addr, unstructuredAddress=addr2",
	"ND=nd, UID=uid, DC=org, DC=strongswan",
	"SN=Surname, serialNumber=12345, L=Zurich, ST=ZH, STREET=Main St 1",
	"T=Title, D=Description, postalAddress=PA, postalCode=8000",
	"N=Name, G=Given, I=AB, dnQualifier=q, dmdName=dmd, pseudonym=ps",
	"ID=unique, EN=42, employeeNumber=43, TCGID=tcg",
	"CN=M\xc3\xbcller",
	"CN=under_score",
	"CN=a*b",
	"CN=*",
	"C=CH, O=strongSwan, CN=*",
	"CN=at@sign",
	"CN=amp&ersand",
	"CN=printable '()+,-./:=?",
	"E=ünicode@strongswan.org",
	"CN = spaced ,  O = out  ",
	"  CN=leading",
	"CN moon, O=x",
	"CN==double",
	"CN= =space-equals",
	"C=CH, CN=",
	"CN=, C=CH",
	"C=CH,",
	"C=CH, ",
	"CN=a/b, O=c",
	"/CN=a,b/O=c",
	"/CN=a, O=b",
	"//CN=x",
	"CN=tab\there",
	"CN=" + strings.Repeat("x", 127),
	"CN=" + strings.Repeat("y", 200),
	"CN=" + strings.Repeat("z", 300),
	"CN=1, CN=2, CN=3, CN=4, CN=5, CN=6, CN=7, CN=8, CN=9, CN=10, " +
		"CN=11, CN=12, CN=13, CN=14, CN=15, CN=16, CN=17, CN=18, CN=19, CN=20",
	"CN=1, CN=2, CN=3, CN=4, CN=5, CN=6, CN=7, CN=8, CN=9, CN=10, " +
		"CN=11, CN=12, CN=13, CN=14, CN=15, CN=16, CN=17, CN=18, CN=19, CN=20, CN=21",
	"X=unknown",
	"CN=x, , O=y",
	"C=CH, O",
	"C=CH, O ",
	"CN",
	"=x",
	"CN=x,O=y",
	"CN=x, role=y",
}

// pkiPlugins are the plugins the live tests load into Debian's pki, by a
// strongswan.conf of their own rather than this machine's: Ed25519 keys
// and signatures come from openssl.
var pkiPlugins = []string{"random", "nonce", "sha1", "sha2", "openssl", "x509", "pem", "pkcs1", "pkcs8", "pubkey"}

// requirePKI returns Debian's pki, and points STRONGSWAN_CONF for the test
// at a strongswan.conf that loads pkiPlugins into it.
func requirePKI(t *testing.T) string {
	t.Helper()
	pki := testenv.RequireCommand(t, "pki")
	testenv.RequirePlugins(t, pkiPlugins...)
	conf := filepath.Join(t.TempDir(), "strongswan.conf")
	if err := os.WriteFile(conf, []byte("pki {\n  load = "+strings.Join(pkiPlugins, " ")+"\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("STRONGSWAN_CONF", conf)
	return pki
}

func runPKI(t *testing.T, pki string, args ...string) ([]byte, error) {
	t.Helper()
	cmd := exec.Command(pki, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%v: %s", err, stderr.String())
	}
	return out, nil
}

// pkiPrintFields runs `pki --print` on a DER certificate and returns the
// quoted subject and the altNames text.
func pkiPrintFields(t *testing.T, pki string, dir string, cert []byte) (subject, alt string, err error) {
	t.Helper()
	path := filepath.Join(dir, "cert.der")
	if err := os.WriteFile(path, cert, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runPKI(t, pki, "--print", "--in", path)
	if err != nil {
		return "", "", err
	}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if rest, ok := strings.CutPrefix(line, "  subject:  \""); ok {
			subject = strings.TrimSuffix(rest, "\"")
		}
		if rest, ok := strings.CutPrefix(line, "  altNames:  "); ok {
			alt = rest
		}
	}
	return subject, alt, nil
}

// derSubject extracts the subject Name TLV from a DER certificate (the sixth
// element of the TBSCertificate, after the [0] version).
func derSubject(cert []byte) (string, error) {
	b := string(cert)
	all := span{n: len(b)}
	_, c := unwrap(b, &all)
	_, tbs := unwrap(b, &c)
	for i := 0; i < 5; i++ {
		if tag, _ := unwrap(b, &tbs); tag == asn1Invalid {
			return "", fmt.Errorf("bad certificate")
		}
	}
	start := tbs.off
	if tag, _ := unwrap(b, &tbs); tag != asn1Sequence {
		return "", fmt.Errorf("no subject")
	}
	return b[start:tbs.off], nil
}

// buildCert makes a self-signed Ed25519 certificate with the given raw
// subject Name and raw GeneralName entries for subjectAltName, so pki can be
// shown any bytes we like.
func buildCert(subject []byte, altNames ...[]byte) []byte {
	pub, priv, err := ed25519.GenerateKey(zeroReader{})
	if err != nil {
		panic(err)
	}
	ed := asn1Wrap(asn1Sequence, asn1Wrap(asn1OID, mustEncodeOID("1.3.101.112")))
	issuer, _ := parseDN("CN=goswan test issuer")
	validity := asn1Wrap(asn1Sequence,
		asn1Wrap(0x17, []byte("250101000000Z")), asn1Wrap(0x17, []byte("450101000000Z")))
	spki := asn1Wrap(asn1Sequence, ed, asn1Wrap(0x03, []byte{0}, pub))
	parts := [][]byte{
		{0xa0, 0x03, 0x02, 0x01, 0x02}, {0x02, 0x01, 0x01}, ed, issuer, validity, subject, spki,
	}
	if len(altNames) > 0 {
		san := asn1Wrap(asn1Sequence, asn1Wrap(asn1OID, mustEncodeOID("2.5.29.17")),
			asn1Wrap(asn1OctetString, asn1Wrap(asn1Sequence, altNames...)))
		parts = append(parts, asn1Wrap(0xa3, asn1Wrap(asn1Sequence, san)))
	}
	tbs := asn1Wrap(asn1Sequence, parts...)
	sig := ed25519.Sign(priv, tbs)
	return asn1Wrap(asn1Sequence, tbs, ed, asn1Wrap(0x03, []byte{0}, sig))
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// readGolden reads tab-separated lines; fields are Go-quoted strings.
func readGolden(t *testing.T, name string, fields int) [][]string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		parts := strings.Split(line, "\t")
		if len(parts) != fields {
			t.Fatalf("%s:%d: %d fields, want %d", name, i+1, len(parts), fields)
		}
		row := make([]string, fields)
		for j, p := range parts {
			if _, err := fmt.Sscanf(p, "%q", &row[j]); err != nil {
				t.Fatalf("%s:%d: field %d: %v", name, i+1, j+1, err)
			}
		}
		rows = append(rows, row)
	}
	return rows
}

func writeGolden(t *testing.T, name, header string, rows [][]string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(header)
	for _, r := range rows {
		for j, f := range r {
			if j > 0 {
				b.WriteByte('\t')
			}
			fmt.Fprintf(&b, "%q", f)
		}
		b.WriteByte('\n')
	}
	if err := os.WriteFile(filepath.Join("testdata", name), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// notDN marks inputs pki refused as "not a distinguished name".
const notDN = "!DN"

func checkDNParseRow(t *testing.T, input, derHex, printed string) {
	t.Helper()
	id := ParseIdentity(input)
	if derHex == notDN {
		if id.Type() == IDDerASN1DN {
			t.Errorf("ParseIdentity(%q) = DN %x, strongSwan made no DN of it", input, id.Encoding())
		}
		return
	}
	if id.Type() != IDDerASN1DN {
		t.Errorf("ParseIdentity(%q) type %v, want ID_DER_ASN1_DN", input, id.Type())
		return
	}
	if got := hex.EncodeToString(id.Encoding()); got != derHex {
		t.Errorf("ParseIdentity(%q) DER\n got %s\nwant %s", input, got, derHex)
	}
	if got := id.String(); got != printed {
		t.Errorf("ParseIdentity(%q).String()\n got %q\nwant %q", input, got, printed)
	}
}

func TestGoldenPKIDNParse(t *testing.T) {
	rows := readGolden(t, "dn_parse.golden", 3)
	if len(rows) < len(dnParseInputs) {
		t.Fatalf("golden has %d rows, want %d: rerun with -update", len(rows), len(dnParseInputs))
	}
	for _, r := range rows {
		checkDNParseRow(t, r[0], r[1], r[2])
	}
}

func TestLivePKIDNParse(t *testing.T) {
	pki := requirePKI(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "key.der")
	keyDER, err := runPKI(t, pki, "--gen", "--type", "ed25519")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(key, keyDER, 0o600); err != nil {
		t.Fatal(err)
	}
	var rows [][]string
	for _, in := range dnParseInputs {
		cert, err := runPKI(t, pki, "--self", "--in", key, "--type", "ed25519", "--dn", in)
		if err != nil {
			if !strings.Contains(err.Error(), "not a distinguished name") {
				t.Fatalf("pki --self --dn %q: %v", in, err)
			}
			rows = append(rows, []string{in, notDN, ""})
			continue
		}
		subj, err := derSubject(cert)
		if err != nil {
			t.Fatal(err)
		}
		printed, _, err := pkiPrintFields(t, pki, dir, cert)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, []string{in, hex.EncodeToString([]byte(subj)), printed})
	}
	for _, r := range rows {
		checkDNParseRow(t, r[0], r[1], r[2])
	}
	if *update {
		writeGolden(t, "dn_parse.golden",
			"# input\tsubject DER of `pki --self --dn input` (or !DN)\tits `pki --print` subject\n", rows)
	}
}

// printCase is a certificate subject or one subjectAltName, as raw DER.
type printCase struct {
	name    string
	subject []byte // a Name; nil for an altName case
	altName []byte // one GeneralName
}

func rdnSet(oid string, strType byte, value string) []byte {
	return asn1Wrap(asn1Set, asn1Wrap(asn1Sequence,
		asn1Wrap(asn1OID, mustEncodeOID(oid)), asn1Wrap(strType, []byte(value))))
}

func dnOf(sets ...[]byte) []byte { return asn1Wrap(asn1Sequence, sets...) }

func rawOIDSet(oid []byte, strType byte, value string) []byte {
	return asn1Wrap(asn1Set, asn1Wrap(asn1Sequence,
		asn1Wrap(asn1OID, oid), asn1Wrap(strType, []byte(value))))
}

func printCases() []printCase {
	p := byte(asn1PrintableString)
	u := byte(asn1UTF8String)
	cn := func(v string) []byte { return rdnSet("2.5.4.3", p, v) }
	long := make([][]byte, 0, 40)
	for i := 0; i < 40; i++ {
		long = append(long, cn(fmt.Sprintf("host%02d.strongswan.org", i)))
	}
	ip := func(b ...byte) []byte { return asn1Wrap(0x87, b) }
	v6 := func(h string) []byte {
		b, err := hex.DecodeString(h)
		if err != nil || len(b) != 16 {
			panic(h)
		}
		return ip(b...)
	}
	return []printCase{
		{"plain", dnOf(rdnSet("2.5.4.6", p, "CH"), rdnSet("2.5.4.10", p, "strongSwan"), cn("moon")), nil},
		{"all names", dnOf(rdnSet("0.2.262.1.10.7.20", p, "nd"), rdnSet("0.9.2342.19200300.100.1.1", p, "uid"),
			rdnSet("0.9.2342.19200300.100.1.25", p, "dc"), rdnSet("2.5.4.4", p, "sn"), rdnSet("2.5.4.5", p, "1"),
			rdnSet("2.5.4.7", p, "l"), rdnSet("2.5.4.8", p, "st"), rdnSet("2.5.4.9", p, "street"),
			rdnSet("2.5.4.11", p, "ou"), rdnSet("2.5.4.12", p, "t"), rdnSet("2.5.4.13", p, "d"),
			rdnSet("2.5.4.16", p, "pa"), rdnSet("2.5.4.17", p, "pc"), rdnSet("2.5.4.36", p, "uc"),
			rdnSet("2.5.4.41", p, "n"), rdnSet("2.5.4.42", p, "g"), rdnSet("2.5.4.43", p, "i"),
			rdnSet("2.5.4.45", p, "id"), rdnSet("2.5.4.46", p, "dnq"), rdnSet("2.5.4.54", p, "dmd"),
			rdnSet("2.5.4.65", p, "ps"), rdnSet("2.5.4.72", p, "role")), nil},
		{"pkcs9 and others", dnOf(rdnSet("1.2.840.113549.1.9.1", asn1IA5String, "e@x"),
			rdnSet("1.2.840.113549.1.9.2", asn1IA5String, "un"), rdnSet("1.2.840.113549.1.9.3", p, "ct"),
			rdnSet("1.2.840.113549.1.9.7", p, "cp"), rdnSet("1.2.840.113549.1.9.8", p, "ua"),
			rdnSet("1.2.840.113549.1.9.14", p, "er"), rdnSet("1.2.840.113549.1.9.15", p, "smime"),
			rdnSet("1.2.840.113549.1.9.22.1", p, "x509"), rdnSet("2.16.840.1.113730.3.1.3", p, "en"),
			rdnSet("1.3.6.1.4.1.1201.1.1.2.2.75", p, "tcg")), nil},
		{"unknown oids", dnOf(rdnSet("2.5.4.97", p, "orgid"), rdnSet("1.2.3.4", p, "x"),
			rdnSet("2.5.4.15", p, "business")), nil},
		{"oid prefixes", dnOf(rdnSet("2.5.4", p, "a"), rdnSet("2.5", p, "b"), rdnSet("1.2.840.113549.1.9", p, "c"),
			rdnSet("0.9.2342.19200300.100", p, "d"), rdnSet("2.16.840.1.113730.3.1", p, "e")), nil},
		{"oid past leaf", dnOf(rdnSet("2.5.4.3.1", p, "a"), rdnSet("2.5.4.6.99.1", p, "b"),
			rdnSet("1.2.840.113549.1.9.1.7", p, "c")), nil},
		{"oid sibling missing", dnOf(rdnSet("2.5.4.99", p, "a"), rdnSet("1.2.840.113549.1.9.99", p, "b")), nil},
		{"empty oid", dnOf(rawOIDSet(nil, p, "x"), cn("y")), nil},
		{"non-printable", dnOf(cn("tab\there"), rdnSet("2.5.4.10", u, "M\xc3\xbcller"), cn("nul\x00byte"), cn("\x7f\x80\xff")), nil},
		{"other string types", dnOf(rdnSet("2.5.4.3", 0x1e, "\x00b\x00m"), rdnSet("2.5.4.3", 0x02, "\x01"),
			rdnSet("2.5.4.3", 0x04, "octets")), nil},
		{"empty value middle", dnOf(cn("a"), cn(""), cn("b")), nil},
		{"empty value last", dnOf(cn("a"), cn("")), nil},
		{"empty value only", dnOf(cn("")), nil},
		{"two empty values", dnOf(cn(""), cn("")), nil},
		{"multi-valued rdn", dnOf(asn1Wrap(asn1Set,
			asn1Wrap(asn1Sequence, asn1Wrap(asn1OID, mustEncodeOID("2.5.4.3")), asn1Wrap(p, []byte("a"))),
			asn1Wrap(asn1Sequence, asn1Wrap(asn1OID, mustEncodeOID("2.5.4.11")), asn1Wrap(p, []byte("b")))),
			cn("c")), nil},
		{"empty dn", dnOf(), nil},
		{"empty set", dnOf(asn1Wrap(asn1Set)), nil},
		{"empty set after rdn", dnOf(cn("a"), asn1Wrap(asn1Set)), nil},
		{"trailing null", dnOf(cn("a"), []byte{0x05, 0x00}), nil},
		{"trailing in set", dnOf(asn1Wrap(asn1Set, asn1Wrap(asn1Sequence,
			asn1Wrap(asn1OID, mustEncodeOID("2.5.4.3")), asn1Wrap(p, []byte("a"))), []byte{0x05, 0x00})), nil},
		{"trailing in seq", dnOf(asn1Wrap(asn1Set, asn1Wrap(asn1Sequence,
			asn1Wrap(asn1OID, mustEncodeOID("2.5.4.3")), asn1Wrap(p, []byte("a")), []byte{0x05, 0x00}))), nil},
		{"not a set", dnOf(asn1Wrap(asn1Sequence, cn("a"))), nil},
		{"oid not oid", dnOf(asn1Wrap(asn1Set, asn1Wrap(asn1Sequence, asn1Wrap(0x04, []byte{0x55, 4, 3}),
			asn1Wrap(p, []byte("a"))))), nil},
		{"value missing", dnOf(asn1Wrap(asn1Set, asn1Wrap(asn1Sequence, asn1Wrap(asn1OID, mustEncodeOID("2.5.4.3"))))), nil},
		{"bad inner length", dnOf(cn("a"), []byte{0x31, 0x09, 0x30, 0x07, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x05}), nil},
		{"long length form", dnOf([]byte{0x31, 0x81, 0x0a, 0x30, 0x81, 0x07, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x00}), nil},
		{"long length five octets", dnOf([]byte{0x31, 0x85, 0, 0, 0, 0, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x01, 'a'}, cn("b")), nil},
		{"long length nine octets", dnOf([]byte{0x31, 0x89, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a, 0x30, 0x08, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x01, 'a'}, cn("b")), nil},
		{"value tag 0xff", dnOf(rdnSet("2.5.4.6", p, "CH"), rdnSet("2.5.4.3", 0xff, "x")), nil},
		{"long value", dnOf(cn(strings.Repeat("v", 300))), nil},
		{"truncated value", dnOf(cn("a"), cn(strings.Repeat("w", 600))), nil},
		{"truncated at separator", dnOf(long...), nil},
		{"truncated name", dnOf(cn(strings.Repeat("n", 505)), rdnSet("1.2.840.113549.1.9.2", p, "x")), nil},
		{"truncated unknown oid", dnOf(cn(strings.Repeat("n", 500)), rdnSet("1.2.3.4.5.6.7", p, "x")), nil},
		{"exact fit", dnOf(cn(strings.Repeat("f", 508))), nil},
		{"one over", dnOf(cn(strings.Repeat("f", 509))), nil},
		{"dns", dnOf(cn("san")), asn1Wrap(0x82, []byte("moon.strongswan.org"))},
		{"dns unprintable", dnOf(cn("san")), asn1Wrap(0x82, []byte("a\x00b\tc\xffd"))},
		{"dns long", dnOf(cn("san")), asn1Wrap(0x82, []byte(strings.Repeat("d", 600)))},
		{"dns empty", dnOf(cn("san")), asn1Wrap(0x82, nil)},
		{"rfc822", dnOf(cn("san")), asn1Wrap(0x81, []byte("carol@strongswan.org"))},
		{"uri", dnOf(cn("san")), asn1Wrap(0x86, []byte("http://crl.strongswan.org/x.crl"))},
		{"ipv4", dnOf(cn("san")), ip(192, 168, 0, 1)},
		{"ipv4 zero", dnOf(cn("san")), ip(0, 0, 0, 0)},
		{"ipv6 doc", dnOf(cn("san")), v6("fec00000000000000000000000000001")},
		{"ipv6 zero", dnOf(cn("san")), v6("00000000000000000000000000000000")},
		{"ipv6 loopback", dnOf(cn("san")), v6("00000000000000000000000000000001")},
		{"ipv6 compat", dnOf(cn("san")), v6("00000000000000000000000001020304")},
		{"ipv6 mapped", dnOf(cn("san")), v6("00000000000000000000ffffc0a80001")},
		{"ipv6 mapped zero", dnOf(cn("san")), v6("00000000000000000000ffff00000000")},
		{"ipv6 0.1.0.0", dnOf(cn("san")), v6("00000000000000000000000000010000")},
		{"ipv6 five zeros", dnOf(cn("san")), v6("0000000000000000000000010a000001")},
		{"ipv6 seven zeros", dnOf(cn("san")), v6("00000000000000000000000000000100")},
		{"ipv6 one zero", dnOf(cn("san")), v6("00010002000300040005000000070008")},
		{"ipv6 two runs", dnOf(cn("san")), v6("00010000000000020000000000000003")},
		{"ipv6 later run longer", dnOf(cn("san")), v6("00010000000200000000000000000003")},
		{"ipv6 trailing", dnOf(cn("san")), v6("fe800000000000000000000000000000")},
		{"ipv6 full", dnOf(cn("san")), v6("20010db885a308d313198a2e03707345")},
		{"ipv6 leading zeros", dnOf(cn("san")), v6("000a00b000c0d0000000000000000000")},
		{"directoryName", dnOf(cn("san")), asn1Wrap(0xa4, dnOf(rdnSet("2.5.4.6", p, "CH"), cn("dir")))},
	}
}

func checkPrintRow(t *testing.T, name, input, printed string) {
	t.Helper()
	b := []byte(input)
	var id *Identity
	if name, ok := strings.CutPrefix(name, "san:"); ok {
		// the altName's content, typed as the x509 plugin types it
		tag := b[0]
		content := string(b[len(b)-int(contentLen(b)):])
		switch tag {
		case 0x82:
			id = FromEncoding(IDFQDN, []byte(content))
		case 0x81:
			id = FromEncoding(IDRFC822Addr, []byte(content))
		case 0x86:
			id = FromEncoding(IDDerASN1GNURI, []byte(content))
		case 0x87:
			if len(content) == 4 {
				id = FromEncoding(IDIPv4Addr, []byte(content))
			} else {
				id = FromEncoding(IDIPv6Addr, []byte(content))
			}
		case 0xa4:
			id = FromEncoding(IDDerASN1DN, []byte(content))
		default:
			t.Fatalf("%s: unexpected tag %#x", name, tag)
		}
	} else {
		id = FromEncoding(IDDerASN1DN, b)
	}
	if got := id.String(); got != printed {
		t.Errorf("%s: %v %x prints\n got %q\nwant %q", name, id.Type(), id.Encoding(), got, printed)
	}
}

// contentLen is the length field of a single TLV.
func contentLen(b []byte) int {
	c := span{n: len(b)}
	_, in := unwrap(string(b), &c)
	return in.n
}

func TestGoldenPKIPrint(t *testing.T) {
	rows := readGolden(t, "print.golden", 3)
	if len(rows) < len(printCases()) {
		t.Fatalf("golden has %d rows, want %d: rerun with -update", len(rows), len(printCases()))
	}
	for _, r := range rows {
		in, err := hex.DecodeString(r[1])
		if err != nil {
			t.Fatal(err)
		}
		checkPrintRow(t, r[0], string(in), r[2])
	}
}

func TestLivePKIPrint(t *testing.T) {
	pki := requirePKI(t)
	dir := t.TempDir()
	var rows [][]string
	for _, c := range printCases() {
		var cert []byte
		if c.altName == nil {
			cert = buildCert(c.subject)
		} else {
			cert = buildCert(c.subject, c.altName)
		}
		subject, alt, err := pkiPrintFields(t, pki, dir, cert)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if c.altName == nil {
			rows = append(rows, []string{c.name, hex.EncodeToString(c.subject), subject})
		} else {
			rows = append(rows, []string{"san:" + c.name, hex.EncodeToString(c.altName), alt})
		}
	}
	for _, r := range rows {
		in, _ := hex.DecodeString(r[1])
		checkPrintRow(t, r[0], string(in), r[2])
	}
	if *update {
		writeGolden(t, "print.golden",
			"# case\tDER of a certificate subject (or san: one subjectAltName)\t`pki --print` output for it\n", rows)
	}
}
