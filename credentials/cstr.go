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

func isCSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r')
}

// atoi is C's atoi on glibc: leading whitespace, an optional sign, decimal
// digits up to the first non-digit; it saturates like strtol and then keeps
// the low 32 bits, as the conversion to int does.
func atoi(s string) int32 {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	var v uint64
	overflow := false
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		d := uint64(s[i] - '0')
		if v > (1<<63-d)/10 {
			overflow = true
		}
		v = v*10 + d
	}
	var l int64
	switch {
	case overflow && neg:
		l = -1 << 63
	case overflow:
		l = 1<<63 - 1
	case neg:
		l = -int64(v)
	default:
		l = int64(v)
	}
	return int32(l)
}

// strtoul is glibc's strtoul(s, &end, 0) for an unsigned long of 64 bits: it
// returns the value, the index where parsing stopped, and whether it
// overflowed (errno == ERANGE). Without digits nothing is consumed, not even
// whitespace or a sign.
func strtoul(s string) (v uint64, end int, rangeErr bool) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	base := uint64(10)
	switch {
	case i+1 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') &&
		i+2 < len(s) && isHexDigit(s[i+2]):
		base = 16
		i += 2
	case i < len(s) && s[i] == '0':
		base = 8
	}
	start := i
	for ; i < len(s); i++ {
		var d uint64
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			d = uint64(c - '0')
		case c >= 'a' && c <= 'z':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'Z':
			d = uint64(c-'A') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if v > (^uint64(0)-d)/base {
			rangeErr = true
		}
		v = v*base + d
	}
	if i == start {
		return 0, 0, false
	}
	if rangeErr {
		return ^uint64(0), i, true
	}
	if neg {
		v = -v
	}
	return v, i, false
}

func isHexDigit(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

// inetPton4 is glibc's inet_pton(AF_INET): exactly four dotted decimal
// parts, each at most 255, no leading zeros, nothing else.
func inetPton4(s string) ([4]byte, bool) {
	var out [4]byte
	sawDigit := false
	octets := 0
	cur := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			v := uint(out[cur])*10 + uint(c-'0')
			if sawDigit && out[cur] == 0 {
				return out, false
			}
			if v > 255 {
				return out, false
			}
			out[cur] = byte(v)
			if !sawDigit {
				octets++
				if octets > 4 {
					return out, false
				}
				sawDigit = true
			}
		case c == '.' && sawDigit:
			if octets == 4 {
				return out, false
			}
			cur++
			out[cur] = 0
			sawDigit = false
		default:
			return out, false
		}
	}
	if octets < 4 {
		return out, false
	}
	return out, true
}

// inetPton6 is glibc's inet_pton(AF_INET6), including its refusal of a "::"
// that stands for no group at all and its dotted IPv4 tail.
func inetPton6(s string) ([16]byte, bool) {
	var tmp [16]byte
	tp := 0
	colonp := -1
	if len(s) == 0 {
		return tmp, false
	}
	i := 0
	if s[0] == ':' {
		i++
		if i == len(s) || s[i] != ':' {
			return tmp, false
		}
	}
	curtok := i
	digits := 0
	val := uint(0)
	for i < len(s) {
		c := s[i]
		i++
		if isHexDigit(c) {
			if digits == 4 {
				return tmp, false
			}
			val = val<<4 | uint(hexNibble(c))
			digits++
			continue
		}
		if c == ':' {
			curtok = i
			if digits == 0 {
				if colonp >= 0 {
					return tmp, false
				}
				colonp = tp
				continue
			} else if i == len(s) {
				return tmp, false
			}
			if tp+2 > 16 {
				return tmp, false
			}
			tmp[tp] = byte(val >> 8)
			tmp[tp+1] = byte(val)
			tp += 2
			digits = 0
			val = 0
			continue
		}
		if c == '.' && tp+4 <= 16 {
			if v4, ok := inetPton4(s[curtok:]); ok {
				copy(tmp[tp:], v4[:])
				tp += 4
				digits = 0
				break
			}
		}
		return tmp, false
	}
	if digits > 0 {
		if tp+2 > 16 {
			return tmp, false
		}
		tmp[tp] = byte(val >> 8)
		tmp[tp+1] = byte(val)
		tp += 2
	}
	if colonp >= 0 {
		if tp == 16 {
			return tmp, false
		}
		n := tp - colonp
		copy(tmp[16-n:], tmp[colonp:tp])
		for j := colonp; j < 16-n; j++ {
			tmp[j] = 0
		}
		tp = 16
	}
	if tp != 16 {
		return tmp, false
	}
	return tmp, true
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
	bestBase, bestLen := -1, 0
	curBase, curLen := -1, 0
	for i := 0; i < 8; i++ {
		if words[i] == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
		} else if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
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
