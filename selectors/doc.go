// Package selectors holds IKEv2 traffic selectors, as strongSwan's
// libstrongswan/selectors/traffic_selector.c: an address range of one family
// with an IP protocol and a port range, narrowing (Subset), strongSwan's
// ordering, and its printed form ("10.1.0.0/16", "10.1.0.0/16[tcp/ssh]",
// "dynamic", "10.0.0.1..10.0.0.9").
//
// It is a leaf package: kernel backends, config, encoding conversions and the
// tasks all use the same value type.
package selectors
