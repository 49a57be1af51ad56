package main

import "testing"

func TestUnknownCommandExitCode(t *testing.T) {
	if rc := run([]string{"no-such-command"}); rc != 2 {
		t.Fatalf("unknown command: exit %d, want 2 as strongSwan's ipsec", rc)
	}
	if rc := run([]string{"--no-such-option"}); rc != 2 {
		t.Fatalf("unknown option: exit %d, want 2", rc)
	}
	if rc := run(nil); rc != 0 {
		t.Fatalf("no command: exit %d, want 0", rc)
	}
	if rc := run([]string{"version"}); rc != 0 {
		t.Fatalf("version: exit %d, want 0", rc)
	}
}
