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

// endKeywords are the end keywords in token order; "left"/"right" plus the
// suffix name them. Aliases are listed in keywordAliases.
var endKeywords = []string{
	"", "ikeport", "subnet", "protoport", "sourceip", "dns", "firewall",
	"hostaccess", "allowany", "updown", "auth", "auth2", "id", "id2", "sigkey",
	"cert", "cert2", "certpolicy", "sendcert", "ca", "ca2", "groups", "groups2",
	"nexthop",
}

// keywords is starter's keywords.txt: every name starter knows.
var keywords = func() map[string]keyword {
	m := map[string]keyword{
		"charondebug":     kwCharondebug,
		"uniqueids":       kwUniqueids,
		"cachecrls":       kwCachecrls,
		"strictcrlpolicy": kwStrictcrlpolicy,
		"keyexchange":     kwKeyexchange,
		"type":            kwType,
		"compress":        kwCompress,
		"installpolicy":   kwInstallpolicy,
		"aggressive":      kwAggressive,
		"authby":          kwAuthby,
		"eap_identity":    kwEAPIdentity,
		"aaa_identity":    kwAAAIdentity,
		"mobike":          kwMobike,
		"forceencaps":     kwForceencaps,
		"fragmentation":   kwFragmentation,
		"ikedscp":         kwIKEDSCP,
		"ikelifetime":     kwIKELifetime,
		"lifetime":        kwKeylife,
		"keylife":         kwKeylife,
		"rekeymargin":     kwRekeymargin,
		"margintime":      kwRekeymargin,
		"lifebytes":       kwLifebytes,
		"marginbytes":     kwMarginbytes,
		"lifepackets":     kwLifepackets,
		"marginpackets":   kwMarginpackets,
		"keyingtries":     kwKeyingtries,
		"rekeyfuzz":       kwRekeyfuzz,
		"rekey":           kwRekey,
		"reauth":          kwReauth,
		"ike":             kwIKE,
		"esp":             kwESP,
		"ah":              kwAH,
		"dpddelay":        kwDPDDelay,
		"dpdtimeout":      kwDPDTimeout,
		"dpdaction":       kwDPDAction,
		"closeaction":     kwCloseaction,
		"sha256_96":       kwSHA256_96,
		"inactivity":      kwInactivity,
		"modeconfig":      kwModeconfig,
		"xauth":           kwXauth,
		"xauth_identity":  kwXauthIdentity,
		"mediation":       kwMediation,
		"mediated_by":     kwMediatedBy,
		"me_peerid":       kwMePeerID,
		"reqid":           kwReqid,
		"replay_window":   kwReplayWindow,
		"mark":            kwMark,
		"mark_in":         kwMarkIn,
		"mark_out":        kwMarkOut,
		"tfc":             kwTFC,
		"cacert":          kwCACert,
		"crluri":          kwCRLURI,
		"crluri1":         kwCRLURI,
		"crluri2":         kwCRLURI2,
		"ocspuri":         kwOCSPURI,
		"ocspuri1":        kwOCSPURI,
		"ocspuri2":        kwOCSPURI2,
		"certuribase":     kwCertURIBase,
		"also":            kwAlso,
		"auto":            kwAuto,
		// deprecated or removed
		"pkcs11module":    kwPKCS11Deprecated,
		"pkcs11initargs":  kwPKCS11Deprecated,
		"pkcs11keepstate": kwPKCS11Deprecated,
		"pkcs11proxy":     kwPKCS11Deprecated,
		"ldaphost":        kwCADeprecated,
		"ldapbase":        kwCADeprecated,
		"pfs":             kwPFSDeprecated,
		"pfsgroup":        kwPFSDeprecated,
		"eap":             kwConnDeprecated,
	}
	for _, k := range []string{"interfaces", "dumpdir", "charonstart", "plutostart",
		"klipsdebug", "plutodebug", "prepluto", "postpluto", "plutostderrlog",
		"fragicmp", "packetdefault", "hidetos", "overridemtu", "crlcheckinterval",
		"nocrsend", "nat_traversal", "keep_alive", "force_keepalive", "virtual_private"} {
		m[k] = kwSetupDeprecated
	}
	for i, suffix := range endKeywords {
		m["left"+suffix] = kwLeft + keyword(i)
		m["right"+suffix] = kwRight + keyword(i)
	}
	for alias, name := range map[string]string{
		"subnetwithin": "subnet", "rsasigkey": "sigkey",
	} {
		m["left"+alias] = m["left"+name]
		m["right"+alias] = m["right"+name]
	}
	return m
}()

// isEndKeyword maps a left/right token to its end token and side.
func (k keyword) end() (tok keyword, right, ok bool) {
	switch {
	case k >= kwLeft && k <= kwLeftLast:
		return k - kwLeft + kwEndFirst, false, true
	case k >= kwRight && k <= kwRightLast:
		return k - kwRight + kwEndFirst, true, true
	}
	return 0, false, false
}
