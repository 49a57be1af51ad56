package secrets

// fromBase64 decodes a 0s secret as libstrongswan's chunk_from_base64 does:
// groups of four characters (a trailing partial group is ignored), '-' and
// '_' accepted for '+' and '/', '=' padding shortening the result, and
// other characters decoded as garbage rather than rejected, so that a
// secret charon accepts is read to the same bytes.
func fromBase64(b64 string) []byte {
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
			b[j] = base64Value(b64[pos])
			pos++
		}
		out[i] = b[0]<<2 | b[1]>>4
		out[i+1] = b[1]<<4 | b[2]>>2
		out[i+2] = b[2]<<6 | b[3]
	}
	return out[:outlen]
}

func base64Value(c byte) byte {
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
