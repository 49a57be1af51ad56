// Package config holds goswan's runtime configuration objects, the
// counterpart of libcharon/config. This part covers proposals
// (libstrongswan/crypto/proposal/proposal.c and proposal_keywords): parsing
// ipsec.conf's ike=/esp=/ah= strings exactly as strongSwan 5.9.8 does,
// strongSwan's default proposals, selection between configured and received
// proposals, and printing in charon's IKE:AES_CBC_128/... form.
//
// A Proposal is its own list of (transform type, id, key length) entries and
// does not depend on package encoding; converting to and from an SA payload
// is the caller's job.
package config
