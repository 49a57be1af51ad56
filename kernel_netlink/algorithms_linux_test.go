package kernel_netlink

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/goswan/goswan/crypto"
	"github.com/goswan/goswan/kernel"
)

// charonKernelTable is what charon's kernel-netlink plugin sends for each
// algorithm: the kernel names, AEAD ICV lengths and truncations of
// kernel_netlink_ipsec.c, as testing/capture/strongswan-tables.py extracted
// them for crypto's table test.
type charonKernelTable struct {
	names map[[2]int]string // {transform type, id}
	icv   map[int]uint32
	trunc map[int]uint32
}

func readCharonKernelTable(t *testing.T) charonKernelTable {
	t.Helper()
	f, err := os.Open("../crypto/testdata/strongswan-5.9.8-tables.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tab := charonKernelTable{names: map[[2]int]string{}, icv: map[int]uint32{}, trunc: map[int]uint32{}}
	num := func(s string) int {
		n, err := strconv.Atoi(s)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch f[0] {
		case "kernel":
			tab.names[[2]int{num(f[1]), num(f[2])}] = f[3]
		case "icv":
			tab.icv[num(f[1])] = uint32(num(f[2]))
		case "trunc":
			tab.trunc[num(f[1])] = uint32(num(f[2]))
		}
	}
	if len(tab.names) < 30 {
		t.Fatalf("%d kernel names", len(tab.names))
	}
	return tab
}

// attr is the attribute type charon puts an algorithm in and the ICV or
// truncation length it gives with it.
func (tab charonKernelTable) attr(typ crypto.TransformType, alg uint16) (int, uint32) {
	switch {
	case typ == crypto.TransformCompression:
		return attrAlgComp, 0
	case typ == crypto.TransformEncryption && tab.icv[int(alg)] != 0:
		return attrAlgAEAD, tab.icv[int(alg)]
	case typ == crypto.TransformEncryption:
		return attrAlgCrypt, 0
	case tab.trunc[int(alg)] != 0:
		return attrAlgAuthTrunc, tab.trunc[int(alg)]
	}
	return attrAlgAuth, 0
}

// TestAlgorithmAttributes builds the algorithm attributes of an SA for every
// transform id and compares them with what charon sends: the attribute type
// (XFRMA_ALG_CRYPT, _AEAD, _AUTH, _AUTH_TRUNC, _COMP), the kernel name, the
// key and the ICV or truncation length; an id charon has no kernel name for
// fails the SA with charon's log line.
func TestAlgorithmAttributes(t *testing.T) {
	tab := readCharonKernelTable(t)
	id := kernel.SAID{Proto: kernel.ProtoESP, SPI: 1}
	key := bytes.Repeat([]byte{0xa5}, 20)
	check := func(typ crypto.TransformType, alg uint16, d kernel.AddSA, ipcomp crypto.IPCompTransform) {
		t.Helper()
		rec := &logRecorder{}
		ip := &IPsec{log: rec}
		sa := &saAttrs{}
		err := ip.algorithmAttrs(id, d, ipcomp, sa)
		want, known := tab.names[[2]int{int(typ), int(alg)}]
		name, _ := crypto.TransformName(typ, alg)
		if typ == crypto.TransformCompression {
			name = crypto.IPCompTransform(alg).String()
		}
		if !known {
			if err == nil || !strings.Contains(rec.text(), "algorithm "+name+" not supported by kernel!") {
				t.Errorf("%s: %v, log %q", name, err, rec.text())
			}
			return
		}
		if err != nil || len(sa.attrs) != 1 {
			t.Fatalf("%s: %v, %d attributes", name, err, len(sa.attrs))
		}
		a := sa.attrs[0]
		b := a.Data
		gotName := string(bytes.TrimRight(b[:algoNameLen], "\x00"))
		wantType, wantExtra := tab.attr(typ, alg)
		hdr := sizeAlgoHeader
		if wantExtra != 0 {
			hdr = sizeAlgoAuthHdr
		}
		keyLen := len(key)
		if typ == crypto.TransformCompression {
			keyLen = 0
		}
		if int(a.Type) != wantType || gotName != want || len(b) != hdr+keyLen ||
			binary.NativeEndian.Uint32(b[64:]) != uint32(keyLen*8) ||
			wantExtra != 0 && binary.NativeEndian.Uint32(b[68:]) != wantExtra || !bytes.Equal(b[hdr:], key[:keyLen]) {
			t.Errorf("%s: attribute %d %q (%d bytes), want %d %q extra %d", name, a.Type, gotName, len(b), wantType, want, wantExtra)
		}
	}
	for _, a := range crypto.Algorithms(crypto.TransformEncryption) {
		if a.ID == uint16(crypto.EncrUndefined) {
			continue
		}
		check(a.Type, a.ID, kernel.AddSA{EncAlg: crypto.EncryptionAlgorithm(a.ID), EncKey: key}, 0)
	}
	for _, a := range crypto.Algorithms(crypto.TransformIntegrity) {
		if a.ID == uint16(crypto.AuthUndefined) {
			continue
		}
		check(a.Type, a.ID, kernel.AddSA{IntAlg: crypto.IntegrityAlgorithm(a.ID), IntKey: key}, 0)
	}
	for _, a := range crypto.Algorithms(crypto.TransformCompression) {
		if a.ID != 0 {
			check(a.Type, a.ID, kernel.AddSA{}, crypto.IPCompTransform(a.ID))
		}
	}
	// ids outside the table
	check(crypto.TransformEncryption, 4242, kernel.AddSA{EncAlg: 4242, EncKey: key}, 0)
	check(crypto.TransformIntegrity, 4242, kernel.AddSA{IntAlg: 4242, IntKey: key}, 0)
}
