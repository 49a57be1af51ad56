package encoding

// The per-exchange payload rules of charon's message.c: which payloads a
// request or response of each exchange may carry, how often, whether they
// must be inside SK, and in which order charon puts them when it generates
// a message. Peers see charon's order on the wire and operators see it in
// the "generating ..." log line, so goswan sorts the same way.
//
// messageRules mirrors message.c's tables entry for entry, so a request's
// rules and its response's repeat each other wherever charon's do. That is
// on purpose: each entry stays comparable, row by row, with its message.c
// counterpart, which a table assembled from shared pieces would not be.

// Per-message maximum counts (message.c).
const (
	maxNotifies  = 20
	maxDeletes   = 20
	maxCerts     = 8
	maxVendorIDs = 20
	maxCertReqs  = 20
)

type payloadRule struct {
	typ       PayloadType
	min, max  int
	encrypted bool
	// sufficient: once a payload of this type is present, the minimum
	// counts of the rules after it no longer apply (an error notify
	// replaces the SA, KE and nonce of an IKE_SA_INIT response).
	sufficient bool
}

// orderRule places payloads of typ (and, for notifies, of notify type
// notify; 0 matches any notify).
type orderRule struct {
	typ    PayloadType
	notify NotifyType
}

type messageRule struct {
	encrypted bool
	payloads  []payloadRule
	order     []orderRule
}

type ruleKey struct {
	exchange ExchangeType
	request  bool
}

func (r *messageRule) payload(t PayloadType) *payloadRule {
	for i := range r.payloads {
		if r.payloads[i].typ == t {
			return &r.payloads[i]
		}
	}
	return nil
}

// ruleFor returns the rules for a request or response of exchange, or nil
// for exchanges charon has none for.
func ruleFor(exchange ExchangeType, request bool) *messageRule {
	return messageRules[ruleKey{exchange, request}]
}

var messageRules = map[ruleKey]*messageRule{
	{ExchangeIKESAInit, true}: {
		payloads: []payloadRule{
			{PayloadNotify, 0, maxNotifies, false, false},
			{PayloadSA, 1, 1, false, false},
			{PayloadKE, 1, 1, false, false},
			{PayloadNonce, 1, 1, false, false},
			{PayloadVendorID, 0, maxVendorIDs, false, false},
		},
		order: []orderRule{
			{PayloadNotify, NotifyCookie},
			{PayloadSA, 0}, {PayloadKE, 0}, {PayloadNonce, 0},
			{PayloadNotify, NotifyNATDetectionSourceIP},
			{PayloadNotify, NotifyNATDetectionDestinationIP},
			{PayloadNotify, 0},
			{PayloadVendorID, 0},
		},
	},
	{ExchangeIKESAInit, false}: {
		payloads: []payloadRule{
			{PayloadNotify, 0, maxNotifies, false, true},
			{PayloadSA, 1, 1, false, false},
			{PayloadKE, 1, 1, false, false},
			{PayloadNonce, 1, 1, false, false},
			{PayloadCERTREQ, 0, maxCertReqs, false, false},
			{PayloadVendorID, 0, maxVendorIDs, false, false},
		},
		order: []orderRule{
			{PayloadSA, 0}, {PayloadKE, 0}, {PayloadNonce, 0},
			{PayloadNotify, NotifyNATDetectionSourceIP},
			{PayloadNotify, NotifyNATDetectionDestinationIP},
			{PayloadNotify, NotifyHTTPCertLookupSupported},
			{PayloadCERTREQ, 0},
			{PayloadNotify, 0},
			{PayloadVendorID, 0},
		},
	},
	{ExchangeIKEAuth, true}: {
		encrypted: true,
		payloads: []payloadRule{
			{PayloadSKF, 0, 1, true, true},
			{PayloadNotify, 0, maxNotifies, true, false},
			{PayloadEAP, 0, 1, true, true},
			{PayloadAUTH, 0, 1, true, true},
			{PayloadIDi, 0, 1, true, false},
			{PayloadCERT, 0, maxCerts, true, false},
			{PayloadCERTREQ, 0, maxCertReqs, true, false},
			{PayloadIDr, 0, 1, true, false},
			{PayloadSA, 0, 1, true, false},
			{PayloadTSi, 0, 1, true, false},
			{PayloadTSr, 0, 1, true, false},
			{PayloadCP, 0, 1, true, false},
			{PayloadVendorID, 0, maxVendorIDs, true, false},
		},
		order: []orderRule{
			{PayloadIDi, 0}, {PayloadCERT, 0},
			{PayloadNotify, NotifyInitialContact},
			{PayloadNotify, NotifyHTTPCertLookupSupported},
			{PayloadCERTREQ, 0}, {PayloadIDr, 0}, {PayloadAUTH, 0}, {PayloadEAP, 0}, {PayloadCP, 0},
			{PayloadNotify, NotifyIPCompSupported},
			{PayloadNotify, NotifyUseTransportMode},
			{PayloadNotify, NotifyESPTFCPaddingNotSupported},
			{PayloadNotify, NotifyNonFirstFragmentsAlso},
			{PayloadSA, 0}, {PayloadTSi, 0}, {PayloadTSr, 0},
			{PayloadNotify, NotifyMOBIKESupported},
			{PayloadNotify, NotifyAdditionalIP4Address},
			{PayloadNotify, NotifyAdditionalIP6Address},
			{PayloadNotify, NotifyNoAdditionalAddresses},
			{PayloadNotify, 0},
			{PayloadVendorID, 0},
			{PayloadSKF, 0},
		},
	},
	{ExchangeIKEAuth, false}: {
		encrypted: true,
		payloads: []payloadRule{
			{PayloadSKF, 0, 1, true, true},
			{PayloadNotify, 0, maxNotifies, true, true},
			{PayloadEAP, 0, 1, true, true},
			{PayloadAUTH, 0, 1, true, true},
			{PayloadCERT, 0, maxCerts, true, false},
			{PayloadIDr, 0, 1, true, false},
			{PayloadSA, 0, 1, true, false},
			{PayloadTSi, 0, 1, true, false},
			{PayloadTSr, 0, 1, true, false},
			{PayloadCP, 0, 1, true, false},
			{PayloadVendorID, 0, maxVendorIDs, true, false},
		},
		order: []orderRule{
			{PayloadIDr, 0}, {PayloadCERT, 0}, {PayloadAUTH, 0}, {PayloadEAP, 0}, {PayloadCP, 0},
			{PayloadNotify, NotifyIPCompSupported},
			{PayloadNotify, NotifyUseTransportMode},
			{PayloadNotify, NotifyESPTFCPaddingNotSupported},
			{PayloadNotify, NotifyNonFirstFragmentsAlso},
			{PayloadSA, 0}, {PayloadTSi, 0}, {PayloadTSr, 0},
			{PayloadNotify, NotifyAuthLifetime},
			{PayloadNotify, NotifyMOBIKESupported},
			{PayloadNotify, NotifyAdditionalIP4Address},
			{PayloadNotify, NotifyAdditionalIP6Address},
			{PayloadNotify, NotifyNoAdditionalAddresses},
			{PayloadNotify, 0},
			{PayloadVendorID, 0},
			{PayloadSKF, 0},
		},
	},
	{ExchangeInformational, true}:  informationalRule,
	{ExchangeInformational, false}: informationalRule,
	{ExchangeCreateChildSA, true}: {
		encrypted: true,
		payloads:  createChildSAPayloads(false),
		order: []orderRule{
			{PayloadNotify, NotifyRekeySA},
			{PayloadNotify, NotifyIPCompSupported},
			{PayloadNotify, NotifyUseTransportMode},
			{PayloadNotify, NotifyESPTFCPaddingNotSupported},
			{PayloadNotify, NotifyNonFirstFragmentsAlso},
			{PayloadSA, 0}, {PayloadNonce, 0}, {PayloadKE, 0}, {PayloadTSi, 0}, {PayloadTSr, 0},
			{PayloadNotify, 0},
			{PayloadSKF, 0},
		},
	},
	{ExchangeCreateChildSA, false}: {
		encrypted: true,
		payloads:  createChildSAPayloads(true),
		order: []orderRule{
			{PayloadNotify, NotifyIPCompSupported},
			{PayloadNotify, NotifyUseTransportMode},
			{PayloadNotify, NotifyESPTFCPaddingNotSupported},
			{PayloadNotify, NotifyNonFirstFragmentsAlso},
			{PayloadSA, 0}, {PayloadNonce, 0}, {PayloadKE, 0}, {PayloadTSi, 0}, {PayloadTSr, 0},
			{PayloadNotify, NotifyAdditionalTSPossible},
			{PayloadNotify, 0},
			{PayloadSKF, 0},
		},
	},
}

// informationalRule is the same for requests and responses.
var informationalRule = &messageRule{
	encrypted: true,
	payloads: []payloadRule{
		{PayloadSKF, 0, 1, true, true},
		{PayloadNotify, 0, maxNotifies, true, false},
		{PayloadCP, 0, 1, true, false},
		{PayloadDelete, 0, maxDeletes, true, false},
		{PayloadVendorID, 0, maxVendorIDs, true, false},
	},
	order: []orderRule{
		{PayloadNotify, NotifyUpdateSAAddresses},
		{PayloadNotify, NotifyNATDetectionSourceIP},
		{PayloadNotify, NotifyNATDetectionDestinationIP},
		{PayloadNotify, NotifyCookie2},
		{PayloadNotify, 0},
		{PayloadDelete, 0},
		{PayloadCP, 0},
		{PayloadSKF, 0},
	},
}

// createChildSAPayloads: a response's notify is sufficient (an error
// notify replaces SA and nonce), a request's is not.
func createChildSAPayloads(response bool) []payloadRule {
	return []payloadRule{
		{PayloadSKF, 0, 1, true, true},
		{PayloadNotify, 0, maxNotifies, true, response},
		{PayloadSA, 1, 1, true, false},
		{PayloadNonce, 1, 1, true, false},
		{PayloadKE, 0, 1, true, false},
		{PayloadTSi, 0, 1, true, false},
		{PayloadTSr, 0, 1, true, false},
		{PayloadCP, 0, 1, true, false},
		{PayloadVendorID, 0, maxVendorIDs, true, false},
	}
}

// verifyCounts checks the minimum and maximum occurrences, in rule order
// (charon's verify()). Unknown payloads match no rule.
func (r *messageRule) verifyCounts(payloads []Payload) error {
	complete := false
	for _, rule := range r.payloads {
		found := 0
		for _, p := range payloads {
			if _, unknown := p.(*Unknown); !unknown && p.Type() == rule.typ {
				found++
			}
		}
		if found > rule.max {
			return errorf(ErrInvalid, rule.typ, "payload of type %v more than %d times (%d) occurred in current message", rule.typ, rule.max, found)
		}
		if !complete && found < rule.min {
			return errorf(ErrInvalid, rule.typ, "payload of type %v not occurred %d times (%d)", rule.typ, rule.min, found)
		}
		if found > 0 && rule.sufficient {
			complete = true
		}
	}
	return nil
}

// sort returns payloads in charon's order (message.c order_payloads):
// for each order rule, the matching payloads in their relative order; then
// the payloads no rule matched. Those leftovers come out in reverse, as
// charon moves them from the end of one list to the end of the other.
func (r *messageRule) sort(payloads []Payload) []Payload {
	rest := append([]Payload(nil), payloads...)
	out := make([]Payload, 0, len(payloads))
	for _, o := range r.order {
		kept := rest[:0]
		for _, p := range rest {
			if matchesOrder(p, o) {
				out = append(out, p)
			} else {
				kept = append(kept, p)
			}
		}
		rest = kept
	}
	for i := len(rest) - 1; i >= 0; i-- {
		out = append(out, rest[i])
	}
	return out
}

func matchesOrder(p Payload, o orderRule) bool {
	if _, unknown := p.(*Unknown); unknown || p.Type() != o.typ {
		return false
	}
	if o.typ != PayloadNotify || o.notify == 0 {
		return true
	}
	n, ok := p.(*Notify)
	return ok && n.NotifyType == o.notify
}
