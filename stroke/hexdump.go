package stroke

import (
	"fmt"
	"strings"
)

// hexDump is b formatted lazily, so that a disabled level-3 log costs no
// formatting.
type hexDump []byte

func (h hexDump) String() string { return formatHexDump(h) }

// formatHexDump formats b as charon's %b printf hook does for level-3 logs: a
// "=> N bytes @ ADDR" head, then lines of 16 bytes with offset, upper-case
// hex and the printable characters.
func formatHexDump(b []byte) string {
	var sb strings.Builder
	var addr any = "(nil)"
	if len(b) > 0 {
		addr = &b[0]
	}
	fmt.Fprintf(&sb, "=> %d bytes @ %p", len(b), addr)
	for start := 0; start < len(b); start += 16 {
		line := b[start:min(start+16, len(b))]
		var hex, ascii strings.Builder
		for i, c := range line {
			if i > 0 {
				hex.WriteByte(' ')
			}
			fmt.Fprintf(&hex, "%02X", c)
			if c > 31 && c < 127 {
				ascii.WriteByte(c)
			} else {
				ascii.WriteByte('.')
			}
		}
		// Short last lines are padded so the text column lines up.
		hex.WriteString(strings.Repeat(" ", 3*(16-len(line))))
		fmt.Fprintf(&sb, "\n%4d: %s  %s", start, hex.String(), ascii.String())
	}
	return sb.String()
}
