package kernel

import (
	"testing"

	"github.com/goswan/goswan/selectors"
)

func ts(t testing.TB, s string, proto uint8, from, to uint16) selectors.TS {
	t.Helper()
	x, err := selectors.ParseCIDR(s, proto, from, to)
	if err != nil {
		t.Fatal(err)
	}
	return x
}

func TestAutoPriorityMatchesCharon(t *testing.T) {
	// Observed on charon 5.9.8 (reference task_files.md): a routed host to
	// host policy 192.168.0.1/32 === 192.168.0.2/32 gets priority 367232.
	sel := SelFromTS(ts(t, "192.168.0.1/32", 0, 0, 0xffff), ts(t, "192.168.0.2/32", 0, 0, 0xffff), 0)
	if got := AutoPriority(sel, PriorityRouted, false); got != 367232 {
		t.Fatalf("routed host policy priority %d, want 367232", got)
	}
	// The installed (non-routed) net2net policy is one lower than routed:
	// 400000 - 32*512 - 1 = 383615.
	sel = SelFromTS(ts(t, "10.1.0.0/16", 0, 0, 0xffff), ts(t, "10.2.0.0/16", 0, 0, 0xffff), 0)
	if got := AutoPriority(sel, PriorityDefault, false); got != 383615 {
		t.Fatalf("net2net priority %d, want 383615", got)
	}
	// A protocol and an exact port are more specific.
	sel = SelFromTS(ts(t, "10.1.0.0/16", selectors.ProtoTCP, 0, 0xffff), ts(t, "10.2.0.0/16", selectors.ProtoTCP, 22, 22), 0)
	if got := AutoPriority(sel, PriorityDefault, false); got != 383615-256-16*4 {
		t.Fatalf("tcp/22 priority %d", got)
	}
}

func TestSelPorts(t *testing.T) {
	sel := SelFromTS(ts(t, "10.1.0.0/16", selectors.ProtoTCP, 1024, 2047), ts(t, "10.2.0.0/16", selectors.ProtoTCP, 0, 0xffff), 0)
	if sel.SPort != 1024 || sel.SPortMask != 0xfc00 || sel.DPort != 0 || sel.DPortMask != 0 {
		t.Fatalf("port range selector: %+v", sel)
	}
	sel = SelFromTS(ts(t, "10.1.0.0/16", selectors.ProtoICMP, 0, 0xffff), ts(t, "10.2.0.0/16", selectors.ProtoICMP, 0x0301, 0x0301), 0)
	if sel.SPort != 3 || sel.DPort != 1 || sel.SPortMask != 0xffff || sel.DPortMask != 0xffff {
		t.Fatalf("icmp selector: %+v", sel)
	}
}
