package crypto

import (
	"bytes"
	"errors"
	"testing"
)

// TestMACVectors runs the PRF and integrity vectors of RFC 3566, 4434, 4493,
// 4494, 4615 and 4868.
func TestMACVectors(t *testing.T) {
	for i, v := range macVectors {
		key, data, want := unhex(t, v.key), unhex(t, v.data), unhex(t, v.out)
		if v.prf != 0 {
			got, err := PRFSum(v.prf, key, data)
			if err != nil {
				t.Fatalf("#%d %s %v: %v", i, v.source, v.prf, err)
			}
			mustEqual(t, v.source+" "+v.prf.String(), got, want)
			continue
		}
		m, err := NewIntegrity(v.integ, key)
		if err != nil {
			t.Fatalf("#%d %s %v: %v", i, v.source, v.integ, err)
		}
		m.Write(data)
		mustEqual(t, v.source+" "+v.integ.String(), m.Sum(nil)[:v.integ.ICVSize()], want)
	}
}

// The CBC-MACs buffer a full block until they know whether it is the last
// one; feeding the data in pieces must not change the result.
func TestCBCMACIncremental(t *testing.T) {
	data := make([]byte, 100)
	for i := range data {
		data[i] = byte(i * 7)
	}
	for _, a := range []PRFAlgorithm{PRFAES128XCBC, PRFAES128CMAC} {
		for _, n := range []int{0, 1, 15, 16, 17, 32, 33, 100} {
			whole, _ := PRFSum(a, []byte("0123456789abcdef"), data[:n])
			h, _ := NewPRF(a, []byte("0123456789abcdef"))
			for _, b := range data[:n] {
				h.Write([]byte{b})
			}
			mustEqual(t, a.String(), h.Sum(nil), whole)
			h.Reset()
			h.Write(data[:n])
			mustEqual(t, a.String()+" after Reset", h.Sum(nil), whole)
		}
	}
}

// prfPlusReference is RFC 7296 §2.13 written out literally.
func prfPlusReference(t *testing.T, a PRFAlgorithm, key, seed []byte, n int) []byte {
	var out, prev []byte
	for i := 1; len(out) < n; i++ {
		in := append(append(append([]byte{}, prev...), seed...), byte(i))
		prev, _ = PRFSum(a, key, in)
		out = append(out, prev...)
	}
	return out[:n]
}

func TestPRFPlus(t *testing.T) {
	seed := []byte("nonce-i nonce-r spi-i spi-r")
	for _, a := range []PRFAlgorithm{PRFHMACSHA1, PRFHMACSHA2_256, PRFHMACSHA2_384, PRFHMACSHA2_512, PRFAES128XCBC, PRFAES128CMAC} {
		key := bytes.Repeat([]byte{0x5a}, a.KeySize())
		for _, n := range []int{0, 1, a.Size(), a.Size() + 1, 7 * a.Size(), 255 * a.Size()} {
			got, err := PRFPlus(a, key, seed, n)
			if err != nil {
				t.Fatalf("%v %d: %v", a, n, err)
			}
			mustEqual(t, a.String(), got, prfPlusReference(t, a, key, seed, n))
		}
		if _, err := PRFPlus(a, key, seed, 255*a.Size()+1); !errors.Is(err, ErrPRFPlusTooLong) {
			t.Errorf("%v: 256 iterations: %v", a, err)
		}
	}
	if _, err := PRFPlus(PRFHMACMD5, nil, nil, 1); !errors.Is(err, ErrUnsupported) {
		t.Errorf("MD5: %v", err)
	}
}
