package bus

import (
	"io"
	"testing"
)

// TestSetLevel: one group, or every group for Any, on both kinds of sink
// that share Levels.set.
func TestSetLevel(t *testing.T) {
	fl := NewWriterLogger(io.Discard, FileOptions{}, DefaultLevels())
	fl.SetLevel(Any, Diag)
	fl.SetLevel(IKE, Silent)
	for g := Group(0); g < numGroups; g++ {
		want := Diag
		if g == IKE {
			want = Silent
		}
		if got := fl.Level(g); got != want {
			t.Errorf("Level(%v) = %v, want %v", g, got, want)
		}
	}
	s := &SysLogger{levels: DefaultLevels()}
	s.SetLevel(KNL, Private)
	if s.Level(KNL) != Private || s.Level(IKE) != Control {
		t.Errorf("SysLogger levels %v after SetLevel(KNL, Private)", s.levels)
	}
}
