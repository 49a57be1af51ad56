// Package credentials holds identities and shared secrets the way
// libstrongswan does: identification_t (utils/identification.c), shared_key_t
// (credentials/keys/shared_key.c), the shared-key part of mem_cred_t
// (credentials/sets/mem_cred.c) and the best-match lookup of the credential
// manager (credentials/credential_manager.c get_shared).
//
// Identities parse, print, compare and match exactly as in charon 5.9.8, so
// that IDi/IDr payloads, peer config selection, PSK lookup and every log line
// that prints an identity (%Y) come out the same. Where strongSwan's
// behaviour rests on the C library (inet_pton, inet_ntop, atoi, strtoul,
// strncasecmp, isprint in the C locale) this package reproduces glibc's.
//
// Shared secrets live in a Store: entries with owner identities, a lookup
// that picks charon's best match, and an atomic Replace for rereadsecrets
// that wipes the secrets it drops. The order and the ranking the Store uses
// are also plain functions (SharedOrder, MatchShared, BestShared), so that
// a reader of ipsec.secrets (confparse/secrets, which parses the file and
// builds the SharedKeys) can ask charon's question of its own entries.
package credentials
