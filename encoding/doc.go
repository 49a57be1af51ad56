// Package encoding is goswan's IKEv2 message codec (RFC 7296, RFC 7383
// fragmentation), the counterpart of strongSwan's libcharon/encoding
// (message.c, payloads/*.c). It parses and generates what charon 5.9.8
// parses and generates, applies the same per-exchange payload rules, and
// prints messages the way charon logs them.
//
// # Messages
//
// A Message holds the IKE header fields and its Payloads in order. Each
// payload type of RFC 7296 §3 is a pointer type in its own file: *SA (with
// Proposal, Transform, TransformAttribute; transform IDs stay raw numbers,
// package crypto's algorithm table names them), *KE, *ID (IDi/IDr), *Cert, *CertReq, *Auth,
// *Nonce, *Notify, *Delete, *VendorID, *TS (TSi/TSr, with TrafficSelector as
// netip.Addr ranges), *CP (with CPAttribute), *EAP, and *Unknown for types an
// IKEv2 parser does not know. *Encrypted (SK) and *EncryptedFragment (SKF)
// carry protected data. Every payload implements Payload: Type and
// AppendBody, an append-style encoder of the body; the message writes the
// generic headers and chains the Next Payload fields.
//
// The enums (ExchangeType, PayloadType, NotifyType, IDType, AuthMethod,
// ProtocolID, TransformType, CPType, ConfigAttribute, ...) print with
// strongSwan's names; PayloadType, NotifyType and ConfigAttribute also have
// the ShortName that message summaries use, and a value without a name
// prints as "(N)" like charon's %N.
//
// # Receiving: two steps, as in charon
//
//	h, err := encoding.DecodeHeader(pkt) // route by SPI, answer INVALID_MAJOR_VERSION
//	m, err := encoding.Decode(pkt)       // header + unprotected payloads
//	if m.Encrypted() {
//		err = m.Decrypt(cipher)      // ICV, decrypt, inner payloads, rules
//	}
//	log("parsed %s", m)                  // "IKE_AUTH request 1 [ IDi ... ]"
//
// Decode parses the header and the payload chain up to an SK or SKF payload,
// which stays encrypted. An IKE_SA_INIT message (or a protected exchange
// without SK) is complete after Decode; a protected one is completed by
// Decrypt, which verifies the ICV before it decrypts, replaces the SK
// payload by the payloads inside, and applies the exchange's rules. For an
// SKF fragment, Decrypt opens the fragment; a Reassembler (one per message
// being received) collects opened fragments and returns the whole message,
// decoded and checked, once all have arrived (RFC 7383 §2.6: duplicate,
// stale and oversized fragments are reported as ErrFragment* outcomes).
//
// The checks are charon's: each payload's verify() (nonce length, notify
// data lengths, SPI sizes, proposal numbering, EAP lengths, ...), strict
// nesting of every length field, an SK or SKF payload only as the last
// payload, the per-exchange minimum and maximum occurrences (message.c's
// payload rules), and, for protected exchanges, no known payload outside
// SK. Errors are *Error values wrapping one kind per charon outcome
// (ErrMalformed and ErrInvalid: answer a request with INVALID_SYNTAX;
// ErrIntegrity and ErrNotEncrypted: drop; ErrNoCipher, ErrHeader,
// ErrUnsupportedVersion, ErrUnsupportedExchange). An unknown payload with
// the critical bit yields *UnsupportedCriticalPayloadError carrying its type
// for the UNSUPPORTED_CRITICAL_PAYLOAD notify; the message comes with it,
// complete, because charon checks critical bits after logging "parsed".
// Unknown payloads without the bit stay in Payloads (summarised as
// UNKN(type), as charon does) and the Get/First/Notify accessors skip them.
// No input panics; every parser is fuzzed.
//
// Where goswan is stricter than charon: the header's length must equal the
// datagram, no bytes may follow the last payload (outside or inside SK), and
// a fragment announcing fewer fragments than those already held is
// discarded (RFC 7383 §2.6) rather than mixed in.
//
// # Sending
//
//	m := encoding.NewMessage(encoding.ExchangeCreateChildSA, 2)
//	m.SPIi, m.SPIr, m.Initiator = spiI, spiR, true
//	m.Add(sa, nonce, tsi, tsr).AddNotify(encoding.NotifyRekeySA, nil)
//	frags, err := m.EncodeFragments(cipher, rand, encoding.FragmentSize(fragSize, ipv6, natt))
//	log("generating %s", m)              // payloads now in charon's order
//
// Encode puts the payloads in charon's order for the exchange first (in
// place, unless KeepOrder is set; Decode sets it), so the "generating" line
// and the wire order match charon's. Protected exchanges are sealed into an
// SK payload with the given Cipher; the padding octets come from the given
// io.Reader, never from a global source. EncodeFragments splits the SK
// contents into SKF fragments exactly as charon computes the fragment
// length; FragmentSummary gives the "EF(n/m)" line of each fragment and
// Size the length charon reports when splitting.
//
// # Summaries
//
// Message.String is charon's message summary (message.c get_string),
// including notify short names (N(NATD_S_IP), N(MS_STATUS(n))), CP
// contents (CPRQ(ADDR DNS)), EAP code and method (EAP/REQ/ID, EAP/RES/26-MS),
// fragments (EF(1/3)), unknown payloads (UNKN(99)) and charon's 512-byte
// buffer cut.
//
// The golden tests replay real traffic of Debian's charon 5.9.8, captured by
// testing/capture/ike-capture.sh into testdata/capture (see its README).
package encoding
