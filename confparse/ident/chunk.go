package ident

// FromHex decodes hex as libstrongswan's chunk_from_hex does: an optional
// "0x" prefix, ':' separators, an odd digit count read as a leading nibble,
// and anything that is not a hex digit read as 0.
func FromHex(hex string) []byte {
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
	out := make([]byte, n)
	p := len(hex)
	next := func() byte {
		p--
		if p < 0 {
			return 0
		}
		return hex2bin(hex[p])
	}
	for i := n - 1; i >= 0; i-- {
		p--
		if p >= 0 && hex[p] == ':' {
			p--
		}
		if p >= 0 {
			out[i] = hex2bin(hex[p])
		}
		if i > 0 || !odd {
			out[i] |= next() << 4
		}
	}
	return out
}

func hex2bin(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return 0
}

// FromBase64 decodes as chunk_from_base64: groups of four characters (a
// trailing partial group is ignored), '-' and '_' accepted for '+' and '/',
// '=' padding shortening the result, other characters decoded as garbage
// rather than rejected.
func FromBase64(b64 string) []byte {
	n := len(b64) / 4 * 3
	out := make([]byte, n)
	outlen := 0
	pos := 0
	for i := 0; i < n; i += 3 {
		outlen += 3
		var b [4]byte
		for j := 0; j < 4; j++ {
			if b64[pos] == '=' && outlen > 0 {
				outlen--
			}
			b[j] = b642bin(b64[pos])
			pos++
		}
		out[i] = b[0]<<2 | b[1]>>4
		out[i+1] = b[1]<<4 | b[2]>>2
		out[i+2] = b[2]<<6 | b[3]
	}
	return out[:outlen]
}

func b642bin(c byte) byte {
	switch {
	case c >= 'A' && c <= 'Z':
		return c - 'A'
	case c >= 'a' && c <= 'z':
		return 26 + c - 'a'
	case c >= '0' && c <= '9':
		return 52 + c - '0'
	case c == '+' || c == '-':
		return 62
	case c == '/' || c == '_':
		return 63
	case c == '=':
		return 0
	}
	return 0xff // -1 stored in a u_char
}
