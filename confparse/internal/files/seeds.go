package files

import "os"

// SeedCorpus is the part of *testing.F that AddSeedFiles needs (so that
// this production package does not import testing).
type SeedCorpus interface {
	Add(args ...any)
	Fatal(args ...any)
}

// AddSeedFiles adds the content of each file at paths to a fuzz target's
// seed corpus as a string; an unreadable file fails the target. The
// configuration parsers' fuzz targets share it.
func AddSeedFiles(f SeedCorpus, paths ...string) {
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(data))
	}
}
