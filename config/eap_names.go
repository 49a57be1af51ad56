package config

import "strconv"

// eapTypeNames is eap_type_names for the methods a uint8 can hold.
var eapTypeNames = map[uint8]string{
	1: "EAP_IDENTITY", 2: "EAP_NOTIFICATION", 3: "EAP_NAK", 4: "EAP_MD5", 5: "EAP_OTP",
	6: "EAP_GTC", 13: "EAP_TLS", 18: "EAP_SIM", 21: "EAP_TTLS", 23: "EAP_AKA",
	25: "EAP_PEAP", 26: "EAP_MSCHAPV2", 33: "EAP_MSTLV", 38: "EAP_TNC", 54: "EAP_PT_EAP",
	254: "EAP_EXPANDED", 255: "EAP_EXPERIMENTAL",
}

// EAPTypeName is eap_type_names' name of an EAP method, "(N)" for one
// without a name.
func EAPTypeName(t uint8) string {
	if n, ok := eapTypeNames[t]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(t)) + ")"
}
