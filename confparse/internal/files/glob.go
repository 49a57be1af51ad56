package files

import (
	"path"
	"sort"
	"strings"
)

// hasMeta reports whether p contains glob(3) wildcards.
func hasMeta(p string) bool {
	return strings.ContainsAny(p, "*?[")
}

// unescape removes the backslashes glob(3) treats as escapes.
func unescape(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// fnmatch matches name against one pattern component as fnmatch(3) with
// FNM_PERIOD does for glob(3): a leading dot must be matched literally.
func fnmatch(pattern, name string) bool {
	if strings.HasPrefix(name, ".") && !strings.HasPrefix(unescape(pattern), ".") {
		return false
	}
	// fnmatch negates a bracket expression with '!' as well as '^'; Go's
	// path.Match only knows '^'.
	pattern = strings.ReplaceAll(pattern, "[!", "[^")
	ok, err := path.Match(pattern, name)
	return err == nil && ok
}

// Glob expands pattern as glob(3) with GLOB_ERR does: names are sorted
// bytewise (the C locale), names starting with a dot need an explicit dot,
// a pattern without wildcards yields itself if it exists. The error is set
// when a directory could not be read (GLOB_ABORTED); the matches found so
// far are returned with it, as glibc leaves them in gl_pathv.
func Glob(fsys FS, pattern string) ([]string, error) {
	out, err := glob(fsys, pattern)
	sort.Strings(out)
	return out, err
}

func glob(fsys FS, pattern string) ([]string, error) {
	if !hasMeta(pattern) {
		p := unescape(pattern)
		if p != "" && fsys.Exists(p) {
			return []string{p}, nil
		}
		return nil, nil
	}
	dir, base := "", pattern
	if i := strings.LastIndexByte(pattern, '/'); i >= 0 {
		dir, base = pattern[:i], pattern[i+1:]
		if dir == "" {
			dir = "/"
		}
	}
	var dirs []string
	if hasMeta(dir) {
		var err error
		dirs, err = glob(fsys, dir)
		if err != nil {
			return nil, err
		}
	} else {
		dirs = []string{unescape(dir)}
	}
	var out []string
	for _, d := range dirs {
		join := func(name string) string {
			switch d {
			case "":
				return name
			case "/":
				return "/" + name
			}
			return d + "/" + name
		}
		if !hasMeta(base) {
			if p := join(unescape(base)); fsys.Exists(p) {
				out = append(out, p)
			}
			continue
		}
		readFrom := d
		if readFrom == "" {
			readFrom = "."
		}
		names, err := fsys.ReadDir(readFrom)
		if err != nil {
			if isNotDir(err) {
				continue
			}
			return out, err
		}
		for _, n := range names {
			if fnmatch(base, n) {
				out = append(out, join(n))
			}
		}
	}
	return out, nil
}
