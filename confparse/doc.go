// Package confparse reads strongSwan's three configuration files exactly as
// strongSwan 5.9.8 reads them, and reports what it finds with file:line:column
// positions.
//
// The grammars are participle grammars over hand-written lexers that follow
// strongSwan's flex scanners rule for rule (longest match, start of line,
// start-condition stacks, includes spliced into the token stream); the
// semantics (section merging, also=, keyword types, defaults, lookups) are
// plain Go next to them. The sub-packages are:
//
//	ipsecconf  ipsec.conf as starter reads it: src/starter/{parser,confread.c,args.c,keywords.txt}
//	           and what starterstroke.c puts into add_conn/add_ca messages
//	secrets    ipsec.secrets as the stroke plugin reads it (stroke_cred.c) and
//	           the shared-key lookup of libstrongswan's credential manager
//	settings   strongswan.conf as libstrongswan reads it (settings/), typed
//	           lookups, plugin load order and logger sections
//	ident      identities as identification.c parses and matches them
//
// This package holds what they share: positions and errors.
package confparse
