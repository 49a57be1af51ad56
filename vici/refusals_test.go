package vici

import (
	"testing"

	"github.com/goswan/goswan/config/feature"
)

// vici refuses the options of the features goswan lacks with its own
// messages (whyCerts, whyIKEv1). This test ties them to
// config/feature, the one list of what goswan does not do: flipping a
// feature to supported there fails here until vici implements it too
// (CertStore, the auth rounds), so a vici refusal can never
// outlive the feature's absence, and a feature can never be announced as
// done while vici still refuses it.
func TestRefusalsFollowFeatureList(t *testing.T) {
	for _, c := range []struct {
		why string
		f   *feature.Feature
	}{
		{whyAuthorities, feature.ViciAuthorities},
		{whyRawKeys, feature.RawPublicKeys},
		{whyIKEv1, feature.IKEv1},
	} {
		if c.f.Supported {
			t.Errorf("feature %q is supported, but vici still refuses it (%q): implement it in vici and drop the refusal", c.f, c.why)
		}
	}
}
