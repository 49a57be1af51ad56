package eapname

import (
	"testing"

	"github.com/goswan/goswan/config/feature"
)

func TestFeature(t *testing.T) {
	for s, want := range map[string]*feature.Feature{
		"eap": feature.EAP, "eap-md5": feature.EAP, "eap-MSCHAPV2": feature.EAP, "eap-radius": feature.EAP,
		"eap-identity": feature.EAP, "eap-4": feature.EAP, "eap-tls": feature.EAPTLS, "eap-13": feature.EAPTLS,
		"eap-ttls": feature.OtherEAPMethods, "eap-aka": feature.OtherEAPMethods, "eap-dynamic": feature.OtherEAPMethods,
		"eap-md5-12345": feature.OtherEAPMethods, "eap-200": feature.OtherEAPMethods,
	} {
		if got := Feature(Parse(s)); got != want {
			t.Errorf("%s: %v, want %v", s, got, want)
		}
	}
}
