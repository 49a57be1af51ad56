package bus

import "testing"

func TestGroupNamesMatchCharon(t *testing.T) {
	// charon's debug_names, in enum order.
	want := []string{"DMN", "MGR", "IKE", "CHD", "JOB", "CFG", "KNL", "NET", "ASN", "ENC",
		"TNC", "IMC", "IMV", "PTS", "TLS", "APP", "ESP", "LIB", "ANY"}
	for i, w := range want {
		if got := Group(i).String(); got != w {
			t.Errorf("Group(%d) = %q, want %q", i, got, w)
		}
		g, ok := ParseGroup(w)
		if !ok || g != Group(i) {
			t.Errorf("ParseGroup(%q) = %v, %v", w, g, ok)
		}
	}
	if _, ok := ParseGroup("foo"); ok {
		t.Error("ParseGroup accepted foo")
	}
}
