package runner

import (
	"strings"
	"testing"

	"github.com/goswan/goswan/confparse/settings"
)

// effective parses the scenario's strongswan.conf followed by the lane's
// block, as strongswan.conf.testing includes the one and then has the
// other, and returns the settings the daemons see.
func effective(t *testing.T, l Lane, conf string) *settings.Settings {
	t.Helper()
	block, err := l.confBlock("moon", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	s, err := settings.Parse("strongswan.conf.testing", []byte(conf+block), nil)
	if err != nil {
		t.Fatalf("%v\n%s%s", err, conf, block)
	}
	return s
}

const (
	kernelForm = `charon {
  load = random nonce aes sha1 sha2 gmp openssl hmac kdf stroke kernel-netlink socket-default updown
  delete_rekeyed_delay = 2
}
`
	userspaceForm = `charon {
  load = random nonce aes sha2 hmac stroke kernel-libipsec kernel-netlink socket-default updown
  plugins {
    kernel-libipsec {
      allow_peer_ts = yes
    }
    socket-default {
      fwmark = 0x42
    }
    kernel-netlink {
      fwmark = !0x42
    }
  }
}
`
)

func TestLaneUserspaceAddsTheDataPlane(t *testing.T) {
	s := effective(t, Userspace, kernelForm)
	if v, _ := s.Value("charon.load"); v != "random nonce aes sha1 sha2 gmp openssl hmac kdf stroke kernel-libipsec kernel-netlink socket-default updown" {
		t.Errorf("load = %q", v)
	}
	for key, want := range map[string]string{
		"charon.plugins.kernel-libipsec.allow_peer_ts": "yes",
		"charon.plugins.socket-default.fwmark":         "0x42",
		"charon.plugins.kernel-netlink.fwmark":         "!0x42",
		"charon.delete_rekeyed_delay":                  "2",
	} {
		if v, ok := s.Value(key); !ok || v != want {
			t.Errorf("%s = %q (%v), want %q", key, v, ok, want)
		}
	}
	// A file written for the userspace lane is used as it is.
	if b, err := Userspace.confBlock("moon", []byte(userspaceForm)); err != nil || b != "" {
		t.Errorf("userspace form in the userspace lane: %q, %v", b, err)
	}
	if _, err := Userspace.confBlock("moon", []byte("charon {\n  retransmit_tries = 3\n}\n")); err == nil || !strings.Contains(err.Error(), "charon.load") {
		t.Errorf("no load list: %v", err)
	}
}

func TestLaneKernelTakesOutTheUserspaceDataPlane(t *testing.T) {
	s := effective(t, Kernel, userspaceForm)
	if v, _ := s.Value("charon.load"); v != "random nonce aes sha2 hmac stroke kernel-netlink socket-default updown" {
		t.Errorf("load = %q", v)
	}
	for _, key := range []string{"charon.plugins.socket-default.fwmark", "charon.plugins.kernel-netlink.fwmark"} {
		if v, ok := s.Value(key); ok {
			t.Errorf("%s = %q, want it unset", key, v)
		}
	}
	// strongSwan's own form needs nothing in the kernel lane.
	if b, err := Kernel.confBlock("moon", []byte(kernelForm)); err != nil || b != "" {
		t.Errorf("kernel form in the kernel lane: %q, %v", b, err)
	}
	// Marks a scenario sets for its own reasons stay.
	own := strings.ReplaceAll(strings.ReplaceAll(userspaceForm, "!0x42", "0x100"), "0x42", "0x100")
	s = effective(t, Kernel, own)
	if v, _ := s.Value("charon.plugins.socket-default.fwmark"); v != "0x100" {
		t.Errorf("own socket-default.fwmark = %q", v)
	}
	// No strongswan.conf for a host: nothing to add.
	if b, err := Kernel.confBlock("alice", nil); err != nil || b != "" {
		t.Errorf("no file: %q, %v", b, err)
	}
}

func TestParseLane(t *testing.T) {
	for _, s := range []string{"userspace", "kernel"} {
		if l, err := ParseLane(s); err != nil || string(l) != s {
			t.Errorf("%s: %v %v", s, l, err)
		}
	}
	if _, err := ParseLane("qemu"); err == nil {
		t.Error("qemu: no error")
	}
}
