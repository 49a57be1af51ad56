package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/goswan/goswan/testing/internal/hosts"
)

// Scenario is one loaded test, with every placeholder already substituted.
type Scenario struct {
	Name        string // "ikev2/net2net-psk"
	Dir         string
	Description string
	Conf        *TestConf
	Pre, Post   []SetupLine
	Eval        []EvalLine
	// Etc holds hosts/<host>/etc/… per host; those files are copied over the
	// host's /etc.
	Etc map[string][]File
}

// File is one configuration file destined for a host's /etc.
type File struct {
	Rel  string // slash-separated path below etc/
	Mode fs.FileMode
	Data []byte
}

// Required are the files strongSwan's do-tests insists on.
var Required = []string{"description.txt", "test.conf", "pretest.dat", "evaltest.dat", "posttest.dat"}

// Load reads the scenario testsDir/name.
func Load(testsDir, name string) (*Scenario, error) {
	dir := filepath.Join(testsDir, filepath.FromSlash(name))
	s := &Scenario{Name: name, Dir: dir, Etc: map[string][]File{}}
	read := func(f string) ([]byte, error) {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", name, err)
		}
		return []byte(Substitute(string(b))), nil
	}
	for _, f := range Required {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return nil, fmt.Errorf("scenario %s: file %q is missing", name, f)
		}
	}
	desc, err := read("description.txt")
	if err != nil {
		return nil, err
	}
	s.Description = string(desc)
	b, err := read("test.conf")
	if err != nil {
		return nil, err
	}
	if s.Conf, err = ParseTestConf(name+"/test.conf", bytes.NewReader(b)); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		file string
		dst  *[]SetupLine
	}{{"pretest.dat", &s.Pre}, {"posttest.dat", &s.Post}} {
		if b, err = read(p.file); err != nil {
			return nil, err
		}
		if *p.dst, err = ParseSetup(name+"/"+p.file, bytes.NewReader(b)); err != nil {
			return nil, err
		}
	}
	if b, err = read("evaltest.dat"); err != nil {
		return nil, err
	}
	if s.Eval, err = ParseEval(name+"/evaltest.dat", bytes.NewReader(b)); err != nil {
		return nil, err
	}
	if err := s.loadHostFiles(); err != nil {
		return nil, err
	}
	return s, s.validateHosts()
}

func (s *Scenario) loadHostFiles() error {
	root := filepath.Join(s.Dir, "hosts")
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	for _, e := range ents {
		host := e.Name()
		if _, ok := hosts.Lookup(host); !ok || !e.IsDir() {
			return fmt.Errorf("scenario %s: hosts/%s is not a host of the topology (%s)", s.Name, host, strings.Join(hosts.Names(), " "))
		}
		sub, err := os.ReadDir(filepath.Join(root, host))
		if err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
		for _, d := range sub {
			if d.Name() != "etc" {
				return fmt.Errorf("scenario %s: hosts/%s/%s: only etc/ is copied to a host", s.Name, host, d.Name())
			}
		}
		etc := filepath.Join(root, host, "etc")
		err = filepath.WalkDir(etc, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s: not a regular file", p)
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(etc, p)
			s.Etc[host] = append(s.Etc[host], File{Rel: filepath.ToSlash(rel), Mode: info.Mode().Perm(), Data: []byte(Substitute(string(b)))})
			return nil
		})
		if err != nil {
			return fmt.Errorf("scenario %s: %w", s.Name, err)
		}
	}
	return nil
}

// validateHosts rejects host names the topology does not have, so that a
// typo fails before any namespace exists.
func (s *Scenario) validateHosts() error {
	check := func(where, h string) error {
		if _, ok := hosts.Lookup(h); !ok {
			return fmt.Errorf("scenario %s: %s: unknown host %q", s.Name, where, h)
		}
		return nil
	}
	for _, h := range s.Conf.VirtHosts {
		if err := check("VIRTHOSTS", h); err != nil {
			return err
		}
	}
	for _, h := range s.Conf.IPsecHosts {
		if err := check("IPSECHOSTS", h); err != nil {
			return err
		}
	}
	for _, h := range s.Conf.RightHosts {
		if !slices.Contains(s.Conf.IPsecHosts, h) {
			return fmt.Errorf("scenario %s: RIGHTHOSTS: %q is not in IPSECHOSTS", s.Name, h)
		}
	}
	pairings := map[string][]string{"PAIRINGS": s.Conf.Pairings}
	for lane, pp := range s.Conf.LanePairings {
		pairings["PAIRINGS_"+strings.ToUpper(lane)] = pp
	}
	for v, pp := range pairings {
		for _, code := range pp {
			if len(code) != 2 || strings.Trim(code, "gsc") != "" {
				return fmt.Errorf("scenario %s: %s: %q is not a pairing code (gg, gs, sg, ss, cs, sc)", s.Name, v, code)
			}
		}
	}
	for _, t := range s.Conf.TcpdumpHosts {
		if err := check("TCPDUMPHOSTS", t.Host); err != nil {
			return err
		}
	}
	for _, sv := range s.Conf.Servers {
		if err := check("SERVERS", sv.Host); err != nil {
			return err
		}
	}
	for _, l := range append(append([]SetupLine{}, s.Pre...), s.Post...) {
		if l.Comment == "" {
			if err := check(fmt.Sprintf("line %d", l.Line), l.Host); err != nil {
				return err
			}
		}
	}
	for _, l := range s.Eval {
		if !l.IsComment() {
			if err := check(fmt.Sprintf("evaltest.dat:%d", l.Line), l.Host); err != nil {
				return err
			}
		}
	}
	return nil
}

// Expand turns command-line scenario arguments into scenario names, as
// strongSwan's do-tests does: "ikev2" is every scenario of that group,
// "ikev2/net2net-psk" one scenario, and "ikev2/net2net-*" a glob. No
// arguments means every scenario of every group. The result is sorted and
// free of duplicates.
func Expand(testsDir string, args []string) ([]string, error) {
	if len(args) == 0 {
		groups, err := os.ReadDir(testsDir)
		if err != nil {
			return nil, err
		}
		for _, g := range groups {
			if g.IsDir() {
				args = append(args, g.Name())
			}
		}
	}
	seen := map[string]bool{}
	var out []string
	add := func(n string) { // n is slash-separated group/name
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, a := range args {
		a = strings.Trim(filepath.ToSlash(a), "/")
		if a == "" || strings.Contains(a, "..") {
			return nil, fmt.Errorf("bad scenario argument %q", a)
		}
		if !strings.Contains(a, "/") {
			ents, err := os.ReadDir(filepath.Join(testsDir, a))
			if err != nil {
				return nil, fmt.Errorf("scenario group %q: %w", a, err)
			}
			for _, e := range ents {
				if e.IsDir() {
					add(a + "/" + e.Name())
				}
			}
			continue
		}
		matches, err := filepath.Glob(filepath.Join(testsDir, filepath.FromSlash(a)))
		if err != nil {
			return nil, fmt.Errorf("scenario pattern %q: %w", a, err)
		}
		if len(matches) == 0 {
			return nil, fmt.Errorf("no scenario %q in %s", a, testsDir)
		}
		for _, m := range matches {
			rel, _ := filepath.Rel(testsDir, m)
			if fi, err := os.Stat(m); err == nil && fi.IsDir() && path.Dir(filepath.ToSlash(rel)) != "." {
				add(filepath.ToSlash(rel))
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
