package credentials

import (
	"errors"

	"golang.org/x/crypto/cryptobyte"
)

// berToDER rewrites the BER constructs some PKCS#12 writers use (indefinite
// lengths, constructed OCTET STRINGs) as DER, so that the strict DER parser
// can read the result. DER input comes back unchanged.
func berToDER(b []byte) ([]byte, error) {
	out, rest, err := berElement(b, 0)
	if err != nil {
		return nil, err
	}
	if len(rest) != 0 && !(len(rest) == 1 && rest[0] == '\n') {
		return nil, errors.New("trailing data after ASN.1 element")
	}
	return out, nil
}

const maxBERDepth = 32

var errBER = errors.New("malformed BER")

// berHeader reads a tag and length; indefinite is reported with n = -1.
func berHeader(b []byte) (tag []byte, constructed bool, n, hdr int, err error) {
	if len(b) < 2 {
		return nil, false, 0, 0, errBER
	}
	i := 1
	if b[0]&0x1f == 0x1f {
		for {
			if i >= len(b) || i > 5 {
				return nil, false, 0, 0, errBER
			}
			i++
			if b[i-1]&0x80 == 0 {
				break
			}
		}
	}
	tag = b[:i]
	constructed = b[0]&0x20 != 0
	if i >= len(b) {
		return nil, false, 0, 0, errBER
	}
	l := int(b[i])
	i++
	switch {
	case l < 0x80:
		n = l
	case l == 0x80:
		if !constructed {
			return nil, false, 0, 0, errBER
		}
		n = -1
	default:
		k := l & 0x7f
		if k > 4 || i+k > len(b) {
			return nil, false, 0, 0, errBER
		}
		for _, c := range b[i : i+k] {
			n = n<<8 | int(c)
		}
		i += k
	}
	if n != -1 && (n < 0 || n > len(b)-i) {
		return nil, false, 0, 0, errBER
	}
	return tag, constructed, n, i, nil
}

// berElement normalizes one element and returns the bytes after it.
func berElement(b []byte, depth int) ([]byte, []byte, error) {
	if depth > maxBERDepth {
		return nil, nil, errBER
	}
	tag, constructed, n, hdr, err := berHeader(b)
	if err != nil {
		return nil, nil, err
	}
	if !constructed {
		return encodeTLV(tag, b[hdr:hdr+n]), b[hdr+n:], nil
	}
	var body, rest []byte
	if n >= 0 {
		body, rest = b[hdr:hdr+n], b[hdr+n:]
	} else {
		body = b[hdr:]
	}
	var children [][]byte
	for {
		if n < 0 {
			if len(body) >= 2 && body[0] == 0 && body[1] == 0 {
				rest = body[2:]
				break
			}
			if len(body) == 0 {
				return nil, nil, errBER
			}
		} else if len(body) == 0 {
			break
		}
		var child []byte
		child, body, err = berElement(body, depth+1)
		if err != nil {
			return nil, nil, err
		}
		children = append(children, child)
	}
	// A constructed universal string type becomes the primitive string of
	// its concatenated parts.
	if len(tag) == 1 && tag[0]&0xc0 == 0 && tag[0]&0x1f != 0x10 && tag[0]&0x1f != 0x11 {
		var content []byte
		for _, c := range children {
			s := cryptobyte.String(c)
			var v cryptobyte.String
			if !readAnyPrimitive(&s, &v) {
				return nil, nil, errBER
			}
			content = append(content, v...)
		}
		return encodeTLV([]byte{tag[0] &^ 0x20}, content), rest, nil
	}
	var content []byte
	for _, c := range children {
		content = append(content, c...)
	}
	return encodeTLV(tag, content), rest, nil
}

func readAnyPrimitive(s *cryptobyte.String, v *cryptobyte.String) bool {
	_, constructed, n, hdr, err := berHeader(*s)
	if err != nil || constructed || n < 0 {
		return false
	}
	*v = (*s)[hdr : hdr+n]
	*s = (*s)[hdr+n:]
	return true
}

func encodeTLV(tag, content []byte) []byte {
	out := append([]byte(nil), tag...)
	n := len(content)
	switch {
	case n < 0x80:
		out = append(out, byte(n))
	case n < 0x100:
		out = append(out, 0x81, byte(n))
	case n < 0x10000:
		out = append(out, 0x82, byte(n>>8), byte(n))
	case n < 0x1000000:
		out = append(out, 0x83, byte(n>>16), byte(n>>8), byte(n))
	default:
		out = append(out, 0x84, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(out, content...)
}
