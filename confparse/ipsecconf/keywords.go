package ipsecconf

// keyword is starter's kw_token_t (src/starter/keywords.h.in). The order
// matters: starter decides which section a keyword belongs to by range, and
// the end keywords map onto left and right by offset.
type keyword int

const (
	// config setup
	kwCharondebug keyword = iota
	kwUniqueids
	kwCachecrls
	kwStrictcrlpolicy
	kwPKCS11Deprecated
	kwSetupDeprecated

	// conn
	kwConnName // no keyword maps here; it marks the start of the conn range
	kwConnSetup
	kwKeyexchange
	kwType
	kwCompress
	kwInstallpolicy
	kwAggressive
	kwAuthby
	kwEAPIdentity
	kwAAAIdentity
	kwMobike
	kwForceencaps
	kwFragmentation
	kwIKEDSCP
	kwIKELifetime
	kwKeylife
	kwRekeymargin
	kwLifebytes
	kwMarginbytes
	kwLifepackets
	kwMarginpackets
	kwKeyingtries
	kwRekeyfuzz
	kwRekey
	kwReauth
	kwIKE
	kwESP
	kwAH
	kwDPDDelay
	kwDPDTimeout
	kwDPDAction
	kwCloseaction
	kwSHA256_96
	kwInactivity
	kwModeconfig
	kwXauth
	kwXauthIdentity
	kwMediation
	kwMediatedBy
	kwMePeerID
	kwReqid
	kwReplayWindow
	kwMark
	kwMarkIn
	kwMarkOut
	kwTFC
	kwPFSDeprecated
	kwConnDeprecated

	// ca
	kwCAName
	kwCASetup
	kwCACert
	kwCRLURI
	kwCRLURI2
	kwOCSPURI
	kwOCSPURI2
	kwCertURIBase
	kwCADeprecated

	// end (left|right without the prefix)
	kwHost
	kwIKEPort
	kwSubnet
	kwProtoport
	kwSourceIP
	kwDNS
	kwFirewall
	kwHostaccess
	kwAllowany
	kwUpdown
	kwAuth1
	kwAuth2
	kwID
	kwID2
	kwSigkey
	kwCert
	kwCert2
	kwCertpolicy
	kwSendcert
	kwCA
	kwCA2
	kwGroups
	kwGroups2
	kwEndDeprecated

	// left end: kwLeft+i is end keyword kwHost+i
	kwLeft
	kwLeftLast = kwLeft + (kwEndDeprecated - kwHost)
	// right end
	kwRight     = kwLeftLast + 1
	kwRightLast = kwRight + (kwEndDeprecated - kwHost)

	kwAlso = kwRightLast + 1
	kwAuto = kwAlso + 1
)

const (
	kwSetupFirst = kwCharondebug
	kwSetupLast  = kwSetupDeprecated
	kwConnFirst  = kwConnSetup
	kwConnLast   = kwConnDeprecated
	kwCAFirst    = kwCASetup
	kwCALast     = kwCADeprecated
	kwEndFirst   = kwHost
	kwEndLast    = kwEndDeprecated
)

// end maps a left/right token to its end token and side.
func (k keyword) end() (tok keyword, right, ok bool) {
	switch {
	case k >= kwLeft && k <= kwLeftLast:
		return k - kwLeft + kwEndFirst, false, true
	case k >= kwRight && k <= kwRightLast:
		return k - kwRight + kwEndFirst, true, true
	}
	return 0, false, false
}

// keywords is keywords.txt: every name starter knows, built from the table.
var keywords = func() map[string]keyword {
	m := map[string]keyword{"also": kwAlso, "auto": kwAuto}
	for i := range specs {
		sp := &specs[i]
		if sp.tok != keyword(i) {
			panic("ipsecconf: keyword table out of token order")
		}
		if sp.tok == kwConnSetup || sp.tok == kwCASetup {
			continue // "auto", mapped by section
		}
		for _, n := range sp.names {
			if sp.tok >= kwEndFirst && sp.tok <= kwEndLast {
				m["left"+n] = kwLeft + (sp.tok - kwEndFirst)
				m["right"+n] = kwRight + (sp.tok - kwEndFirst)
				continue
			}
			m[n] = sp.tok
		}
	}
	return m
}()

// spec returns the table row of a token (end tokens of either side give
// the end row).
func spec(k keyword) *kwSpec {
	if tok, _, ok := k.end(); ok {
		k = tok
	}
	switch k {
	case kwAlso:
		return &alsoSpec
	case kwAuto:
		return &specs[kwConnSetup]
	}
	return &specs[k]
}
