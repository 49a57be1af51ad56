package bus

import (
	"fmt"
	"strings"
	"time"
)

// Strftime formats t with the strftime(3) conversions charon's time_format
// setting uses in practice (the C locale). Unknown conversions are copied
// through unchanged, as glibc prints them.
func Strftime(format string, t time.Time) string {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c != '%' || i+1 == len(format) {
			b.WriteByte(c)
			continue
		}
		i++
		if conv, ok := conversions[format[i]]; ok {
			b.WriteString(conv(t))
		} else {
			b.WriteByte('%')
			b.WriteByte(format[i])
		}
	}
	return b.String()
}

// conversions are the strftime(3) conversions Strftime knows, in the C
// locale.
var conversions = map[byte]func(t time.Time) string{
	'a': layout("Mon"),
	'A': layout("Monday"),
	'b': layout("Jan"),
	'h': layout("Jan"),
	'B': layout("January"),
	'd': func(t time.Time) string { return fmt.Sprintf("%02d", t.Day()) },
	'e': func(t time.Time) string { return fmt.Sprintf("%2d", t.Day()) },
	'H': func(t time.Time) string { return fmt.Sprintf("%02d", t.Hour()) },
	'I': func(t time.Time) string { return fmt.Sprintf("%02d", (t.Hour()+11)%12+1) },
	'j': func(t time.Time) string { return fmt.Sprintf("%03d", t.YearDay()) },
	'm': func(t time.Time) string { return fmt.Sprintf("%02d", int(t.Month())) },
	'M': func(t time.Time) string { return fmt.Sprintf("%02d", t.Minute()) },
	'p': layout("PM"),
	'S': func(t time.Time) string { return fmt.Sprintf("%02d", t.Second()) },
	'T': func(t time.Time) string { return fmt.Sprintf("%02d:%02d:%02d", t.Hour(), t.Minute(), t.Second()) },
	'R': func(t time.Time) string { return fmt.Sprintf("%02d:%02d", t.Hour(), t.Minute()) },
	'D': func(t time.Time) string { return fmt.Sprintf("%02d/%02d/%02d", int(t.Month()), t.Day(), t.Year()%100) },
	'F': func(t time.Time) string { return fmt.Sprintf("%04d-%02d-%02d", t.Year(), int(t.Month()), t.Day()) },
	'y': func(t time.Time) string { return fmt.Sprintf("%02d", t.Year()%100) },
	'Y': func(t time.Time) string { return fmt.Sprintf("%d", t.Year()) },
	'z': layout("-0700"),
	'Z': layout("MST"),
	's': func(t time.Time) string { return fmt.Sprintf("%d", t.Unix()) },
	'n': func(time.Time) string { return "\n" },
	't': func(time.Time) string { return "\t" },
	'%': func(time.Time) string { return "%" },
}

// layout is a conversion that Go's time layout spells directly.
func layout(l string) func(t time.Time) string {
	return func(t time.Time) string { return t.Format(l) }
}
