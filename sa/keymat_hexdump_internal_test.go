package sa

import (
	"fmt"
	"testing"
)

// TestHexDump: charon's %B layout, formatted only when printed (hexDump is
// a fmt.Stringer, so a key logged at a level nobody enables is never
// turned into a string).
func TestHexDump(t *testing.T) {
	b := make([]byte, 20)
	for i := range b {
		b[i] = byte(i)
	}
	want := "=> 20 bytes\n      0: 00 01 02 03 04 05 06 07 08 09 0A 0B 0C 0D 0E 0F\n     16: 10 11 12 13"
	if got := fmt.Sprint(hexDump(b)); got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
