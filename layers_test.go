package goswan_test

// The layers of goswan, written down once: the table below. TestLayers
// walks the module's import graph and fails on an import that runs up or
// sideways, or that one of the rules forbids; TestLayerRules shows each
// rule failing on a small made-up graph; TestDesignDrawsLayers keeps the
// drawing in docs/DESIGN.md equal to the table.
//
// Only the production files of each package are read (what `go build`
// compiles on Linux). Test files are not layered: Go already keeps an
// in-package test from importing upward (that would be an import cycle),
// and an external test may drive its package from above, as sa's tests do
// through testing/ikesim and tasks. What tests import lives under
// testing/, which no production package may import.

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"go/build"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
)

// group is a named set of packages on one floor.
type group struct {
	name string
	// pkgs are package paths relative to the module; "x/..." is x and
	// everything below it. The longest pattern that matches wins, so
	// "kernel_libipsec/cmd/..." overrides "kernel_libipsec".
	pkgs []string
	what string
	// free: the group's packages may import each other (test scaffolding,
	// the parsers' shared internals), in the order Go's cycle check keeps.
	free bool
}

// floors are the layers, top to bottom; a floor's number is its height,
// the last one is 1. An import must go to a lower floor: the groups of one
// floor do not import each other. To put a new package in, add it to a
// group, or insert a floor (the numbers follow).
//
// Two processes share the lower floors: charon (daemon, tasks, sa, config,
// the kernel backends) and starter/ipsec (starter, confparse); the rules
// below keep them apart, and stroke's wire format is all they share.
var floors = [][]group{
	{{"test scaffolding", []string{"testing/..."},
		"scenario runner, ikesim, fakekernel, vclock, testenv; imported only by tests and each other", true}},
	{{"commands", []string{"cmd/...", "kernel_libipsec/cmd/..."},
		"main packages: flags, exit codes, nothing else", false}},
	{{"charon", []string{"daemon"},
		"assembles core, backends, sockets, stroke handlers, loggers (charon's daemon.c and its plugins)", false}},
	{{"charon plugins", []string{"vici", "counters", "load_tester", "ha_state"},
		"the vici socket with its commands and events, the counters, the load tester, the saved state; the daemon wires them in", false}},
	{
		{"IKEv2 tasks", []string{"tasks"}, "one file per strongSwan task, and the task manager", false},
		{"starter", []string{"starter"}, "ipsec start: reads ipsec.conf, runs charon, sends conns over stroke", false},
	},
	{{"authenticators", []string{"sa/authenticators"},
		"AUTH payloads: pre-shared keys, public key signatures, EAP (charon's sa/ikev2/authenticators)", false}},
	{
		{"IKE_SAs", []string{"sa"}, "IKE_SA, CHILD_SA, their managers, keymat; checkout/checkin", false},
		{"RADIUS client", []string{"eap/radius"},
			"eap-radius: RADIUS messages, the client with its sockets and retransmits, the EAP method that forwards to it", false},
		{"config files", []string{"confparse/ipsecconf", "confparse/settings", "confparse/secrets"},
			"ipsec.conf, strongswan.conf, ipsec.secrets as strongSwan reads them", false},
	},
	{
		{"runtime config", []string{"config"}, "IKE/peer/child configs, proposals, backends", false},
		{"EAP methods", []string{"eap"}, "eap-identity, eap-md5, eap-mschapv2, eap-tls and the method manager", false},
		{"attributes", []string{"attributes"}, "the attribute manager, in-memory address pools, the attr plugin's attributes", false},
		{"kernel backends", []string{"kernel_netlink", "kernel_libipsec"}, "XFRM over netlink; the userspace ESP data plane", false},
		{"config lexing", []string{"confparse/internal/..."},
			"the file stack and tokens the three parsers share", true},
	},
	{
		{"kernel interface", []string{"kernel"}, "what charon asks of a kernel backend, and its events", false},
		{"credentials", []string{"credentials/..."},
			"identities, shared keys, DNs, certificates, CRLs, OCSP, private keys, trust chains", false},
		{"control socket", []string{"stroke"}, "stroke_msg_t codec, socket server and client", false},
		{"IKE sockets", []string{"network"}, "UDP 500/4500 with the non-ESP marker", false},
		{"config errors", []string{"confparse"}, "file:line:column positions and errors", false},
		{"EAP names", []string{"config/eapname"},
			"eap_type_names and eap_type_from_string, and the feature each method needs: for charon's config and ipsec.conf's keyword table", false},
	},
	{{"IKEv2 codec", []string{"encoding"}, "messages and payloads, SK protection, fragments", false}},
	{
		{"foundations", []string{"bus", "crypto", "selectors", "processing"},
			"logging bus, algorithms, traffic selectors, jobs and scheduler", false},
		{"features", []string{"config/feature"},
			"what strongSwan does that goswan does not yet, one switch each (refusals, announcements, README)", false},
	},
	{{"production helpers", []string{"internal/..."},
		"glibc behaviours strongSwan's formats inherit (strtoul, inet_pton, the netdb files behind getprotobyname) and version strings", false}},
}

// layer is a group with its floor's number.
type layer struct {
	group
	rank int
}

// layers lists the groups with their floor numbers, top to bottom.
var layers = func() []layer {
	var out []layer
	for i, floor := range floors {
		for _, g := range floor {
			out = append(out, layer{g, len(floors) - i})
		}
	}
	return out
}()

// rule forbids imports that the ranks alone would allow: from packages
// of the module to packages of the module (to) or outside it (toExt,
// import paths of the standard library or other modules).
type rule struct {
	name     string
	from, to []string
	toExt    []string
	why      string
}

// sansIO are the packages of the protocol core: no I/O of their own.
var sansIO = []string{"sa", "tasks", "encoding", "crypto", "config", "attributes", "credentials/...", "selectors", "kernel"}

var rules = []rule{
	{"sans-IO core", sansIO, nil,
		[]string{"os", "os/exec", "os/signal", "net", "syscall", "io/fs", "io/ioutil", "path/filepath",
			"crypto/rand", "math/rand", "math/rand/v2", "golang.org/x/sys/...", "github.com/vishvananda/..."},
		"the core gets clock, randomness, sockets, kernel and files handed in (docs/DESIGN.md §3)"},
	{"charon reads no ipsec.conf", []string{"daemon", "cmd/charon"}, []string{"starter", "confparse/ipsecconf"}, nil,
		"starter reads ipsec.conf and sends it to charon over stroke"},
	{"starter and the config files do not run the protocol", []string{"starter", "cmd/ipsec", "confparse/..."},
		[]string{"daemon", "tasks", "sa", "kernel_netlink", "kernel_libipsec", "network", "processing"}, nil,
		"they talk to charon over stroke only (checkconf may parse with config what charon would refuse)"},
	{"the parsers build no configs", []string{"confparse/..."}, []string{"config"}, nil,
		"confparse reads files into its own types; starter turns them into stroke messages, daemon into config"},
	{"backends implement the kernel interface only", []string{"kernel_netlink", "kernel_libipsec"},
		[]string{"config", "credentials/...", "sa", "tasks"}, nil,
		"a backend sees SAs and policies, not IKE_SAs or configs"},
}

// exemption allows one import a rule forbids, for a stated reason. An
// exemption that nothing needs any more fails the test, so that it goes.
type exemption struct{ from, to, why string }

var exemptions = []exemption{
	{"daemon", "confparse/ipsecconf", "charon judges an add_conn message by ipsec.conf's keyword table (its support " +
		"column, daemon/stroke_config_refuse.go), the one list checkconf uses too; it reads no file"},
}

// graph maps a package of the module (module-relative path) to what its
// production files import.
type graph map[string][]dep

// dep is an import: a module-relative path, or with ext an import path
// outside the module (the standard library has "crypto" and "encoding"
// too).
type dep struct {
	path string
	ext  bool
}

// match reports whether pkg matches pattern ("x" or "x/...").
func match(pattern, pkg string) bool {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

func matchAny(patterns []string, pkg string) bool {
	return slices.ContainsFunc(patterns, func(p string) bool { return match(p, pkg) })
}

// layerOf finds pkg's layer: the one with the longest matching pattern.
func layerOf(pkg string) (layer, bool) {
	var best layer
	n := -1
	for _, l := range layers {
		for _, p := range l.pkgs {
			if match(p, pkg) && len(p) > n {
				best, n = l, len(p)
			}
		}
	}
	return best, n >= 0
}

// check returns the violations of g: packages in no layer, imports that
// do not go down, imports a rule forbids, and exemptions nothing needs.
func check(g graph, exempt []exemption) []string {
	var bad []string
	used := make([]bool, len(exempt))
	pkgs := make([]string, 0, len(g))
	for p := range g {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	for _, from := range pkgs {
		lf, ok := layerOf(from)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s is in no layer: add it to the table in layers_test.go", from))
			continue
		}
		for _, d := range g[from] {
			to := d.path
			if !d.ext {
				lt, ok := layerOf(to)
				switch {
				case !ok:
					// reported for its own entry
				case lt.name == "test scaffolding" && lf.name != "test scaffolding":
					bad = append(bad, fmt.Sprintf("%s imports %s: production code imports no test scaffolding", from, to))
				case lt.rank > lf.rank:
					bad = append(bad, fmt.Sprintf("%s imports %s: up from %s (%d) to %s (%d)", from, to, lf.name, lf.rank, lt.name, lt.rank))
				case lt.rank == lf.rank && !(lf.free && lt.name == lf.name):
					bad = append(bad, fmt.Sprintf("%s imports %s: sideways within layer %d (%s, %s)", from, to, lf.rank, lf.name, lt.name))
				}
			}
			for _, r := range rules {
				to := r.to
				if d.ext {
					to = r.toExt
				}
				if !matchAny(r.from, from) || !matchAny(to, d.path) {
					continue
				}
				if i := slices.IndexFunc(exempt, func(e exemption) bool { return e.from == from && e.to == d.path }); i >= 0 {
					used[i] = true
					continue
				}
				bad = append(bad, fmt.Sprintf("%s imports %s: %s (%s)", from, d.path, r.name, r.why))
			}
		}
	}
	for i, e := range exempt {
		if !used[i] {
			bad = append(bad, fmt.Sprintf("exemption %s -> %s is no longer needed: delete it (%s)", e.from, e.to, e.why))
		}
	}
	return bad
}

// moduleGraph reads the import graph of the module's production code.
func moduleGraph(t *testing.T) graph {
	t.Helper()
	mod := modulePath(t)
	ctx := build.Default
	ctx.GOOS = "linux" // goswan's one target
	g := graph{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		name := d.Name()
		if path != "." && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") || name == "testdata" || name == "vendor") {
			return filepath.SkipDir
		}
		p, err := ctx.ImportDir(path, 0)
		var noGo *build.NoGoError
		if errors.As(err, &noGo) || (err == nil && len(p.GoFiles)+len(p.CgoFiles) == 0) {
			return nil // no production files (a test-only or empty folder)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		rel := filepath.ToSlash(path)
		g[rel] = []dep{}
		for _, imp := range p.Imports {
			r, ok := strings.CutPrefix(imp, mod+"/")
			if !ok {
				r = imp
			}
			g[rel] = append(g[rel], dep{r, !ok})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func modulePath(t *testing.T) string {
	t.Helper()
	f, err := os.Open("go.mod")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if m, ok := strings.CutPrefix(s.Text(), "module "); ok {
			return strings.TrimSpace(m)
		}
	}
	t.Fatal("go.mod names no module")
	return ""
}

// TestLayers: every import of the module's production code goes down the
// layers and breaks no rule.
func TestLayers(t *testing.T) {
	g := moduleGraph(t)
	if len(g) < 20 {
		t.Fatalf("read only %d packages; is the test running at the module root?", len(g))
	}
	for _, v := range check(g, exemptions) {
		t.Error(v)
	}
}

// TestLayerRules shows each rule failing: a small graph with one bad
// import, and the violation it must give (empty: none).
func TestLayerRules(t *testing.T) {
	// Imports written "ext:path" come from outside the module.
	type graph map[string][]string
	cases := []struct {
		name   string
		g      graph
		exempt []exemption
		want   string
	}{
		{"down is fine", graph{"tasks": {"sa", "config"}, "sa": {"config", "ext:time", "ext:crypto"}, "daemon": {"tasks"}}, nil, ""},
		{"upward", graph{"sa": {"tasks"}}, nil, "sa imports tasks: up from IKE_SAs (6) to IKEv2 tasks (8)"},
		{"upward to a command", graph{"daemon": {"cmd/charon"}}, nil, "daemon imports cmd/charon: up from charon (10) to commands (11)"},
		{"sideways", graph{"sa": {"confparse/ipsecconf"}}, nil, "sa imports confparse/ipsecconf: sideways within layer 6"},
		{"sideways in the foundations", graph{"crypto": {"selectors"}}, nil, "crypto imports selectors: sideways within layer 2"},
		{"the codec above the algorithms", graph{"encoding": {"crypto"}}, nil, ""},
		{"the algorithms under the codec", graph{"crypto": {"encoding"}}, nil, "crypto imports encoding: up from foundations (2) to IKEv2 codec (3)"},
		{"the parsers' internals share", graph{"confparse/internal/lex": {"confparse/internal/files"}}, nil, ""},
		{"the standard library's crypto is not ours", graph{"encoding": {"ext:crypto", "ext:encoding/binary"}}, nil, ""},
		{"helpers import nothing of the project", graph{"internal/clib": {"bus"}}, nil,
			"internal/clib imports bus: up from production helpers (1) to foundations (2)"},
		{"production imports scaffolding", graph{"daemon": {"testing/fakekernel"}}, nil,
			"daemon imports testing/fakekernel: production code imports no test scaffolding"},
		{"scaffolding imports scaffolding", graph{"testing/ikesim": {"testing/fakekernel", "tasks"}}, nil, ""},
		{"core does I/O", graph{"sa": {"ext:os"}}, nil, "sa imports os: sans-IO core"},
		{"core reads the global RNG", graph{"tasks": {"ext:math/rand/v2"}}, nil, "tasks imports math/rand/v2: sans-IO core"},
		{"core talks netlink", graph{"kernel": {"ext:github.com/vishvananda/netlink"}}, nil,
			"kernel imports github.com/vishvananda/netlink: sans-IO core"},
		{"charon reads ipsec.conf", graph{"daemon": {"confparse/ipsecconf"}}, nil,
			"daemon imports confparse/ipsecconf: charon reads no ipsec.conf"},
		{"starter runs the protocol", graph{"starter": {"sa"}}, nil, "starter imports sa: starter and the config files do not run the protocol"},
		{"checkconf parses as charon does", graph{"cmd/ipsec": {"config", "starter"}}, nil, ""},
		{"config files build configs", graph{"confparse/ipsecconf": {"config"}}, nil,
			"confparse/ipsecconf imports config: the parsers build no configs"},
		{"backend knows credentials", graph{"kernel_netlink": {"credentials"}}, nil,
			"kernel_netlink imports credentials: backends implement the kernel interface only"},
		{"a new package", graph{"newpkg": {"bus"}}, nil, "newpkg is in no layer"},
		{"exempted", graph{"selectors": {"ext:os"}}, []exemption{{"selectors", "os", "reason"}}, ""},
		{"stale exemption", graph{"selectors": {"ext:bytes"}}, []exemption{{"selectors", "os", "reason"}},
			"exemption selectors -> os is no longer needed"},
	}
	for _, c := range cases {
		g := map[string][]dep{}
		for from, tos := range c.g {
			g[from] = []dep{}
			for _, to := range tos {
				ext, isExt := strings.CutPrefix(to, "ext:")
				g[from] = append(g[from], dep{ext, isExt})
			}
		}
		got := check(g, c.exempt)
		switch {
		case c.want == "" && len(got) != 0:
			t.Errorf("%s: want no violation, got %q", c.name, got)
		case c.want != "" && (len(got) != 1 || !strings.Contains(got[0], c.want)):
			t.Errorf("%s: want one violation containing %q, got %q", c.name, c.want, got)
		}
	}
}

// drawing renders the table as the markdown block docs/DESIGN.md shows.
func drawing() string {
	var b strings.Builder
	b.WriteString("| layer | packages | holds |\n|---|---|---|\n")
	code := func(list []string) string {
		c := make([]string, len(list))
		for i, p := range list {
			c[i] = "`" + p + "`"
		}
		return strings.Join(c, " ")
	}
	for _, l := range layers {
		fmt.Fprintf(&b, "| %d %s | %s | %s |\n", l.rank, l.name, code(l.pkgs), l.what)
	}
	b.WriteString("\nNever, whatever the layers allow (from → to):\n\n")
	for _, r := range rules {
		fmt.Fprintf(&b, "- **%s**: %s → %s: %s.\n", r.name, code(r.from), code(append(slices.Clone(r.to), r.toExt...)), r.why)
	}
	if len(exemptions) > 0 {
		b.WriteString("\nExemptions, each with its reason (the test fails once one is no longer needed):\n\n")
		for _, e := range exemptions {
			fmt.Fprintf(&b, "- `%s` → `%s`: %s.\n", e.from, e.to, e.why)
		}
	}
	return b.String()
}

var updateDesign = flag.Bool("update-design", false, "rewrite the layers block of docs/DESIGN.md from the table")

// TestDesignDrawsLayers: docs/DESIGN.md shows the table of this file, so
// that the map and the test cannot drift apart. After changing the table:
// go test -run TestDesignDrawsLayers . -update-design
func TestDesignDrawsLayers(t *testing.T) {
	const begin, end = "<!-- layers: generated from layers_test.go -->\n", "<!-- end of layers -->\n"
	doc, err := os.ReadFile("docs/DESIGN.md")
	if err != nil {
		t.Fatal(err)
	}
	s := string(doc)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Fatalf("docs/DESIGN.md lacks the block %q ... %q", begin, end)
	}
	got, want := s[i+len(begin):j], drawing()
	if got == want {
		return
	}
	if *updateDesign {
		if err := os.WriteFile("docs/DESIGN.md", []byte(s[:i+len(begin)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("docs/DESIGN.md's layers differ from layers_test.go: run go test -run TestDesignDrawsLayers . -update-design")
}
