package bus

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

type sa struct {
	name string
	id   uint32
}

func (s sa) Name() string     { return s.name }
func (s sa) UniqueID() uint32 { return s.id }

func TestFileLoggerFormat(t *testing.T) {
	var out bytes.Buffer
	lv := DefaultLevels()
	lv[KNL] = Diag
	fl := NewWriterLogger(&out, FileOptions{TimeFormat: "%b %e %T"}, lv)
	fl.Now = func() time.Time { return time.Date(2026, 11, 4, 8, 46, 14, 0, time.Local) }
	b := New()
	b.SetSinks(fl)
	c := Ctx{Bus: b, Thread: 13}
	c.Logf(IKE, Control, "initiating IKE_SA %s[%d] to %s", "net-net", 1, "192.168.0.2")
	c.Logf(IKE, Diag, "not shown")
	c.Logf(KNL, Diag, "shown at knl 2")
	Ctx{Bus: b, Thread: 0}.Logf(KNL, Control, "known interfaces:\n  lo")
	want := "Nov  4 08:46:14 13[IKE] initiating IKE_SA net-net[1] to 192.168.0.2\n" +
		"Nov  4 08:46:14 13[KNL] shown at knl 2\n" +
		"Nov  4 08:46:14 00[KNL] known interfaces:\n" +
		"Nov  4 08:46:14 00[KNL]   lo\n"
	if out.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", out.String(), want)
	}
}

func TestFileLoggerOptions(t *testing.T) {
	var out bytes.Buffer
	fl := NewWriterLogger(&out, FileOptions{IKEName: true, LogLevel: true}, DefaultLevels())
	b := New()
	b.SetSinks(fl)
	Ctx{Bus: b, Thread: 5, SA: sa{"net-net", 3}}.Logf(CHD, Control, "x")
	Ctx{Bus: b, Thread: 5, SA: sa{"", 4}}.Logf(CHD, Audit, "y")
	want := "05[CHD1] <net-net|3> x\n05[CHD0] <4> y\n"
	if out.String() != want {
		t.Fatalf("got %q want %q", out.String(), want)
	}
}

type rec struct {
	lines []string
	keep  bool
}

func (r *rec) Log(g Group, l Level, thread int, s SAInfo, msg string) bool {
	r.lines = append(r.lines, msg)
	return r.keep
}
func (r *rec) MaxLevel() Level { return Control }

func TestListenersSeeMessagesNoSinkWants(t *testing.T) {
	b := New() // no sinks at all
	r := &rec{keep: true}
	b.AddListener(r)
	Ctx{Bus: b}.Logf(IKE, Control, "a")
	Ctx{Bus: b}.Logf(IKE, Diag, "too verbose")
	r.keep = false
	Ctx{Bus: b}.Logf(IKE, Audit, "b") // listener asks to be removed
	Ctx{Bus: b}.Logf(IKE, Audit, "c")
	if strings.Join(r.lines, ",") != "a,b" {
		t.Fatalf("listener got %v", r.lines)
	}
	if b.Enabled(IKE, Audit) {
		t.Fatal("nothing should be enabled after the listener left")
	}
}

func TestParseCharondebug(t *testing.T) {
	l, err := ParseCharondebug("ike 2, knl 3,cfg 0", DefaultLevels())
	if err != nil || l[IKE] != Diag || l[KNL] != Raw || l[CFG] != Audit || l[NET] != Control {
		t.Fatalf("%v %v", l, err)
	}
	l, err = ParseCharondebug("any 4", DefaultLevels())
	if err != nil || l[ESP] != Private {
		t.Fatalf("%v %v", l, err)
	}
	for _, bad := range []string{"foo 1", "ike", "ike x", "ike 7"} {
		if _, err := ParseCharondebug(bad, DefaultLevels()); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestStrftime(t *testing.T) {
	tm := time.Date(2026, 1, 5, 7, 8, 9, 0, time.UTC)
	if got := Strftime("%b %e %T %Y-%m-%d %%", tm); got != "Jan  5 07:08:09 2026-01-05 %" {
		t.Fatalf("got %q", got)
	}
}
