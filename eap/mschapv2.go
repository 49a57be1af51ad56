package eap

import (
	"bytes"
	"crypto/des"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"encoding/hex"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/md4" //lint:ignore SA1019 MS-CHAPv2's NT password hash is MD4 (RFC 2759).

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// mschapv2 is eap-mschapv2: Microsoft's CHAP version 2 (RFC 2759) inside
// EAP, as Windows' IKEv2 client uses it (draft-kamath-pppext-eap-mschapv2),
// with the MSK of RFC 3079 from the MPPE keys.
type mschapv2 struct {
	ctx    *Context
	server bool
	state  mschapState

	id         uint8 // EAP identifier
	mschapID   uint8 // MS-CHAPv2-ID, increased with each retry
	retries    int
	challenge  []byte
	ntResponse []byte
	authResp   []byte // the Authenticator Response (20 octets)
	msk        []byte
	// peerID is the user name the server verified.
	peerID *credentials.Identity
}

type mschapState uint8

const (
	mschapExpectChallenge mschapState = iota
	mschapExpectResponse
	mschapExpectSuccess
	mschapDone
)

// MS-CHAPv2 OpCodes.
const (
	mschapChallenge      = 1
	mschapResponse       = 2
	mschapSuccess        = 3
	mschapFailure        = 4
	mschapChangePassword = 7
)

var mschapOpcodeNames = map[uint8]string{1: "CHALLENGE", 2: "RESPONSE", 3: "SUCCESS", 4: "FAILURE", 7: "CHANGE_PASSWORD"}

func mschapOpcodeName(op uint8) string {
	if n, ok := mschapOpcodeNames[op]; ok {
		return n
	}
	return "(" + strconv.Itoa(int(op)) + ")"
}

var mschapErrorNames = map[int]string{
	646: "ERROR_RESTRICTED_LOGON_HOURS", 647: "ERROR_ACCT_DISABLED", 648: "ERROR_PASSWD_EXPIRED",
	649: "ERROR_NO_DIALIN_PERMISSION", 691: "ERROR_AUTHENTICATION_FAILURE", 709: "ERROR_CHANGING_PASSWORD",
}

const (
	mschapChallengeLen = 16
	// mschapResponseLen is the Response field: peer challenge, 8 reserved
	// octets, NT-Response, flags.
	mschapResponseLen = 49
	// mschapAuthResponseLen is "S=" and 40 hex digits.
	mschapAuthResponseLen = 42
	mschapHostName        = "strongSwan"
	mschapSuccessMessage  = " M=Welcome2strongSwan"
	mschapFailureMessage  = "E=691 R=1 C="
	// mschapHeaderLen is the EAP header, type, OpCode, MS-CHAPv2-ID and
	// MS-Length; the short header of the peer's Success and Failure
	// responses ends after the OpCode.
	mschapHeaderLen      = 9
	mschapShortHeaderLen = 6
	mschapRetryDelay     = 2 * time.Second
	mschapMaxRetries     = 2
)

// NewMSCHAPv2Server creates the server side; the MS-CHAPv2-ID starts at
// the (non-zero, random) EAP identifier.
func NewMSCHAPv2Server(ctx *Context) Method {
	id := randomID(ctx.Env.Rand)
	return &mschapv2{ctx: ctx, server: true, id: id, mschapID: id}
}

// NewMSCHAPv2Peer creates the peer side.
func NewMSCHAPv2Peer(ctx *Context) Method { return &mschapv2{ctx: ctx} }

// packet builds an MS-CHAPv2 packet with its MS-Length (the EAP length
// minus 5).
func (m *mschapv2) packet(code encoding.EAPCode, op uint8, data ...[]byte) []byte {
	p := build(code, m.id, TypeMSCHAPv2, append([][]byte{{op, m.mschapID, 0, 0}}, data...)...)
	binary.BigEndian.PutUint16(p[7:], uint16(len(p)-5))
	return p
}

func (m *mschapv2) Initiate() ([]byte, Status) {
	if !m.server {
		return nil, Failed
	}
	m.challenge = make([]byte, mschapChallengeLen)
	if _, err := io.ReadFull(m.ctx.Env.Rand, m.challenge); err != nil {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 failed, no challenge")
		return nil, Failed
	}
	m.state = mschapExpectResponse
	return m.packet(encoding.EAPRequest, mschapChallenge, []byte{mschapChallengeLen}, m.challenge, []byte(mschapHostName)), NeedMore
}

func (m *mschapv2) Process(in []byte) ([]byte, Status) {
	if m.server {
		return m.processServer(in)
	}
	return m.processPeer(in)
}

func (m *mschapv2) processPeer(in []byte) ([]byte, Status) {
	m.id = Identifier(in)
	if len(in) < mschapShortHeaderLen {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message")
		return nil, Failed
	}
	op := in[5]
	switch {
	case m.state == mschapExpectChallenge && op == mschapChallenge:
		return m.peerChallenge(in)
	case m.state == mschapExpectSuccess && op == mschapSuccess:
		return m.peerSuccess(in)
	case m.state == mschapExpectSuccess && op == mschapFailure:
		return m.peerFailure(in)
	}
	m.unexpected(op, op == mschapChallenge || op == mschapSuccess || op == mschapFailure)
	return nil, Failed
}

func (m *mschapv2) unexpected(op uint8, known bool) {
	if known {
		m.ctx.logf(bus.IKE, bus.Control, "received unexpected EAP-MS-CHAPv2 message with OpCode (%s)!", mschapOpcodeName(op))
	} else {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 received packet with unsupported OpCode (%s)!", mschapOpcodeName(op))
	}
}

func (m *mschapv2) peerChallenge(in []byte) ([]byte, Status) {
	// The name must be at least one octet long.
	if len(in) < mschapHeaderLen+1+mschapChallengeLen+1 {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: too short")
		return nil, Failed
	}
	if in[mschapHeaderLen] != mschapChallengeLen {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: invalid challenge size")
		return nil, Failed
	}
	m.mschapID = in[6]
	m.challenge = slices.Clone(in[mschapHeaderLen+1 : mschapHeaderLen+1+mschapChallengeLen])
	peerChallenge := make([]byte, mschapChallengeLen)
	if _, err := io.ReadFull(m.ctx.Env.Rand, peerChallenge); err != nil {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 failed, allocating challenge failed")
		return nil, Failed
	}
	ntHash, ok := m.ntHash(m.ctx.Peer, m.ctx.Server)
	if !ok {
		m.ctx.logf(bus.IKE, bus.Control, "no EAP key found for hosts '%s' - '%s'", m.ctx.Server, m.ctx.Peer)
		return nil, NotFound
	}
	// The whole user identity goes out, but only its user part enters the
	// challenge hash.
	userID := m.ctx.Peer.Encoding()
	m.generate(m.challenge, peerChallenge, extractUsername(userID), ntHash)
	clear(ntHash)
	resp := make([]byte, mschapResponseLen)
	copy(resp, peerChallenge)
	copy(resp[mschapChallengeLen+8:], m.ntResponse)
	m.state = mschapExpectSuccess
	return m.packet(encoding.EAPResponse, mschapResponse, []byte{mschapResponseLen}, resp, userID), NeedMore
}

// tokens splits the message of a Success or Failure request at spaces.
func mschapTokens(in []byte) []string {
	msg := in[min(len(in), mschapHeaderLen):]
	if i := bytes.IndexByte(msg, 0); i >= 0 {
		msg = msg[:i]
	}
	var out []string
	for _, t := range strings.Split(string(msg), " ") {
		if t != "" {
			out = append(out, t)
		}
	}
	return out
}

func (m *mschapv2) peerSuccess(in []byte) ([]byte, Status) {
	if len(in) < mschapAuthResponseLen {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: too short")
		return nil, Failed
	}
	var authString []byte
	msg := "(null)"
	for _, tok := range mschapTokens(in) {
		switch {
		case strings.HasPrefix(tok, "S="):
			tok = tok[2:]
			if len(tok) != mschapAuthResponseLen-2 {
				m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: invalid auth string")
				return nil, Failed
			}
			authString, _ = hex.DecodeString(tok)
			if authString == nil {
				authString = []byte{}
			}
		case strings.HasPrefix(tok, "M="):
			msg = tok[2:]
		}
	}
	if authString == nil {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: auth string missing")
		return nil, Failed
	}
	if subtle.ConstantTimeCompare(m.authResp, authString) != 1 {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 verification failed")
		return nil, Failed
	}
	m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 succeeded: '%s'", sanitize(msg))
	m.state = mschapDone
	p := build(encoding.EAPResponse, m.id, TypeMSCHAPv2, []byte{mschapSuccess})
	return p, NeedMore
}

func (m *mschapv2) peerFailure(in []byte) ([]byte, Status) {
	code := 0
	msg := "(null)"
	for _, tok := range mschapTokens(in) {
		switch {
		case strings.HasPrefix(tok, "E="):
			code = int(atoi(tok[2:]))
		case strings.HasPrefix(tok, "C="):
			if len(tok[2:]) != 2*mschapChallengeLen {
				m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message:invalid challenge")
				return nil, Failed
			}
		case strings.HasPrefix(tok, "M="):
			msg = tok[2:]
		}
	}
	name, ok := mschapErrorNames[code]
	if !ok {
		name = "(" + strconv.Itoa(code) + ")"
	}
	m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 failed with error %s: '%s'", name, sanitize(msg))
	// Windows sends no Failure Response and expects none; neither do we.
	m.state = mschapDone
	return nil, Failed
}

// atoi is atoi(3) on a token: leading digits, 0 without.
func atoi(s string) int32 {
	var v int64
	neg := false
	i := 0
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + int64(s[i]-'0')
		if v > 1<<31 {
			v = 1 << 31
		}
	}
	if neg {
		v = -v
	}
	return int32(v)
}

func (m *mschapv2) processServer(in []byte) ([]byte, Status) {
	if Identifier(in) != m.id {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: unexpected identifier")
		return nil, Failed
	}
	if len(in) < mschapShortHeaderLen {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: too short")
		return nil, Failed
	}
	op := in[5]
	switch {
	case m.state == mschapExpectResponse && op == mschapResponse:
		return m.serverResponse(in)
	case m.state == mschapExpectSuccess && op == mschapSuccess && m.msk != nil:
		return nil, Success
	case op == mschapFailure:
		// The peer may give up in any state.
		return nil, Failed
	}
	m.unexpected(op, op == mschapResponse || op == mschapSuccess)
	return nil, Failed
}

func (m *mschapv2) serverResponse(in []byte) ([]byte, Status) {
	const fixed = mschapHeaderLen + 1 + mschapResponseLen
	if len(in) < fixed {
		m.ctx.logf(bus.IKE, bus.Control, "received invalid EAP-MS-CHAPv2 message: too short")
		return nil, Failed
	}
	resp := in[mschapHeaderLen+1 : fixed]
	peerChallenge := resp[:mschapChallengeLen]
	name := in[fixed:]
	name = name[:min(len(name), 255)]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	userID := credentials.ParseIdentity(string(name))
	if !userID.Equals(m.ctx.Peer) {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 username: '%s'", userID)
	}
	ntHash, ok := m.ntHash(m.ctx.Server, userID)
	if !ok {
		m.ctx.logf(bus.IKE, bus.Control, "no EAP key found for hosts '%s' - '%s'", m.ctx.Server, userID)
		return m.retry()
	}
	m.generate(m.challenge, peerChallenge, extractUsername(userID.Encoding()), ntHash)
	clear(ntHash)
	if subtle.ConstantTimeCompare(resp[mschapChallengeLen+8:mschapChallengeLen+8+24], m.ntResponse) != 1 {
		return m.retry()
	}
	m.id++
	msg := "S=" + strings.ToUpper(hex.EncodeToString(m.authResp)) + mschapSuccessMessage
	// The message goes out with its terminating NUL, as charon sends it.
	out := m.packet(encoding.EAPRequest, mschapSuccess, []byte(msg), []byte{0})
	m.peerID = userID
	m.state = mschapExpectSuccess
	return out, NeedMore
}

// retry answers a wrong response with a retriable Failure and a new
// challenge, until the retries are used up.
func (m *mschapv2) retry() ([]byte, Status) {
	m.retries++
	if m.retries > mschapMaxRetries {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 verification failed: maximum number of retries reached")
		return nil, Failed
	}
	m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 verification failed, retry (%d)", m.retries)
	if _, err := io.ReadFull(m.ctx.Env.Rand, m.challenge); err != nil {
		m.ctx.logf(bus.IKE, bus.Control, "EAP-MS-CHAPv2 failed, allocating challenge failed")
		return nil, Failed
	}
	m.ntResponse, m.authResp, m.msk = nil, nil, nil
	m.id++
	msg := mschapFailureMessage + strings.ToUpper(hex.EncodeToString(m.challenge))
	out := m.packet(encoding.EAPRequest, mschapFailure, []byte(msg))
	m.mschapID++
	// Slow down guessing.
	if m.ctx.Env.Delay != nil {
		m.ctx.Env.Delay(mschapRetryDelay)
	}
	return out, NeedMore
}

// ntHash finds the NT hash of the password shared by me and other: a
// stored NTLM hash, else MD4 of the EAP password in UTF-16LE.
func (m *mschapv2) ntHash(me, other *credentials.Identity) ([]byte, bool) {
	creds := m.ctx.Env.Creds
	if k, ok := creds.Shared(credentials.SharedNTHash, me, other); ok {
		h := slices.Clone(k.Secret)
		k.Wipe()
		return h, true
	}
	k, ok := creds.Shared(credentials.SharedEAP, me, other)
	if !ok {
		return nil, false
	}
	pw := utf16le(k.Secret)
	k.Wipe()
	h := md4Sum(pw)
	clear(pw)
	return h, true
}

// generate computes NT-Response, Authenticator Response and MSK
// (GenerateNTResponse and GenerateAuthenticatorResponse of RFC 2759,
// the MPPE keys of RFC 3079).
func (m *mschapv2) generate(challenge, peerChallenge, username, ntHash []byte) {
	hashHash := md4Sum(ntHash)
	challengeHash := mschapChallengeHash(peerChallenge, challenge, username)
	m.ntResponse = mschapChallengeResponse(challengeHash, ntHash)
	m.authResp = mschapAuthenticatorResponse(hashHash, challengeHash, m.ntResponse)
	m.msk = mschapMSK(hashHash, m.ntResponse)
	clear(hashHash)
}

func md4Sum(b []byte) []byte {
	h := md4.New()
	h.Write(b)
	return h.Sum(nil)
}

func sha1Sum(parts ...[]byte) []byte {
	h := sha1.New()
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

// mschapChallengeHash is ChallengeHash: the first 8 octets of
// SHA1(peer challenge | server challenge | user name).
func mschapChallengeHash(peerChallenge, challenge, username []byte) []byte {
	return sha1Sum(peerChallenge, challenge, username)[:8]
}

// mschapChallengeResponse is ChallengeResponse: the challenge hash DES
// encrypted with the three 7-octet thirds of the zero-padded NT hash.
func mschapChallengeResponse(challengeHash, ntHash []byte) []byte {
	z := make([]byte, 21)
	copy(z, ntHash)
	out := make([]byte, 24)
	for i := range 3 {
		c, _ := des.NewCipher(expandDESKey(z[i*7 : i*7+7]))
		c.Encrypt(out[i*8:], challengeHash)
	}
	clear(z)
	return out
}

// expandDESKey spreads 7 octets over the 8 of a DES key, with odd parity.
func expandDESKey(k []byte) []byte {
	masks := [...]byte{0xfe, 0xfc, 0xf8, 0xf0, 0xe0, 0xc0, 0x80}
	out := make([]byte, 8)
	var carry byte
	for i := range 7 {
		out[i] = (k[i]&masks[i])>>i | carry<<(8-i)
		carry = k[i] &^ masks[i]
	}
	out[7] = carry << 1
	for i := range out {
		v := out[i]
		v = (v ^ v>>4) & 0x0f
		out[i] |= byte((uint16(0x9669) >> v) & 1)
	}
	return out
}

var (
	mschapMagic1 = []byte("Magic server to client signing constant")
	mschapMagic2 = []byte("Pad to make it do more than one iteration")
	mppeMagic1   = []byte("This is the MPPE Master Key")
	mppeMagic2   = []byte("On the client side, this is the send key; on the server side, it is the receive key.")
	mppeMagic3   = []byte("On the client side, this is the receive key; on the server side, it is the send key.")
	shaPad1      = make([]byte, 40)
	shaPad2      = bytes.Repeat([]byte{0xf2}, 40)
)

// mschapAuthenticatorResponse is GenerateAuthenticatorResponse's digest.
func mschapAuthenticatorResponse(hashHash, challengeHash, ntResponse []byte) []byte {
	digest := sha1Sum(hashHash, ntResponse, mschapMagic1)
	return sha1Sum(digest, challengeHash, mschapMagic2)
}

// mschapMSK is the MSK: the MPPE master receive and send keys of RFC
// 3079 (16 octets each) and 32 zero octets.
func mschapMSK(hashHash, ntResponse []byte) []byte {
	master := sha1Sum(hashHash, ntResponse, mppeMagic1)[:16]
	recv := sha1Sum(master, shaPad1, mppeMagic2, shaPad2)[:16]
	send := sha1Sum(master, shaPad1, mppeMagic3, shaPad2)[:16]
	msk := make([]byte, 0, 64)
	msk = append(append(msk, recv...), send...)
	return append(msk, make([]byte, 32)...)
}

// extractUsername drops a "DOMAIN\" prefix.
func extractUsername(id []byte) []byte {
	if i := bytes.IndexByte(id, '\\'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// utf16le converts the password to UTF-16LE, dropping code points that
// are no characters (lone surrogates, noncharacters), as charon does.
func utf16le(b []byte) []byte {
	out := make([]byte, 0, 2*len(b))
	for len(b) > 0 {
		c, n, ok := decodeUTF8(b)
		if !ok {
			break
		}
		b = b[n:]
		if c >= 0xd800 && (c <= 0xdfff || c > 0x10ffff || (0xfdd0 <= c && (c <= 0xfdef || c&0xfffe == 0xfffe))) {
			continue
		}
		if c < 0x10000 {
			out = append(out, byte(c), byte(c>>8))
			continue
		}
		hi, lo := 0xd7c0+(c>>10), 0xdc00|(c&0x3ff)
		out = append(out, byte(hi), byte(hi>>8), byte(lo), byte(lo>>8))
	}
	return out
}

// decodeUTF8 reads one character the lenient way charon does: the lead
// octet decides the length, continuation octets are not checked, and a
// truncated sequence ends the input (ok false).
func decodeUTF8(b []byte) (c uint32, n int, ok bool) {
	b1 := uint32(b[0])
	switch {
	case b1&0x80 == 0:
		return b1, 1, true
	case len(b) < 2:
		return 0, 0, false
	case b1 < 0xe0:
		return (b1&0x1f)<<6 | uint32(b[1])&0x3f, 2, true
	case len(b) < 3:
		return 0, 0, false
	case b1 < 0xf0:
		return (b1&0x0f)<<12 | (uint32(b[1])&0x3f)<<6 | uint32(b[2])&0x3f, 3, true
	case len(b) < 4:
		return 0, 0, false
	}
	return (b1&0x07)<<18 | (uint32(b[1])&0x3f)<<12 | (uint32(b[2])&0x3f)<<6 | uint32(b[3])&0x3f, 4, true
}

// sanitize replaces unprintable characters with '?'.
func sanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			b[i] = '?'
		}
	}
	return string(b)
}

func (m *mschapv2) Type() (uint32, uint32) { return TypeMSCHAPv2, 0 }

func (m *mschapv2) MSK() ([]byte, Status) {
	if m.msk != nil {
		return m.msk, Success
	}
	return nil, Failed
}

func (m *mschapv2) Identifier() uint8      { return m.id }
func (m *mschapv2) SetIdentifier(id uint8) { m.id = id }
func (m *mschapv2) IsMutual() bool         { return false }

// Auth reports the user name the server verified as the EAP identity.
func (m *mschapv2) Auth() *Auth {
	if m.peerID == nil {
		return nil
	}
	return &Auth{EAPIdentity: m.peerID}
}

func (m *mschapv2) Destroy() { clear(m.msk) }
