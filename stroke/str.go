package stroke

// Str is a C string field of stroke_msg_t: either NULL or a string (possibly
// empty). The distinction is on the wire (offset 0 versus an offset to a lone
// NUL) and charon acts on it: a NULL leftid means "use the address", an empty
// one is an identity of its own, and `stroke up ""` sends an empty name.
type Str struct {
	Value string
	Valid bool // false: NULL
}

// S returns a set (non-NULL) string.
func S(v string) Str { return Str{Value: v, Valid: true} }

// String is what C's printf("%s") prints for the field, so that log lines
// that format a NULL field read "(null)" as they do in charon.
func (s Str) String() string {
	if !s.Valid {
		return "(null)"
	}
	return s.Value
}

// Or returns the value, or def when the string is NULL.
func (s Str) Or(def string) string {
	if !s.Valid {
		return def
	}
	return s.Value
}
