package credentials

// Distinguished names: the text-to-DER conversion, the RDN walk that printing
// and matching share, and the three ways of comparing DNs.
//
// The RDN walk keeps libstrongswan's view of a DER blob as (pointer, length)
// pairs, because charon decides "this DN is complete" by comparing the end of
// the last value with the end of the whole encoding, and a value that an
// exhausting skip produced has a NULL pointer that never compares equal. That
// is why "C=CH, CN=" prints fine but never matches a wildcard DN, and why a
// DN with trailing garbage prints with "(invalid ID_DER_ASN1_DN)" appended.

// span is a chunk of the encoding: offset and length, or null when the
// chunk is libstrongswan's chunk_empty (NULL pointer).
type span struct {
	off, n int
	null   bool
}

func (c span) bytes(b string) string {
	if c.null {
		return ""
	}
	return b[c.off : c.off+c.n]
}

// endsAt reports whether the chunk ends exactly at offset end of a non-null
// buffer (the "ptr + len == dn.ptr + dn.len" test).
func (c span) endsAt(end int) bool { return !c.null && c.off+c.n == end }

// skipSpan is chunk_skip: everything consumed leaves the NULL chunk.
func skipSpan(c span, k int) span {
	if c.n > k {
		return span{off: c.off + k, n: c.n - k}
	}
	return span{null: true}
}

// unwrap is asn1_unwrap: read one TLV from the front of *blob, return its
// tag (or asn1Invalid) and its content, and advance *blob past it.
func unwrap(b string, blob *span) (int, span) {
	if blob.n < 2 {
		return asn1Invalid, span{}
	}
	tag := int(b[blob.off])
	l := b[blob.off+1]
	*blob = skipSpan(*blob, 2)
	var n uint64
	if l&0x80 == 0 {
		n = uint64(l)
	} else {
		l &= 0x7f
		if l == 0 || int(l) > blob.n || l > 8 {
			return asn1Invalid, span{}
		}
		for ; l > 0; l-- {
			n = n<<8 | uint64(b[blob.off])
			*blob = skipSpan(*blob, 1)
		}
	}
	if n > uint64(blob.n) {
		return asn1Invalid, span{}
	}
	res := span{off: blob.off, n: int(n), null: blob.null}
	*blob = skipSpan(*blob, int(n))
	return tag, res
}

// rdn is one attribute of a DN as the walk yields it.
type rdn struct {
	oid     span
	strType int
	value   span
}

// rdnWalker iterates over the RDNs of a DER DN: a SEQUENCE of SETs, each
// holding one or more SEQUENCE{OID, value}. It stops at the first thing that
// does not parse.
type rdnWalker struct {
	b          string
	sets, seqs span
	ok         bool
}

func newRDNWalker(b string) *rdnWalker {
	w := &rdnWalker{b: b}
	dn := span{n: len(b), null: len(b) == 0}
	if tag, sets := unwrap(b, &dn); tag == asn1Sequence {
		w.sets, w.ok = sets, true
		w.seqs = span{null: true}
	}
	return w
}

func (w *rdnWalker) next() (rdn, bool) {
	if !w.ok {
		return rdn{}, false
	}
	if w.seqs.n == 0 {
		tag, seqs := unwrap(w.b, &w.sets)
		if tag != asn1Set {
			w.ok = false
			return rdn{}, false
		}
		w.seqs = seqs
	}
	tag, attr := unwrap(w.b, &w.seqs)
	if tag == asn1Sequence {
		if t, oid := unwrap(w.b, &attr); t == asn1OID {
			if t, val := unwrap(w.b, &attr); t != asn1Invalid {
				return rdn{oid: oid, strType: t, value: val}, true
			}
		}
	}
	w.ok = false
	return rdn{}, false
}

// isWildcard is a value of exactly "*".
func isWildcard(v string) bool { return v == "*" }

// validDN reports whether the RDN walk reaches the very end of b.
func validDN(b string) bool {
	w := newRDNWalker(b)
	finished := false
	for r, ok := w.next(); ok; r, ok = w.next() {
		if r.value.endsAt(len(b)) {
			finished = true
		}
	}
	return finished
}

// dnString prints a DN as charon does: "C=CH, O=strongSwan, CN=moon", names
// from the OID table or hex, values with unprintable bytes as '?', the whole
// cut at charon's 512-byte buffer, and "(invalid ID_DER_ASN1_DN)" appended
// where the walk stopped before the end.
func dnString(b string) string {
	out := boundedBuf{size: bufLen}
	w := newRDNWalker(b)
	finished, empty := false, true
	for r, ok := w.next(); ok; r, ok = w.next() {
		empty = false
		// An empty value ends its chunk, so charon could not tell whether it
		// was the last one and assumed so; the separator comes now.
		if finished && !out.put(", ") {
			break
		}
		finished = false
		if !out.put(oidDisplayName(r.oid.bytes(b)) + "=") {
			break
		}
		if !r.value.null && !out.put(printable(r.value.bytes(b))) {
			break
		}
		if r.value.null {
			finished = true
		} else if r.value.endsAt(len(b)) {
			finished = true
			break
		} else if !out.put(", ") {
			break
		}
	}
	if empty {
		out.put("")
	} else if !finished {
		out.put("(invalid ID_DER_ASN1_DN)")
	}
	return string(out.s)
}

// asn1Length encodes a DER length the way libstrongswan's builder does.
func asn1Length(n int) []byte {
	switch {
	case n < 0x80:
		return []byte{byte(n)}
	case n < 0x100:
		return []byte{0x81, byte(n)}
	case n < 0x10000:
		return []byte{0x82, byte(n >> 8), byte(n)}
	case n < 0x1000000:
		return []byte{0x83, byte(n >> 16), byte(n >> 8), byte(n)}
	}
	return []byte{0x84, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
}

func asn1Wrap(tag byte, parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	out := append([]byte{tag}, asn1Length(n)...)
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// isPrintableString reports whether every byte is in the ASN.1
// PrintableString alphabet as libstrongswan defines it.
func isPrintableString(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == ' ', c == '\'', c == '(', c == ')', c == '+', c == ',',
			c == '-', c == '.', c == '/', c == ':', c == '=', c == '?':
		default:
			return false
		}
	}
	return true
}

// maxRDNs is atodn's limit on the number of RDNs.
const maxRDNs = 20

// parseDN is atodn: it turns "C=CH, O=strongSwan, CN=moon" (or the
// "/C=CH/O=strongSwan/CN=moon" form, chosen by a leading '/') into DER,
// one SET per RDN in the order written. It fails on an unknown attribute
// name, a name without value, or more than 20 RDNs.
//
// The state machine is libstrongswan's, quirks included: '=' may be left
// out ("CN moon"), runs of ' ' and '=' before a value are skipped, trailing
// spaces of a value are dropped (leading ones never start it), and a
// separator straight after another starts an attribute name that then fails.
func parseDN(src string) ([]byte, bool) {
	p := dnParser{src: src, nameStart: -1, ok: true}
	state := p.searchOID
	for i := 0; ; i++ {
		var c byte
		if i < len(src) {
			c = src[i]
		}
		if state != nil {
			state = state(i, c)
		}
		if c == 0 {
			break
		}
	}
	if p.inOID || !p.ok {
		return nil, false
	}
	return asn1Wrap(asn1Sequence, p.rdns...), true
}

// dnParser is atodn's state; each state is a method that takes the next
// character (0 at the end) and returns the next state, nil after an
// unknown attribute (the rest is skipped).
type dnParser struct {
	src                                    string
	sep                                    byte // ',' or '/', chosen by the first character
	oidStart, nameStart, nameLen, trailing int
	attr                                   int
	inOID                                  bool // the input ended in an attribute name
	rdns                                   [][]byte
	ok                                     bool
}

type dnState func(i int, c byte) dnState

// searchOID skips spaces before an attribute name.
func (p *dnParser) searchOID(i int, c byte) dnState {
	if p.sep == 0 && c == '/' {
		p.sep = '/'
		return p.searchOID
	}
	if c == ' ' || c == 0 {
		return p.searchOID
	}
	if p.sep == 0 {
		p.sep = ','
	}
	p.oidStart, p.inOID = i, true
	return p.readOID
}

// readOID reads an attribute name up to ' ' or '='.
func (p *dnParser) readOID(i int, c byte) dnState {
	if c != ' ' && c != '=' {
		return p.readOID
	}
	p.inOID = false
	if p.attr = x501Lookup(p.src[p.oidStart:i]); p.attr < 0 {
		p.ok = false
		return nil
	}
	return p.searchName
}

// searchName skips spaces and '=' before a value; what follows starts
// it (a separator or the end: an empty value).
func (p *dnParser) searchName(i int, c byte) dnState {
	if c == ' ' || c == '=' {
		return p.searchName
	}
	p.nameStart, p.nameLen, p.trailing = -1, 0, 0
	if c != p.sep && c != 0 {
		p.nameStart = i // the first character is counted by readName
	}
	return p.readName(i, c)
}

// readName reads a value up to the separator or the end, then encodes
// the RDN without the value's trailing spaces.
func (p *dnParser) readName(i int, c byte) dnState {
	if c != p.sep && c != 0 {
		p.nameLen++
		if c == ' ' {
			p.trailing++
		} else {
			p.trailing = 0
		}
		return p.readName
	}
	var value string
	if p.nameStart >= 0 {
		value = p.src[p.nameStart : p.nameStart+p.nameLen-p.trailing]
	}
	if len(p.rdns) < maxRDNs {
		p.rdns = append(p.rdns, encodeRDN(p.attr, value))
	} else {
		p.ok = false
	}
	p.nameStart = -1
	return p.searchOID
}

// x501Lookup finds an attribute by its name, ignoring ASCII case; -1 if
// there is none.
func x501Lookup(name string) int {
	for j, x := range x501Names {
		if len(x.name) == len(name) && strncaseEqual(x.name, name, len(name)) {
			return j
		}
	}
	return -1
}

// encodeRDN is the DER of one RDN: a SET of the attribute's OID and value,
// a PrintableString where the attribute asks for one and the value fits
// its alphabet, else UTF8String.
func encodeRDN(attr int, value string) []byte {
	x := x501Names[attr]
	t := x.strType
	if t == asn1PrintableString && !isPrintableString(value) {
		t = asn1UTF8String
	}
	return asn1Wrap(asn1Set, asn1Wrap(asn1Sequence,
		asn1Wrap(asn1OID, []byte(x.oid)),
		asn1Wrap(t, []byte(value))))
}

// rdnEqual compares two values of the same attribute: PrintableStrings (and
// emailAddress IA5Strings) ignoring ASCII case, anything else byte for byte.
// The lengths are already known to be equal.
func rdnEqual(oid string, aType int, a string, bType int, b string) bool {
	if aType == bType && (aType == asn1PrintableString ||
		(aType == asn1IA5String && oidAttr(oid) == attrEmail)) {
		return strncaseEqual(a, b, len(a))
	}
	return a == b
}

// compareDN is strict DN comparison: the same RDNs in the same order. With
// wildcards allowed, a "*" value in o matches any value of that attribute;
// the count of such matches is returned.
func compareDN(t, o string, wildcards bool) (bool, int) {
	wc := 0
	if !wildcards && len(t) != len(o) {
		return false, 0
	}
	if t == o {
		return true, 0
	}
	tw, ow := newRDNWalker(t), newRDNWalker(o)
	finished := false
	for {
		tr, tok := tw.next()
		or, ook := ow.next()
		if !tok && !ook {
			break
		}
		finished = false
		if tok != ook || tr.oid.bytes(t) != or.oid.bytes(o) {
			break
		}
		tv, ov := tr.value.bytes(t), or.value.bytes(o)
		if wildcards && isWildcard(ov) {
			wc++
		} else if len(tv) != len(ov) ||
			!rdnEqual(tr.oid.bytes(t), tr.strType, tv, or.strType, ov) {
			break
		}
		if tr.value.endsAt(len(t)) && or.value.endsAt(len(o)) {
			finished = true
		}
	}
	return finished, wc
}

// matchDNUnordered is the "reordered" (every RDN of o matched once, in any
// order) and, with allowUnmatched, the "relaxed" (t may have RDNs o lacks,
// each counted as a wildcard) matching of charon.rdn_matching.
func matchDNUnordered(t, o string, allowUnmatched bool) (bool, int) {
	wc := 0
	if t == o {
		return true, 0
	}
	type patternRDN struct {
		oid, value string
		strType    int
		matched    bool
	}
	// exact values first, wildcards last, so a wildcard never takes an RDN
	// that an exact value further on would have needed
	var exact, wild []*patternRDN
	finished := false
	ow := newRDNWalker(o)
	for r, ok := ow.next(); ok; r, ok = ow.next() {
		p := &patternRDN{oid: r.oid.bytes(o), value: r.value.bytes(o), strType: r.strType}
		if isWildcard(p.value) {
			wild = append(wild, p)
		} else {
			exact = append(exact, p)
		}
		if r.value.endsAt(len(o)) {
			finished = true
		}
	}
	if !finished {
		return false, 0
	}
	pattern := append(exact, wild...)
	finished = false
	tw := newRDNWalker(t)
	for r, ok := tw.next(); ok; r, ok = tw.next() {
		oid, value := r.oid.bytes(t), r.value.bytes(t)
		var found bool
		for _, p := range pattern {
			if p.matched || p.oid != oid {
				continue
			}
			if isWildcard(p.value) {
				wc++
			} else if len(value) != len(p.value) ||
				!rdnEqual(oid, r.strType, value, p.strType, p.value) {
				continue
			}
			p.matched = true
			found = true
			break
		}
		if !found {
			if !allowUnmatched {
				break
			}
			wc++
		}
		if r.value.endsAt(len(t)) {
			finished = true
		}
	}
	if finished {
		for _, p := range pattern {
			if !p.matched {
				finished = false
			}
		}
	}
	return finished, wc
}

// dnHasWildcard reports whether any RDN of a well-known type (those
// libstrongswan enumerates as identity parts) has the value "*".
func dnHasWildcard(b string) bool {
	w := newRDNWalker(b)
	for r, ok := w.next(); ok; r, ok = w.next() {
		if oidAttr(r.oid.bytes(b)) != attrOther && isWildcard(r.value.bytes(b)) {
			return true
		}
	}
	return false
}
