// Package confparse reads strongSwan's three configuration files exactly as
// strongSwan 5.9.8 reads them, and reports what it finds with
// file:line:column positions.
//
// The grammars are participle grammars. For ipsec.conf and strongswan.conf
// they run over hand-written scanners that follow strongSwan's flex scanners
// rule for rule (longest match, start-of-line anchors, start-condition
// stacks, includes spliced into the token stream); ipsec.secrets lines are
// split as stroke_cred.c does and read with a grammar over lexparser.c's
// token rules. The semantics (section merging, also=, keyword types and
// defaults, lookups) are plain Go next to them. The sub-packages are:
//
//	ipsecconf  ipsec.conf as starter reads it, and the add_conn/add_ca
//	           messages starter sends for it
//	secrets    ipsec.secrets as the stroke plugin reads it, and the
//	           credential manager's shared-key lookup over it
//	settings   strongswan.conf as libstrongswan reads it: typed lookups,
//	           plugin load order, logger sections, daemon options
//
// Identities (owners in ipsec.secrets) are package credentials' Identity,
// the one implementation of identification.c that the daemon also uses,
// and so is the shared-key selection secrets runs over them.
//
// This package holds what they share: positions and errors. A Severity
// says what strongSwan does about a problem: refuse the file (Fatal),
// ignore a part of it (Dropped), or just log it (Warning).
//
// Where strongSwan misbehaves, goswan reports instead: include loops (every
// file), identities starting with '#' in ipsec.secrets (charon loops
// forever).
package confparse
