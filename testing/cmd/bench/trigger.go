package main

import (
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/goswan/goswan/stroke"
)

// The trigger of the setup-rate and memory figures: `bench initiate PREFIX
// N`, run on moon, sends STR_INITIATE with output verbosity -1 for PREFIX1
// … PREFIXN over /var/run/charon.ctl, one connection each, as N runs of
// `stroke up-nb` would but without starting N processes: a loop of those
// made the process starts, not the daemons, the limit (both charons take
// the same message). It waits for nothing: the daemon closes each
// connection once it has queued the initiation.
func initiateMain(args []string) int {
	if len(args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: bench initiate PREFIX N")
		return 2
	}
	n, err := strconv.Atoi(args[1])
	if err != nil || n < 1 {
		fmt.Fprintf(os.Stderr, "bench initiate: %q is not a count\n", args[1])
		return 2
	}
	c := &stroke.Client{URI: "unix:///var/run/charon.ctl", Out: io.Discard}
	for i := 1; i <= n; i++ {
		m := &stroke.Msg{Type: stroke.TypeInitiate, Verbosity: stroke.VerbositySilent,
			Body: &stroke.Initiate{Name: stroke.S(args[0] + strconv.Itoa(i))}}
		if err := c.Send(m); err != nil {
			fmt.Fprintf(os.Stderr, "bench initiate %s%d: %v\n", args[0], i, err)
			return 1
		}
	}
	return 0
}
