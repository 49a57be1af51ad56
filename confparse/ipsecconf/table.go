package ipsecconf

import (
	"strings"

	"github.com/goswan/goswan/config/eapname"
	"github.com/goswan/goswan/config/feature"
)

// The keyword table: one row per token of starter's keywords.txt, in token
// order, stating what args.c, confread.c, cmp.c and starterstroke.c do with
// the keyword, and whether goswan does it. The loader converts and assigns
// values from it (args.c assign_arg), starter's conn comparison compares
// the fields it names (cmp.c), checkconf's "not supported" lines and
// charon's refusals at add_conn come from its support column (support.go),
// and docs/ipsec.conf-keywords.md is generated from it (go test
// ./confparse/ipsecconf -run KeywordDoc -update).
//
// Merge rules, the same for every keyword (conf_parser.c): within one
// section the last definition wins (a section written twice is one
// section); a conn's own value wins over its also= parents (the last also=
// first, each parent's own parents depth first), which win over
// %default; "key=" with no value unsets the key, hiding inherited values.
// Rows say where a keyword departs from that (mergeNote): aliases share
// one field, and the spelling applied last wins, because starter applies
// the conn's own keys first and the inherited ones after, each group in
// strcmp order; mark= writes both mark_in and mark_out, which sort after
// it; also= accumulates.

// argType is args.c's arg_t, plus what confread.c handles itself.
type argType uint8

const (
	argStr        argType = iota // ARG_STR: the value as written (checked against list, if any)
	argEnum                      // ARG_ENUM: one of list, stored as its index
	argBool                      // ARG_ENUM over LST_bool: no or yes
	argUint                      // ARG_UINT: strtoul base 10 into a u_int
	argULLI                      // ARG_ULLI: strtoull base 10
	argUBin                      // ARG_UBIN: strtoul base 2 into a u_int
	argPcnt                      // ARG_PCNT: digits and a final '%'
	argTime                      // ARG_TIME: a number with an optional s, m, h or d
	argFlag                      // KW_SA_OPTION_FLAG: list[0] sets bit in Options, list[1] clears it
	argULong                     // strtoul base 10, or the word list[0] meaning special
	argMark                      // mark_from_string with MARK_OP_UNIQUE
	argMisc                      // confread.c's own parsing (type=, leftprotoport=)
	argDeprecated                // accepted with a warning, ignored
)

var argNames = [...]string{
	argStr: "string", argEnum: "one of", argBool: "yes or no", argUint: "unsigned integer",
	argULLI: "unsigned 64-bit integer", argUBin: "binary number", argPcnt: "percentage",
	argTime: "time (s, m, h, d)", argFlag: "one of", argULong: "unsigned integer or",
	argMark: "mark VALUE[/MASK] or %unique[-dir]", argMisc: "one of",
	argDeprecated: "deprecated, ignored",
}

// mergeNote is how a keyword departs from the common merge rule.
type mergeNote uint8

const (
	mergeLast      mergeNote = iota // the common rule
	mergeShared                     // aliases share one field: the spelling starter applies last wins
	mergeMark                       // writes mark_in and mark_out, which sort after it and win
	mergeAlso                       // accumulates; see conf_parser.c resolve_also
	mergeNoInherit                  // config setup: no also=, no %default
)

// refusal says what charon does with a value goswan does not do.
type refusal uint8

const (
	// refuseConn: charon logs why and does not load the conn; checkconf
	// reports it whether written or defaulted.
	refuseConn refusal = iota + 1
	// ignoreValue: charon loads the conn without the feature, logging it
	// when the value differs from the default; checkconf reports it only
	// where the file sets it (a default implies nothing was asked for).
	ignoreValue
)

// supportRule marks values that need a feature: any value in values (nil
// means any value that is set and not empty), or whatever classify says.
type supportRule struct {
	feature  *feature.Feature
	values   []string
	classify func(v string) *feature.Feature
	mode     refusal
	// doc describes a classify rule for the keyword documentation: which
	// values need which feature.
	doc []docCase
}

// docCase is a set of values, as the documentation words it, and the
// feature they need.
type docCase struct {
	what    string
	feature *feature.Feature
}

func needs(f *feature.Feature, mode refusal, values ...string) supportRule {
	return supportRule{feature: f, values: values, mode: mode}
}

// kwSpec is one row of the table.
type kwSpec struct {
	tok   keyword
	names []string // keywords.txt names (end keywords without left/right)
	arg   argType
	// list: argEnum/argBool/argStr the accepted words (args.c LST_*);
	// argFlag the word that sets and the word that clears bit; argULong
	// the word that means special; argMisc the accepted words, for the
	// documentation.
	list    []string
	field   string // the Setup, Conn, End or CA field it writes (args.c's offsetof)
	bit     Option
	special uint64
	// post is confread.c's processing after the assignment.
	post func(c *Conn, e *End)
	hint string // deprecated keywords: what to do instead
	def  string // the default, as ipsec.conf would write it; "" is unset
	// stroke names the stroke_msg_t fields it feeds (stroke_msg.h names).
	stroke string
	// msg is the AddConnMsg (or, for end keywords, AddConnEnd) field that
	// carries it, for the support check of what charon receives.
	msg string
	// cmp lists the fields starter's comparison looks at beyond the typed
	// field itself (cmp.c's VARCMPs); noCmp drops the field (ARG_UBIN,
	// which cmp_args skips).
	cmp     []string
	noCmp   bool
	merge   mergeNote
	support []supportRule
}

var (
	mobikeNote = needs(feature.MOBIKE, ignoreValue, "yes")
	certRefuse = needs(feature.Certificates, refuseConn)
	// rawKeyRefuse: "%cert" (the key from leftcert) and empty need no raw
	// key; charon's build_auth_cfg skips them.
	rawKeyRefuse = supportRule{classify: rawKeyFeature, mode: refuseConn,
		doc: []docCase{{"all but `%cert`", feature.RawPublicKeys}}}
	vipRefuse = needs(feature.VirtualIPs, refuseConn)
	meRefuse  = needs(feature.Mediation, refuseConn)
	authRule  = supportRule{classify: authFeature, mode: refuseConn, doc: []docCase{
		{"`eap`, `eap-md5`, `eap-mschapv2`, `eap-radius`, `eap-identity`", feature.EAP}, {"`eap-tls…`", feature.EAPTLS},
		{"any other `eap-…` method", feature.OtherEAPMethods}, {"`xauth…`", feature.XAuth},
		{"all but `psk`, `secret`, `eap…`, `xauth…`", feature.Certificates}}}
)

// specs is the table, indexed by token.
var specs = [...]kwSpec{
	// config setup
	{tok: kwCharondebug, names: []string{"charondebug"}, arg: argStr, field: "CharonDebug",
		stroke: "charon's command line (--debug-TYPE LEVEL)", merge: mergeNoInherit},
	{tok: kwUniqueids, names: []string{"uniqueids"}, arg: argEnum, list: uniqueNames, field: "UniqueIDs", def: "yes",
		stroke: "add_conn.unique", merge: mergeNoInherit},
	{tok: kwCachecrls, names: []string{"cachecrls"}, arg: argBool, field: "CacheCRLs", def: "no",
		stroke: "STR_CONFIG cachecrl", merge: mergeNoInherit,
		support: []supportRule{needs(feature.Certificates, ignoreValue, "yes")}},
	{tok: kwStrictcrlpolicy, names: []string{"strictcrlpolicy"}, arg: argEnum, list: strictNames, field: "StrictCRLPolicy", def: "no",
		stroke: "add_conn.crl_policy", merge: mergeNoInherit,
		support: []supportRule{needs(feature.Certificates, ignoreValue, "yes", "ifuri")}},
	{tok: kwPKCS11Deprecated, names: []string{"pkcs11module", "pkcs11initargs", "pkcs11keepstate", "pkcs11proxy"},
		arg: argDeprecated, hint: " (use the 'pkcs11' plugin instead)", merge: mergeNoInherit},
	{tok: kwSetupDeprecated, names: []string{"interfaces", "dumpdir", "charonstart", "plutostart",
		"klipsdebug", "plutodebug", "prepluto", "postpluto", "plutostderrlog", "fragicmp", "packetdefault",
		"hidetos", "overridemtu", "crlcheckinterval", "nocrsend", "nat_traversal", "keep_alive",
		"force_keepalive", "virtual_private"}, arg: argDeprecated, merge: mergeNoInherit},

	// conn
	{tok: kwConnName, arg: argStr, field: "Name", stroke: "add_conn.name"},
	{tok: kwConnSetup, names: []string{"auto"}, arg: argEnum, list: startupNames, field: "Auto", def: "ignore",
		stroke: "which messages starter sends: STR_ADD_CONN, then STR_ROUTE or STR_INITIATE"},
	{tok: kwKeyexchange, names: []string{"keyexchange"}, arg: argEnum, list: keyExchangeNames, field: "KeyExchange", def: "ike",
		stroke: "add_conn.version", msg: "Version",
		support: []supportRule{needs(feature.IKEv1, refuseConn, "ikev1"), needs(feature.IKEv1, ignoreValue, "ike")}},
	{tok: kwType, names: []string{"type"}, arg: argMisc,
		list: []string{"tunnel", "transport", "transport_proxy", "beet", "pass", "passthrough", "drop", "reject"},
		def:  "tunnel", stroke: "add_conn.mode, add_conn.proxy_mode", cmp: []string{"Mode", "ProxyMode"}},
	{tok: kwCompress, names: []string{"compress"}, arg: argFlag, list: []string{"yes", "no"}, bit: OptCompress, def: "no",
		stroke: "add_conn.ipcomp", msg: "IPComp"},
	{tok: kwInstallpolicy, names: []string{"installpolicy"}, arg: argBool, field: "InstallPolicy", def: "yes",
		stroke: "add_conn.install_policy"},
	{tok: kwAggressive, names: []string{"aggressive"}, arg: argBool, field: "Aggressive", def: "no",
		stroke: "add_conn.aggressive", msg: "Aggressive",
		support: []supportRule{needs(feature.IKEv1, ignoreValue, "yes")}},
	{tok: kwAuthby, names: []string{"authby"}, arg: argStr, list: authbyNames, field: "Authby",
		stroke:  "add_conn.me.auth and other.auth (and an xauth auth2) when neither leftauth nor rightauth is set",
		support: []supportRule{authRule}},
	{tok: kwEAPIdentity, names: []string{"eap_identity"}, arg: argStr, field: "EAPIdentity",
		stroke: "add_conn.eap_identity", msg: "EAPIdentity", support: []supportRule{needs(feature.EAP, ignoreValue)}},
	{tok: kwAAAIdentity, names: []string{"aaa_identity"}, arg: argStr, field: "AAAIdentity",
		stroke: "add_conn.aaa_identity", msg: "AAAIdentity", support: []supportRule{needs(feature.EAP, ignoreValue)}},
	{tok: kwMobike, names: []string{"mobike"}, arg: argFlag, list: []string{"yes", "no"}, bit: OptMobike, def: "yes",
		stroke: "add_conn.mobike", msg: "Mobike", support: []supportRule{mobikeNote}},
	{tok: kwForceencaps, names: []string{"forceencaps"}, arg: argFlag, list: []string{"yes", "no"}, bit: OptForceEncap, def: "no",
		stroke: "add_conn.force_encap"},
	{tok: kwFragmentation, names: []string{"fragmentation"}, arg: argEnum, list: fragmentationNames, field: "Fragmentation",
		def: "yes", stroke: "add_conn.fragmentation"},
	{tok: kwIKEDSCP, names: []string{"ikedscp"}, arg: argUBin, field: "IKEDSCP", def: "000000", noCmp: true,
		stroke: "add_conn.ikedscp", msg: "IKEDSCP",
		support: []supportRule{{classify: nonZeroBinary(feature.IKEDSCP), mode: refuseConn,
			doc: []docCase{{"non-zero", feature.IKEDSCP}}}}},
	{tok: kwIKELifetime, names: []string{"ikelifetime"}, arg: argTime, field: "IKELifetime", def: "3h",
		stroke: "add_conn.rekey.ike_lifetime"},
	{tok: kwKeylife, names: []string{"lifetime", "keylife"}, arg: argTime, field: "Lifetime", def: "1h",
		stroke: "add_conn.rekey.ipsec_lifetime", merge: mergeShared},
	{tok: kwRekeymargin, names: []string{"rekeymargin", "margintime"}, arg: argTime, field: "Margin", def: "9m",
		stroke: "add_conn.rekey.margin", merge: mergeShared},
	{tok: kwLifebytes, names: []string{"lifebytes"}, arg: argULLI, field: "LifeBytes", def: "0",
		stroke: "add_conn.rekey.life_bytes"},
	{tok: kwMarginbytes, names: []string{"marginbytes"}, arg: argULLI, field: "MarginBytes", def: "0",
		stroke: "add_conn.rekey.margin_bytes"},
	{tok: kwLifepackets, names: []string{"lifepackets"}, arg: argULLI, field: "LifePackets", def: "0",
		stroke: "add_conn.rekey.life_packets"},
	{tok: kwMarginpackets, names: []string{"marginpackets"}, arg: argULLI, field: "MarginPackets", def: "0",
		stroke: "add_conn.rekey.margin_packets"},
	{tok: kwKeyingtries, names: []string{"keyingtries"}, arg: argULong, list: []string{"%forever"}, field: "KeyingTries",
		special: 0, def: "3", stroke: "add_conn.rekey.tries", cmp: []string{"KeyingTries"}},
	{tok: kwRekeyfuzz, names: []string{"rekeyfuzz"}, arg: argPcnt, field: "RekeyFuzz", def: "100%",
		stroke: "add_conn.rekey.fuzz"},
	{tok: kwRekey, names: []string{"rekey"}, arg: argFlag, list: []string{"no", "yes"}, bit: OptDontRekey, def: "yes",
		stroke: "add_conn.rekey (all but tries are sent as 0 with rekey=no)"},
	{tok: kwReauth, names: []string{"reauth"}, arg: argFlag, list: []string{"no", "yes"}, bit: OptDontReauth, def: "yes",
		stroke: "add_conn.rekey.reauth"},
	{tok: kwIKE, names: []string{"ike"}, arg: argStr, field: "IKE", stroke: "add_conn.algorithms.ike"},
	{tok: kwESP, names: []string{"esp"}, arg: argStr, field: "ESP", stroke: "add_conn.algorithms.esp"},
	{tok: kwAH, names: []string{"ah"}, arg: argStr, field: "AH", stroke: "add_conn.algorithms.ah"},
	{tok: kwDPDDelay, names: []string{"dpddelay"}, arg: argTime, field: "DPDDelay", def: "30s",
		stroke: "add_conn.dpd.delay"},
	{tok: kwDPDTimeout, names: []string{"dpdtimeout"}, arg: argTime, field: "DPDTimeout", def: "150s",
		stroke: "add_conn.dpd.timeout"},
	{tok: kwDPDAction, names: []string{"dpdaction"}, arg: argEnum, list: actionNames, field: "DPDAction", def: "none",
		stroke: "add_conn.dpd.action"},
	{tok: kwCloseaction, names: []string{"closeaction"}, arg: argEnum, list: actionNames, field: "CloseAction", def: "none",
		stroke: "add_conn.close_action"},
	{tok: kwSHA256_96, names: []string{"sha256_96"}, arg: argBool, field: "SHA256_96", def: "no",
		stroke: "add_conn.sha256_96"},
	{tok: kwInactivity, names: []string{"inactivity"}, arg: argTime, field: "Inactivity", def: "0",
		stroke: "add_conn.inactivity"},
	{tok: kwModeconfig, names: []string{"modeconfig"}, arg: argFlag, list: []string{"push", "pull"}, bit: OptModecfgPush,
		def: "pull", stroke: "add_conn.pushmode", msg: "PushMode",
		support: []supportRule{needs(feature.IKEv1, ignoreValue, "push")}},
	{tok: kwXauth, names: []string{"xauth"}, arg: argFlag, list: []string{"server", "client"}, bit: OptXauthServer,
		def: "client", stroke: "which side authby=xauth* gives the xauth auth2 round",
		support: []supportRule{needs(feature.XAuth, ignoreValue, "server")}},
	{tok: kwXauthIdentity, names: []string{"xauth_identity"}, arg: argStr, field: "XauthIdentity",
		stroke: "add_conn.xauth_identity", msg: "XauthIdentity", support: []supportRule{needs(feature.XAuth, ignoreValue)}},
	{tok: kwMediation, names: []string{"mediation"}, arg: argBool, field: "MeMediation", def: "no",
		stroke: "add_conn.ikeme.mediation", msg: "Mediation", support: []supportRule{needs(feature.Mediation, refuseConn, "yes")}},
	{tok: kwMediatedBy, names: []string{"mediated_by"}, arg: argStr, field: "MeMediatedBy",
		stroke: "add_conn.ikeme.mediated_by", msg: "MediatedBy", support: []supportRule{meRefuse}},
	{tok: kwMePeerID, names: []string{"me_peerid"}, arg: argStr, field: "MePeerID",
		stroke: "add_conn.ikeme.peerid", msg: "PeerID", support: []supportRule{meRefuse}},
	{tok: kwReqid, names: []string{"reqid"}, arg: argUint, field: "ReqID", def: "0", stroke: "add_conn.reqid"},
	{tok: kwReplayWindow, names: []string{"replay_window"}, arg: argUint, field: "ReplayWindow",
		def: "-1 (charon.replay_window)", stroke: "add_conn.replay_window"},
	{tok: kwMark, names: []string{"mark"}, arg: argMark, field: "MarkIn", stroke: "add_conn.mark_in, add_conn.mark_out",
		cmp: []string{"MarkIn", "MarkOut"}, merge: mergeMark},
	{tok: kwMarkIn, names: []string{"mark_in"}, arg: argMark, field: "MarkIn", stroke: "add_conn.mark_in", cmp: []string{"MarkIn"}},
	{tok: kwMarkOut, names: []string{"mark_out"}, arg: argMark, field: "MarkOut", stroke: "add_conn.mark_out", cmp: []string{"MarkOut"}},
	{tok: kwTFC, names: []string{"tfc"}, arg: argULong, list: []string{"%mtu"}, field: "TFC", special: 0xffffffff, def: "0",
		stroke: "add_conn.tfc", cmp: []string{"TFC"}},
	{tok: kwPFSDeprecated, names: []string{"pfs", "pfsgroup"}, arg: argDeprecated,
		hint: " (PFS is enabled by specifying a DH group in the 'esp' cipher suite)"},
	{tok: kwConnDeprecated, names: []string{"eap"}, arg: argDeprecated},

	// ca: goswan loads no certificates, so every ca keyword needs them.
	{tok: kwCAName, arg: argStr, field: "Name", stroke: "add_ca.name"},
	{tok: kwCASetup, names: []string{"auto"}, arg: argEnum, list: startupNames, field: "Auto", def: "ignore",
		stroke: "whether starter sends STR_ADD_CA (route and start mean add)", support: []supportRule{certRefuse}},
	{tok: kwCACert, names: []string{"cacert"}, arg: argStr, field: "CACert", stroke: "add_ca.cacert", support: []supportRule{certRefuse}},
	{tok: kwCRLURI, names: []string{"crluri", "crluri1"}, arg: argStr, field: "CRLURI", stroke: "add_ca.crluri",
		merge: mergeShared, support: []supportRule{certRefuse}},
	{tok: kwCRLURI2, names: []string{"crluri2"}, arg: argStr, field: "CRLURI2", stroke: "add_ca.crluri2", support: []supportRule{certRefuse}},
	{tok: kwOCSPURI, names: []string{"ocspuri", "ocspuri1"}, arg: argStr, field: "OCSPURI", stroke: "add_ca.ocspuri",
		merge: mergeShared, support: []supportRule{certRefuse}},
	{tok: kwOCSPURI2, names: []string{"ocspuri2"}, arg: argStr, field: "OCSPURI2", stroke: "add_ca.ocspuri2", support: []supportRule{certRefuse}},
	{tok: kwCertURIBase, names: []string{"certuribase"}, arg: argStr, field: "CertURIBase", stroke: "add_ca.certuribase",
		support: []supportRule{certRefuse}},
	{tok: kwCADeprecated, names: []string{"ldaphost", "ldapbase"}, arg: argDeprecated},

	// end: left<suffix> and right<suffix>
	{tok: kwHost, names: []string{""}, arg: argStr, field: "Host", post: hostPost, def: "%any",
		stroke: "add_conn.me.address (and allow_any for a %-prefixed address)"},
	{tok: kwIKEPort, names: []string{"ikeport"}, arg: argUint, field: "IKEPort", def: "500", stroke: "add_conn.me.ikeport"},
	{tok: kwSubnet, names: []string{"subnet", "subnetwithin"}, arg: argStr, field: "Subnet",
		stroke: "add_conn.me.subnets, add_conn.me.tohost", merge: mergeShared},
	{tok: kwProtoport, names: []string{"protoport"}, arg: argMisc, list: []string{"PROTO[/PORT]"}, def: "%any/%any",
		stroke: "add_conn.me.protocol, from_port, to_port", cmp: []string{"Protocol", "FromPort", "ToPort"}},
	{tok: kwSourceIP, names: []string{"sourceip"}, arg: argStr, field: "SourceIP", post: sourceIPPost,
		stroke: "add_conn.me.sourceip", msg: "SourceIP", support: []supportRule{vipRefuse}},
	{tok: kwDNS, names: []string{"dns"}, arg: argStr, field: "DNS", stroke: "add_conn.me.dns", msg: "DNS",
		support: []supportRule{vipRefuse}},
	{tok: kwFirewall, names: []string{"firewall"}, arg: argBool, field: "Firewall", def: "no",
		stroke: "add_conn.me.updown (\"ipsec _updown iptables\")"},
	{tok: kwHostaccess, names: []string{"hostaccess"}, arg: argBool, field: "HostAccess", def: "no",
		stroke: "add_conn.me.hostaccess"},
	{tok: kwAllowany, names: []string{"allowany"}, arg: argBool, field: "AllowAny", def: "no", stroke: "add_conn.me.allow_any"},
	{tok: kwUpdown, names: []string{"updown"}, arg: argStr, field: "Updown", stroke: "add_conn.me.updown"},
	{tok: kwAuth1, names: []string{"auth"}, arg: argStr, field: "Auth", def: "pubkey (charon's default)",
		stroke: "add_conn.me.auth", msg: "Auth", support: []supportRule{authRule}},
	{tok: kwAuth2, names: []string{"auth2"}, arg: argStr, field: "Auth2", stroke: "add_conn.me.auth2", msg: "Auth2",
		support: []supportRule{authRule}},
	{tok: kwID, names: []string{"id"}, arg: argStr, field: "ID", stroke: "add_conn.me.id"},
	{tok: kwID2, names: []string{"id2"}, arg: argStr, field: "ID2", stroke: "add_conn.me.id2"},
	{tok: kwSigkey, names: []string{"sigkey", "rsasigkey"}, arg: argStr, field: "SigKey", stroke: "add_conn.me.rsakey",
		msg: "RSAKey", merge: mergeShared, support: []supportRule{rawKeyRefuse}},
	{tok: kwCert, names: []string{"cert"}, arg: argStr, field: "Cert", stroke: "add_conn.me.cert", msg: "Cert",
		support: []supportRule{certRefuse}},
	{tok: kwCert2, names: []string{"cert2"}, arg: argStr, field: "Cert2", stroke: "add_conn.me.cert2", msg: "Cert2",
		support: []supportRule{certRefuse}},
	{tok: kwCertpolicy, names: []string{"certpolicy"}, arg: argStr, field: "CertPolicy", stroke: "add_conn.me.cert_policy",
		msg: "CertPolicy", support: []supportRule{certRefuse}},
	{tok: kwSendcert, names: []string{"sendcert"}, arg: argEnum, list: sendCertNames, field: "SendCert", post: sendCertPost,
		def: "ifasked", stroke: "add_conn.me.sendcert"},
	{tok: kwCA, names: []string{"ca"}, arg: argStr, field: "CA", stroke: "add_conn.me.ca", msg: "CA",
		support: []supportRule{certRefuse}},
	{tok: kwCA2, names: []string{"ca2"}, arg: argStr, field: "CA2", stroke: "add_conn.me.ca2", msg: "CA2",
		support: []supportRule{certRefuse}},
	{tok: kwGroups, names: []string{"groups"}, arg: argStr, field: "Groups", stroke: "add_conn.me.groups", msg: "Groups",
		support: []supportRule{certRefuse}},
	{tok: kwGroups2, names: []string{"groups2"}, arg: argStr, field: "Groups2", stroke: "add_conn.me.groups2", msg: "Groups2",
		support: []supportRule{certRefuse}},
	{tok: kwEndDeprecated, names: []string{"nexthop"}, arg: argDeprecated},
}

// alsoSpec documents also=, which the parser handles before the table.
var alsoSpec = kwSpec{tok: kwAlso, names: []string{"also"}, arg: argStr, merge: mergeAlso,
	stroke: "nothing: the named sections' settings are merged in"}

// authFeature classifies an authentication method as stroke_config.c's
// build_auth_cfg reads it. Methods it does not know fall back to "any",
// which for the local side means public keys and for the remote side
// accepting public keys too.
func authFeature(v string) *feature.Feature {
	switch {
	case v == "psk" || v == "secret":
		return nil
	case hasPrefix(v, "eap"):
		// eap-<type>[-<vendor>][:<EAP-TLS constraints>]
		method, _, _ := strings.Cut(v, ":")
		return eapname.Feature(eapname.Parse(method))
	case hasPrefix(v, "xauth"):
		return feature.XAuth
	}
	return feature.Certificates
}

// rawKeyFeature classifies leftsigkey/leftrsasigkey: a key needs raw
// public keys, "%cert" and an empty value do not.
func rawKeyFeature(v string) *feature.Feature {
	if v == "" || v == "%cert" {
		return nil
	}
	return feature.RawPublicKeys
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

func nonZeroBinary(f *feature.Feature) func(string) *feature.Feature {
	return func(v string) *feature.Feature {
		for _, c := range v {
			if c != '0' {
				return f
			}
		}
		return nil
	}
}

// hostPost is KW_HOST's post-processing: %defaultroute is %any, and a
// '%' before an address allows any address.
func hostPost(_ *Conn, e *End) {
	host := e.Host.Value
	if len(host) > 0 && host[0] == '%' {
		if host == "%defaultroute" {
			host = "%any"
		}
		if host != "%any" && host != "%any4" && host != "%any6" {
			e.AllowAny = true
			host = host[1:]
		}
	}
	e.Host = S(host)
}

// sourceIPPost: a virtual IP needs a tunnel, starter forces it.
func sourceIPPost(c *Conn, _ *End) { c.Mode, c.ProxyMode = ModeTunnel, false }

// sendCertPost folds yes and no into always and never.
func sendCertPost(_ *Conn, e *End) {
	switch e.SendCert {
	case 3:
		e.SendCert = SendCertAlways
	case 4:
		e.SendCert = SendCertNever
	}
}
