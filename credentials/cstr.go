package credentials

// Small reimplementations of the C library behaviour that strongSwan's
// identity code leans on. Matching strongSwan byte for byte means matching
// glibc too: inet_pton rejects what Go's netip accepts (zones, "1::2:3:4:5:6:7:8"
// style zero-width "::"), inet_ntop prints "::1.2.3.4" where netip prints
// "::102:304", atoi/strtoul accept signs and whitespace, and the string
// compares stop at NUL bytes.

import "strconv"

// cString cuts s at its first NUL: strongSwan receives identities as C
// strings, so nothing after a NUL is visible to it.
func cString(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return s[:i]
		}
	}
	return s
}

// isPrint is isprint() in the C locale, which charon runs in.
func isPrint(c byte) bool { return c >= 0x20 && c <= 0x7e }

// printable replaces every byte isprint() rejects with '?', as charon does
// before it prints identities.
func printable(s string) string {
	for i := 0; i < len(s); i++ {
		if !isPrint(s[i]) {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if !isPrint(b[j]) {
					b[j] = '?'
				}
			}
			return string(b)
		}
	}
	return s
}

func allPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isPrint(s[i]) {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// strncaseEqual is strncasecmp(a, b, n) == 0: ASCII case folding, and the
// comparison ends early where both strings hold a NUL.
func strncaseEqual(a, b string, n int) bool {
	for i := 0; i < n; i++ {
		var ca, cb byte
		if i < len(a) {
			ca = a[i]
		}
		if i < len(b) {
			cb = b[i]
		}
		if lowerASCII(ca) != lowerASCII(cb) {
			return false
		}
		if ca == 0 {
			return true
		}
	}
	return true
}

// hasPrefixFold is strcasepfx: s starts with prefix, ignoring ASCII case.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strncaseEqual(s, prefix, len(prefix))
}

func hexNibble(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	}
	return 0
}

// DecodeHex decodes hex the forgiving way strongSwan's chunk_from_hex does,
// for "#" identity data and for the 0x secrets of ipsec.secrets alike: an
// optional "0x" prefix, ':' separators anywhere, an odd digit count padded
// with a leading zero nibble, and any non-hex character read as 0. It never
// fails. It fills the result from the right, which is what makes odd lengths
// and misplaced colons come out as they do.
func DecodeHex(hex string) []byte {
	if len(hex) > 1 && hex[0] == '0' && hex[1] == 'x' {
		hex = hex[2:]
	}
	n := len(hex)
	for i := 0; i < len(hex); i++ {
		if hex[i] == ':' {
			n--
		}
	}
	odd := n%2 == 1
	if odd {
		n++
	}
	n /= 2
	buf := make([]byte, n)
	p := len(hex)
	prev := func() byte {
		p--
		if p < 0 { // cannot happen (see tests), but never index out of range
			return 0
		}
		return hex[p]
	}
	for i := n - 1; i >= 0; i-- {
		c := prev()
		if c == ':' {
			c = prev()
		}
		buf[i] = hexNibble(c)
		if i > 0 || !odd {
			buf[i] |= hexNibble(prev()) << 4
		}
	}
	return buf
}

// hexColon renders b as "01:ab:ff", printf's %#B in libstrongswan.
func hexColon(b string) string {
	const digits = "0123456789abcdef"
	if len(b) == 0 {
		return ""
	}
	out := make([]byte, 0, 3*len(b)-1)
	for i := 0; i < len(b); i++ {
		if i > 0 {
			out = append(out, ':')
		}
		out = append(out, digits[b[i]>>4], digits[b[i]&0xf])
	}
	return string(out)
}

// inetNtop4 prints four bytes as a dotted quad.
func inetNtop4(b []byte) string {
	out := make([]byte, 0, 15)
	for i := 0; i < 4; i++ {
		if i > 0 {
			out = append(out, '.')
		}
		out = strconv.AppendUint(out, uint64(b[i]), 10)
	}
	return string(out)
}

// inetNtop6 is glibc's inet_ntop(AF_INET6): the first longest run of at
// least two zero groups becomes "::", and an address whose first six groups
// are zero (or five zeros then ffff) ends in a dotted IPv4 quad.
func inetNtop6(b []byte) string {
	var words [8]int
	for i := 0; i < 16; i++ {
		words[i/2] |= int(b[i]) << ((1 - uint(i%2)) * 8)
	}
	bestBase, bestLen := longestZeroRun(words)
	out := make([]byte, 0, 46)
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				out = append(out, ':')
			}
			continue
		}
		if i != 0 {
			out = append(out, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
			out = append(out, inetNtop4(b[12:16])...)
			return string(out)
		}
		out = strconv.AppendUint(out, uint64(words[i]), 16)
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		out = append(out, ':')
	}
	return string(out)
}

// longestZeroRun finds the first longest run of zero words, as glibc's
// inet_ntop6 picks the one it prints as "::"; base is -1 when there is no
// run of two or more.
func longestZeroRun(words [8]int) (base, length int) {
	base, length = -1, 0
	cur, curLen := -1, 0
	for i := 0; i <= 8; i++ {
		if i < 8 && words[i] == 0 {
			if cur == -1 {
				cur, curLen = i, 0
			}
			curLen++
			continue
		}
		if cur != -1 && (base == -1 || curLen > length) {
			base, length = cur, curLen
		}
		cur = -1
	}
	if length < 2 {
		return -1, 0
	}
	return base, length
}

// boundedBuf reproduces printing into charon's fixed 512-byte buffer with
// snprintf: a write that does not fit is cut at the buffer's end, and the
// caller decides from the returned full length whether to go on.
type boundedBuf struct {
	s    []byte
	pos  int
	size int
}

// put writes str at the current position (dropping anything after it, as the
// terminating NUL does) and reports whether it fit; only then does the
// position advance.
func (w *boundedBuf) put(str string) bool {
	rem := w.size - w.pos
	k := len(str)
	if k > rem-1 {
		k = rem - 1
	}
	w.s = append(w.s[:w.pos], str[:k]...)
	if len(str) >= rem {
		return false
	}
	w.pos += len(str)
	return true
}

// bufLen is BUF_LEN, the size of the buffer charon formats an identity into.
const bufLen = 512

// truncateBuf cuts a single snprintf(buf, BUF_LEN, "%s", s) result.
func truncateBuf(s string) string {
	if len(s) > bufLen-1 {
		return s[:bufLen-1]
	}
	return s
}
