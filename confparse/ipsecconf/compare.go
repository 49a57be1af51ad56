package ipsecconf

import "reflect"

// compared lists the fields starter's comparison (cmp.c) looks at for a
// row: cmp_args compares the field of every typed argument but ARG_UBIN,
// and starter_cmp_conn/starter_cmp_end add the VARCMPs of the fields
// confread.c fills itself (mode, options, marks, tfc, keying tries,
// protocol and ports).
func (sp *kwSpec) compared() []string {
	switch sp.arg {
	case argDeprecated:
		return nil
	case argFlag:
		return []string{"Options"}
	case argMisc, argMark, argULong:
		return sp.cmp
	}
	if sp.noCmp {
		return nil
	}
	return append([]string{sp.field}, sp.cmp...)
}

func sameFields(a, b reflect.Value, from, to keyword) bool {
	for k := from; k <= to; k++ {
		for _, f := range specs[k].compared() {
			if a.FieldByName(f).Interface() != b.FieldByName(f).Interface() {
				return false
			}
		}
	}
	return true
}

// SameConn is starter_cmp_conn: an updated ipsec.conf leaves a loaded conn
// alone only if this holds for its new version. It compares what the
// keyword table says starter compares; it does not compare ikedscp= (a
// binary number, which cmp_args skips), nor Pos and Settings (goswan's
// bookkeeping).
func SameConn(a, b *Conn) bool {
	if a == nil || b == nil {
		return false
	}
	va, vb := reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem()
	return sameFields(va, vb, kwConnName, kwConnLast) &&
		sameFields(va.FieldByName("Left"), vb.FieldByName("Left"), kwEndFirst, kwEndLast) &&
		sameFields(va.FieldByName("Right"), vb.FieldByName("Right"), kwEndFirst, kwEndLast)
}

// SameCA is starter_cmp_ca: every ca keyword.
func SameCA(a, b *CA) bool {
	if a == nil || b == nil {
		return false
	}
	return sameFields(reflect.ValueOf(a).Elem(), reflect.ValueOf(b).Elem(), kwCAName, kwCALast)
}
