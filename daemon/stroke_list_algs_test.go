package daemon

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/stroke"
)

// parseAlgorithms reads charon's listalgs output back into entries.
func parseAlgorithms(t *testing.T, s string) [numAlgorithmClasses][]Algorithm {
	t.Helper()
	var out [numAlgorithmClasses][]Algorithm
	class := -1
	for _, l := range strings.Split(s, "\n") {
		for i, label := range algClassLabels {
			if strings.HasPrefix(l, label) {
				class, l = i, l[len(label):]
			}
		}
		if class < 0 || l == "" {
			continue
		}
		l = strings.TrimPrefix(l, strings.Repeat(" ", 13))
		for _, e := range strings.Fields(l) {
			name, prov, ok := strings.Cut(strings.TrimSuffix(e, "]"), "[")
			if !ok {
				t.Fatalf("entry %q", e)
			}
			out[class] = append(out[class], Algorithm{Name: name, Provider: prov})
		}
	}
	return out
}

// parsePlugins reads charon's listplugins output back into plugins.
func parsePlugins(t *testing.T, s string) []Plugin {
	t.Helper()
	var out []Plugin
	for _, l := range strings.Split(s, "\n") {
		switch {
		case l == "" || l == "List of loaded Plugins:":
		case strings.HasPrefix(l, "        "):
			f := Feature{Kind: FeatureDepends, Name: strings.TrimSpace(l)}
			if n, ok := strings.CutSuffix(f.Name, " (soft)"); ok {
				f.Kind, f.Name = FeatureSoftDepends, n
			}
			out[len(out)-1].Features = append(out[len(out)-1].Features, f)
		case strings.HasPrefix(l, "    "):
			f := Feature{Kind: FeatureProvide, Name: strings.TrimSpace(l)}
			if n, ok := strings.CutSuffix(f.Name, " (not loaded)"); ok {
				f.Name, f.NotLoaded = n, true
			}
			out[len(out)-1].Features = append(out[len(out)-1].Features, f)
		case strings.HasSuffix(l, ":"):
			out = append(out, Plugin{Name: strings.TrimSuffix(l, ":")})
		default:
			t.Fatalf("line %q", l)
		}
	}
	return out
}

// TestListAlgorithmsLayout feeds charon's own algorithm list through the
// writer: label widths, wrapping at 120 columns and the empty classes
// (with their trailing blanks) must come out byte for byte.
func TestListAlgorithmsLayout(t *testing.T) {
	want := readCapture(t, "live/moon.34_listalgs.txt")
	algs := parseAlgorithms(t, want)
	if len(algs[AlgEncryption]) != 12 || len(algs[AlgNonceGen]) != 1 || algs[AlgNonceGen][0].Name != "" {
		t.Fatalf("parsed %v", algs)
	}
	p := &printer{w: &bytes.Buffer{}}
	writeAlgorithms(p, algs)
	wantText(t, "listalgs", p.w.(*bytes.Buffer).String(), want)
	if again := readCapture(t, "status/16_moon_listalgs.txt"); again != want {
		t.Errorf("the two captures of listalgs differ")
	}
}

func TestListPlugins(t *testing.T) {
	want := readCapture(t, "live/moon.36_listplugins.txt")
	plugins := parsePlugins(t, want)
	if len(plugins) != 18 || plugins[0].Name != "charon" || plugins[17].Name != "updown" {
		t.Fatalf("parsed %d plugins", len(plugins))
	}
	src := &fakeSource{plugins: plugins}
	var b bytes.Buffer
	if err := WriteList(&b, src, stroke.ListPlugins, false); err != nil {
		t.Fatal(err)
	}
	wantText(t, "listplugins", b.String(), want)

	// listall: the algorithms (goswan's), then the plugins; certificates,
	// CRLs and the rest print nothing on a host without any, as
	// listcerts and listcacerts did in the capture.
	b.Reset()
	if err := WriteList(&b, src, stroke.ListAll, true); err != nil {
		t.Fatal(err)
	}
	var algs bytes.Buffer
	writeAlgorithms(&printer{w: &algs}, RegisteredAlgorithms())
	wantText(t, "listall", b.String(), algs.String()+want)
	// charon's listall is the same two parts
	live := readCapture(t, "live/moon.35_listall.txt")
	if !strings.HasPrefix(live, readCapture(t, "live/moon.34_listalgs.txt")) || !strings.HasSuffix(live, want) {
		t.Errorf("charon's listall is not listalgs + listplugins")
	}
	for _, f := range []stroke.ListFlags{stroke.ListCerts, stroke.ListCACerts, stroke.ListOCSPCerts,
		stroke.ListAACerts, stroke.ListACerts, stroke.ListCRLs, stroke.ListOCSP, stroke.ListPubkeys, stroke.ListGroups} {
		b.Reset()
		if err := WriteList(&b, src, f, false); err != nil || b.Len() != 0 {
			t.Errorf("%v: %q, %v", f, b.String(), err)
		}
	}
	for _, f := range []string{"status/17_moon_listcerts.txt", "status/18_moon_listcacerts.txt"} {
		if s := readCapture(t, f); s != "" {
			t.Errorf("%s: %q", f, s)
		}
	}
}

// TestRegisteredAlgorithms checks that listalgs lists exactly what package
// crypto implements, each once, under the class charon would use.
func TestRegisteredAlgorithms(t *testing.T) {
	algs := RegisteredAlgorithms()
	listed := map[string]AlgorithmClass{}
	for class, list := range algs {
		for _, a := range list {
			if a.Provider == "" {
				t.Errorf("%s without provider", a.Name)
			}
			key := a.Name + "/" + algClassLabels[class]
			if _, dup := listed[key]; dup {
				t.Errorf("%s listed twice", key)
			}
			listed[key] = AlgorithmClass(class)
		}
	}
	want := func(name string, class AlgorithmClass) {
		t.Helper()
		if c, ok := listed[name+"/"+algClassLabels[class]]; !ok || c != class {
			t.Errorf("%s not listed under %q", name, algClassLabels[class])
		}
	}
	for _, c := range listClasses {
		for _, a := range crypto.Algorithms(c.t) {
			switch {
			case !a.Supported():
				if _, listed := listed[a.Name+"/"+algClassLabels[c.class]]; listed {
					t.Errorf("%s listed without an implementation", a.Name)
				}
			case a.IsAEAD():
				want(a.Name, AlgAEAD)
			default:
				want(a.Name, c.class)
			}
		}
	}
	// what a default proposal needs is there
	for _, n := range []string{"AES_CBC", "AES_GCM_16", "HMAC_SHA2_256_128", "PRF_HMAC_SHA2_256", "CURVE_25519", "ECP_256", "MODP_2048"} {
		found := false
		for k := range listed {
			if strings.HasPrefix(k, n+"/") {
				found = true
			}
		}
		if !found {
			t.Errorf("%s missing", n)
		}
	}
	if got := algs[AlgKeyExchange]; len(got) == 0 || got[len(got)-1].Provider == "" {
		t.Errorf("dh-group: %v", got)
	}
}

// TestListAlgorithmsGolden pins goswan's own listalgs output: what the
// algorithm table says goswan implements, with the Go packages behind it.
// Update testdata/goswan-listalgs.txt deliberately when an algorithm is added.
func TestListAlgorithmsGolden(t *testing.T) {
	want, err := os.ReadFile("testdata/goswan-listalgs.txt")
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteList(&b, &fakeSource{}, stroke.ListAlgs, false); err != nil {
		t.Fatal(err)
	}
	wantText(t, "listalgs", b.String(), string(want))
}

type failingWriter struct {
	n   int // writes that succeed
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n == 0 {
		return 0, w.err
	}
	w.n--
	return len(p), nil
}

func TestListWriteError(t *testing.T) {
	w := &failingWriter{err: errors.New("client gone")}
	if err := WriteList(w, &fakeSource{}, stroke.ListAll, false); !errors.Is(err, w.err) {
		t.Errorf("error %v", err)
	}
}
