package crypto

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// ssTables is strongSwan 5.9.8's algorithm tables, flattened by
// testing/capture/strongswan-tables.py from the source tree.
type ssTables struct {
	names    map[rowKey]string
	keywords map[string]Keyword // token -> the key length it implies
	kwRow    map[string]rowKey  // token -> the transform it selects
	aead     map[uint16]bool
	integPRF map[uint16]uint16
	kernel   map[rowKey]string
	trunc    map[uint16]int
	icv      map[uint16]int
}

func readSSTables(t *testing.T) *ssTables {
	t.Helper()
	f, err := os.Open("testdata/strongswan-5.9.8-tables.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ss := &ssTables{names: map[rowKey]string{}, keywords: map[string]Keyword{}, kwRow: map[string]rowKey{},
		aead: map[uint16]bool{}, integPRF: map[uint16]uint16{}, kernel: map[rowKey]string{}, trunc: map[uint16]int{}, icv: map[uint16]int{}}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("number %q", s)
		}
		return n
	}
	key := func(typ, id string) rowKey { return rowKey{TransformType(num(typ)), uint16(num(id))} }
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch f[0] {
		case "name":
			if num(f[2]) > 0xffff {
				// MODP_CUSTOM (65536) is charon's internal handle for
				// groups from a config, not a transform id.
				continue
			}
			ss.names[key(f[1], f[2])] = f[3]
		case "keyword":
			ss.kwRow[f[1]] = key(f[2], f[3])
			ss.keywords[f[1]] = Keyword{f[1], uint16(num(f[4]))}
		case "aead":
			ss.aead[uint16(num(f[1]))] = true
		case "integprf":
			ss.integPRF[uint16(num(f[1]))] = uint16(num(f[2]))
		case "kernel":
			ss.kernel[key(f[1], f[2])] = f[3]
		case "trunc":
			ss.trunc[uint16(num(f[1]))] = num(f[2])
		case "icv":
			ss.icv[uint16(num(f[1]))] = num(f[2])
		default:
			t.Fatalf("line %q", sc.Text())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(ss.names) < 100 || len(ss.keywords) < 150 || len(ss.kernel) < 30 {
		t.Fatalf("tables file incomplete: %d names, %d keywords, %d kernel names", len(ss.names), len(ss.keywords), len(ss.kernel))
	}
	return ss
}

// wireTypes are the transform types whose rows mirror strongSwan's name
// tables one to one.
var wireTypes = []TransformType{TransformEncryption, TransformPRF, TransformIntegrity, TransformKeyExchange,
	TransformExtendedSeqs, TransformCompression}

// TestAlgorithmTable compares the table with strongSwan's: every id has
// strongSwan's name and no other id has one, every proposal keyword selects
// what it selects in strongSwan, the AEADs, the integrity-to-PRF map, the
// kernel names and truncations are charon's.
func TestAlgorithmTable(t *testing.T) {
	ss := readSSTables(t)
	for _, typ := range wireTypes {
		for _, a := range Algorithms(typ) {
			ss.checkRow(t, a)
		}
	}
	for k, name := range ss.names {
		if a, ok := Lookup(k.t, k.id); !ok || a.Name != name {
			t.Errorf("strongSwan's %s (%v %d) missing", name, k.t, k.id)
		}
	}
	for tok, kw := range ss.keywords {
		a, bits, ok := LookupKeyword(tok)
		if !ok || (rowKey{a.Type, a.ID}) != ss.kwRow[tok] || bits != kw.KeyBits {
			t.Errorf("keyword %s missing or different", tok)
		}
	}
	for k := range ss.kernel {
		if a, ok := Lookup(k.t, k.id); !ok || a.Kernel == "" {
			t.Errorf("kernel name of %v %d missing", k.t, k.id)
		}
	}
}

// checkRow compares one row with strongSwan's tables.
func (ss *ssTables) checkRow(t *testing.T, a Algorithm) {
	t.Helper()
	k := rowKey{a.Type, a.ID}
	if want, ok := ss.names[k]; !ok || a.Name != want {
		t.Errorf("%v %d: name %q, strongSwan %q", a.Type, a.ID, a.Name, want)
	}
	if want := ss.kernel[k]; a.Kernel != want {
		t.Errorf("%s: kernel name %q, charon %q", a.Name, a.Kernel, want)
	}
	if a.Type == TransformEncryption && (a.IsAEAD() != ss.aead[a.ID] || a.IsAEAD() && a.ICVSize*8 != ss.icv[a.ID]) {
		t.Errorf("%s: AEAD %v, ICV %d bytes", a.Name, a.IsAEAD(), a.ICVSize)
	}
	if a.Type == TransformIntegrity {
		if uint16(a.PRF) != ss.integPRF[a.ID] {
			t.Errorf("%s: PRF %v, strongSwan %v", a.Name, a.PRF, PRFAlgorithm(ss.integPRF[a.ID]))
		}
		if a.KernelTruncBits != ss.trunc[a.ID] {
			t.Errorf("%s: truncation %d, charon %d", a.Name, a.KernelTruncBits, ss.trunc[a.ID])
		}
	}
	for _, kw := range a.Keywords {
		if want, ok := ss.keywords[kw.Name]; !ok || ss.kwRow[kw.Name] != k || want.KeyBits != kw.KeyBits {
			t.Errorf("%s: keyword %s/%d, strongSwan %v/%d", a.Name, kw.Name, kw.KeyBits, ss.kwRow[kw.Name], want.KeyBits)
		}
	}
}

// TestAlgorithmRoundTrip: within each transform type the names, the
// keywords and, for what XFRM knows, the kernel name with its ICV or
// truncation length each identify exactly one id, as `ip xfrm state` shows
// an SA's algorithm by name and length.
func TestAlgorithmRoundTrip(t *testing.T) {
	type xfrm struct {
		name string
		bits int
	}
	for _, typ := range wireTypes {
		byName := map[string]uint16{}
		byKernel := map[xfrm]uint16{}
		for _, a := range Algorithms(typ) {
			if other, dup := byName[a.Name]; dup {
				t.Errorf("%v: %s names %d and %d", typ, a.Name, other, a.ID)
			}
			byName[a.Name] = a.ID
			if got, ok := TransformName(typ, a.ID); typ != TransformCompression && (!ok || got != a.Name) {
				t.Errorf("TransformName(%v, %d) = %q", typ, a.ID, got)
			}
			if back, ok := Lookup(typ, a.ID); !ok || back.Name != a.Name {
				t.Errorf("%s does not look up to itself", a.Name)
			}
			for _, kw := range a.Keywords {
				if back, _, ok := LookupKeyword(kw.Name); !ok || back.Type != typ || back.ID != a.ID {
					t.Errorf("keyword %s does not select %s", kw.Name, a.Name)
				}
			}
			if a.Kernel == "" {
				continue
			}
			x := xfrm{a.Kernel, a.KernelTruncBits}
			if a.IsAEAD() {
				x.bits = a.ICVSize * 8
			}
			if other, dup := byKernel[x]; dup {
				t.Errorf("kernel %v stands for %d and %d", x, other, a.ID)
			}
			byKernel[x] = a.ID
		}
	}
	if s := EncryptionAlgorithm(17).String(); s != "(17)" {
		t.Errorf("unnamed id prints %q", s)
	}
}

// TestAlgorithmImplementations: a row with a provider has what its type needs
// to run, and one without has no implementation hidden in it.
func TestAlgorithmImplementations(t *testing.T) {
	for i := range table {
		a := &table[i]
		var complete bool
		switch a.Type {
		case TransformEncryption:
			complete = a.mode != modeNone && len(a.KeyBits) > 0 && a.BlockSize > 0 &&
				(a.mode == modeNull || a.mode == modeChaChaPoly || a.block != nil)
		case TransformIntegrity:
			complete = a.mac != nil && a.KeySize > 0 && a.ICVSize > 0
		case TransformPRF:
			complete = a.mac != nil && a.KeySize > 0 && a.OutputSize > 0
		case TransformKeyExchange:
			complete = a.ke != nil && a.OutputSize > 0
		default:
			continue // ESN, IPComp: nothing to run; hashes, RNGs, KDFs: listed only
		}
		if a.Supported() != complete {
			t.Errorf("%s: provider %q, implementation complete: %v", a.Name, a.Provider, complete)
		}
	}
}
