package starter

import (
	"math"
	"reflect"
	"testing"
	"time"
)

// TestParseArgs follows starter.c's argument loop: exact option names, a
// value taken from the next argument, atoi for --auto-update, and usage
// for anything else.
func TestParseArgs(t *testing.T) {
	def := Options{LogLevel: 1, Daemon: "charon"}
	with := func(f func(*Options)) Options { o := def; f(&o); return o }
	for _, tc := range []struct {
		args []string
		want Options
		bad  bool
	}{
		{nil, def, false},
		{[]string{"--nofork"}, with(func(o *Options) { o.NoFork = true }), false},
		{[]string{"--attach-gdb"}, with(func(o *Options) { o.NoFork, o.AttachGDB = true, true }), false},
		{[]string{"--debug"}, with(func(o *Options) { o.LogLevel = 2 }), false},
		{[]string{"--debug-more"}, with(func(o *Options) { o.LogLevel = 3 }), false},
		{[]string{"--debug-all"}, with(func(o *Options) { o.LogLevel = 4 }), false},
		{[]string{"--debug-all", "--nolog"}, with(func(o *Options) { o.LogLevel = 0 }), false},
		{[]string{"--auto-update", "30"}, with(func(o *Options) { o.AutoUpdate = 30 * time.Second }), false},
		{[]string{"--auto-update", " 7s"}, with(func(o *Options) { o.AutoUpdate = 7 * time.Second }), false},
		{[]string{"--auto-update", "-1"}, with(func(o *Options) { o.AutoUpdate = math.MaxInt64 }), false},
		{[]string{"--auto-update", "0"}, def, true},
		{[]string{"--auto-update", "x"}, def, true},
		{[]string{"--auto-update"}, def, true},
		{[]string{"--daemon", "other"}, with(func(o *Options) { o.Daemon = "other" }), false},
		{[]string{"--daemon", "a", "--daemon", "b"}, with(func(o *Options) { o.Daemon = "b" }), false},
		{[]string{"--daemon"}, def, true},
		{[]string{"--conf", "/x/ipsec.conf"}, with(func(o *Options) { o.ConfFile = "/x/ipsec.conf" }), false},
		{[]string{"--conf", "--nofork"}, with(func(o *Options) { o.ConfFile = "--nofork" }), false},
		{[]string{"--conftest"}, with(func(o *Options) { o.ConfTest = true }), false},
		{[]string{"--conf=/x"}, def, true},
		{[]string{"--nof"}, def, true},
		{[]string{"-d"}, def, true},
		{[]string{"start"}, def, true},
		{[]string{"--help"}, def, true},
	} {
		got, err := ParseArgs(tc.args)
		if (err != nil) != tc.bad {
			t.Errorf("%q: error %v, want bad=%v", tc.args, err, tc.bad)
			continue
		}
		if !tc.bad && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: %+v, want %+v", tc.args, got, tc.want)
		}
	}
}
