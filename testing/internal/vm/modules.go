package vm

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// moduleIndex is what modules.dep and modules.builtin of one kernel say.
type moduleIndex struct {
	dir     string              // /lib/modules/<version>
	paths   map[string]string   // module name -> path relative to dir
	deps    map[string][]string // relative path -> relative paths it needs
	builtin map[string]bool     // module names compiled into the kernel
}

// moduleName turns "kernel/fs/9p/9p.ko" (or .ko.xz etc.) into "9p"; modprobe
// treats "-" and "_" alike, so names are kept with "_".
func moduleName(rel string) string {
	b := path.Base(rel)
	if i := strings.Index(b, ".ko"); i >= 0 {
		b = b[:i]
	}
	return strings.ReplaceAll(b, "-", "_")
}

func readModuleIndex(dir string) (*moduleIndex, error) {
	mi := &moduleIndex{dir: dir, paths: map[string]string{}, deps: map[string][]string{}, builtin: map[string]bool{}}
	dep, err := os.ReadFile(filepath.Join(dir, "modules.dep"))
	if err != nil {
		return nil, fmt.Errorf("kernel modules: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(dep))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		mod, deps, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		mi.paths[moduleName(mod)] = mod
		mi.deps[mod] = strings.Fields(deps)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if b, err := os.ReadFile(filepath.Join(dir, "modules.builtin")); err == nil {
		for _, l := range strings.Fields(string(b)) {
			mi.builtin[moduleName(l)] = true
		}
	}
	return mi, nil
}

// loadOrder returns the module files (relative to the modules directory)
// that loading names needs, every dependency before the modules that use
// it. Built-in modules need no file; an unknown name is an error.
func (mi *moduleIndex) loadOrder(names ...string) ([]string, error) {
	var order []string
	done := map[string]bool{}
	var visit func(rel string, depth int) error
	visit = func(rel string, depth int) error {
		if done[rel] {
			return nil
		}
		if depth > 64 {
			return fmt.Errorf("kernel modules: dependency loop at %s", rel)
		}
		for _, d := range mi.deps[rel] {
			if err := visit(d, depth+1); err != nil {
				return err
			}
		}
		done[rel] = true
		order = append(order, rel)
		return nil
	}
	for _, n := range names {
		n = strings.ReplaceAll(n, "-", "_")
		rel, ok := mi.paths[n]
		if !ok {
			if mi.builtin[n] {
				continue
			}
			return nil, fmt.Errorf("kernel modules: no module %s in %s", n, mi.dir)
		}
		if err := visit(rel, 0); err != nil {
			return nil, err
		}
	}
	for _, rel := range order {
		if !strings.HasSuffix(rel, ".ko") {
			return nil, fmt.Errorf("kernel modules: %s is compressed; the guest's first stage loads plain .ko files only", rel)
		}
	}
	return order, nil
}
