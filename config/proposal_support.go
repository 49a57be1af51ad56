package config

import (
	"strings"

	"github.com/goswan/goswan/crypto"
)

// UnsupportedAlgorithms lists, once each and in order, the algorithm
// keywords of an ike=, esp= or ah= value that strongSwan's proposal parser
// accepts and goswan's crypto cannot run. charon would propose and accept
// them; goswan refuses the conn instead of negotiating something else.
func UnsupportedAlgorithms(value string) []string {
	var out []string
	seen := map[string]bool{}
	for _, single := range strings.Split(strings.TrimSuffix(value, "!"), ",") {
		for _, tok := range splitTokens(single) {
			a, keyLength, ok := crypto.LookupKeyword(tok)
			if !ok || seen[tok] || Supported(Transform{Type: a.Type, ID: a.ID, KeyLength: keyLength}) {
				continue
			}
			seen[tok] = true
			out = append(out, tok)
		}
	}
	return out
}
