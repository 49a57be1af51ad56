package encoding

// NotifyType is the Notify Message Type of a Notify payload (RFC 7296
// §3.10.1 and the IANA registry). Types below 16384 are errors.
type NotifyType uint16

// The notify types goswan's tasks use by name. Every registered type has a
// name in String and ShortName, whether or not it has a constant here.
const (
	NotifyUnsupportedCriticalPayload  NotifyType = 1
	NotifyInvalidIKESPI               NotifyType = 4
	NotifyInvalidMajorVersion         NotifyType = 5
	NotifyInvalidSyntax               NotifyType = 7
	NotifyInvalidMessageID            NotifyType = 9
	NotifyInvalidSPI                  NotifyType = 11
	NotifyNoProposalChosen            NotifyType = 14
	NotifyInvalidKEPayload            NotifyType = 17
	NotifyAuthenticationFailed        NotifyType = 24
	NotifySinglePairRequired          NotifyType = 34
	NotifyNoAdditionalSAs             NotifyType = 35
	NotifyInternalAddressFailure      NotifyType = 36
	NotifyFailedCPRequired            NotifyType = 37
	NotifyTSUnacceptable              NotifyType = 38
	NotifyInvalidSelectors            NotifyType = 39
	NotifyUnacceptableAddresses       NotifyType = 40
	NotifyUnexpectedNATDetected       NotifyType = 41
	NotifyTemporaryFailure            NotifyType = 43
	NotifyChildSANotFound             NotifyType = 44
	NotifyMSNotifyStatus              NotifyType = 12345
	NotifyInitialContact              NotifyType = 16384
	NotifySetWindowSize               NotifyType = 16385
	NotifyAdditionalTSPossible        NotifyType = 16386
	NotifyIPCompSupported             NotifyType = 16387
	NotifyNATDetectionSourceIP        NotifyType = 16388
	NotifyNATDetectionDestinationIP   NotifyType = 16389
	NotifyCookie                      NotifyType = 16390
	NotifyUseTransportMode            NotifyType = 16391
	NotifyHTTPCertLookupSupported     NotifyType = 16392
	NotifyRekeySA                     NotifyType = 16393
	NotifyESPTFCPaddingNotSupported   NotifyType = 16394
	NotifyNonFirstFragmentsAlso       NotifyType = 16395
	NotifyMOBIKESupported             NotifyType = 16396
	NotifyAdditionalIP4Address        NotifyType = 16397
	NotifyAdditionalIP6Address        NotifyType = 16398
	NotifyNoAdditionalAddresses       NotifyType = 16399
	NotifyUpdateSAAddresses           NotifyType = 16400
	NotifyCookie2                     NotifyType = 16401
	NotifyNoNATsAllowed               NotifyType = 16402
	NotifyAuthLifetime                NotifyType = 16403
	NotifyMultipleAuthSupported       NotifyType = 16404
	NotifyAnotherAuthFollows          NotifyType = 16405
	NotifyRedirectSupported           NotifyType = 16406
	NotifyRedirect                    NotifyType = 16407
	NotifyRedirectedFrom              NotifyType = 16408
	NotifyEAPOnlyAuthentication       NotifyType = 16417
	NotifyChildlessIKEv2Supported     NotifyType = 16418
	NotifyIKEv2MessageIDSyncSupported NotifyType = 16420
	NotifyIKEv2MessageIDSync          NotifyType = 16422
	NotifyIPsecReplayCounterSync      NotifyType = 16423
	NotifyFragmentationSupported      NotifyType = 16430
	NotifySignatureHashAlgorithms     NotifyType = 16431
	NotifyUsePPK                      NotifyType = 16435
	NotifyPPKIdentity                 NotifyType = 16436
	NotifyNoPPKAuth                   NotifyType = 16437
	NotifyMEConnectAuth               NotifyType = 40967
	NotifyMEEndpoint                  NotifyType = 40963
	NotifyMEConnectID                 NotifyType = 40965
	NotifyMEConnectKey                NotifyType = 40966
	NotifyDPDRUThere                  NotifyType = 36136
	NotifyDPDRUThereAck               NotifyType = 36137
)

// notifyNames pairs charon's long and short name of each notify type
// (notify_type_names and notify_type_short_names of notify_payload.c).
var notifyNames = map[NotifyType][2]string{
	1:     {"UNSUPPORTED_CRITICAL_PAYLOAD", "CRIT"},
	4:     {"INVALID_IKE_SPI", "INVAL_IKE_SPI"},
	5:     {"INVALID_MAJOR_VERSION", "INVAL_MAJOR"},
	7:     {"INVALID_SYNTAX", "INVAL_SYN"},
	9:     {"INVALID_MESSAGE_ID", "INVAL_MID"},
	11:    {"INVALID_SPI", "INVAL_SPI"},
	13:    {"ATTRIBUTES_NOT_SUPPORTED", "ATTR_UNSUP"},
	14:    {"NO_PROPOSAL_CHOSEN", "NO_PROP"},
	16:    {"PAYLOAD_MALFORMED", "PLD_MAL"},
	17:    {"INVALID_KE_PAYLOAD", "INVAL_KE"},
	18:    {"INVALID_ID_INFORMATION", "INVAL_ID"},
	19:    {"INVALID_CERT_ENCODING", "INVAL_CERTEN"},
	20:    {"INVALID_CERTIFICATE", "INVAL_CERT"},
	21:    {"CERT_TYPE_UNSUPPORTED", "CERT_UNSUP"},
	22:    {"INVALID_CERT_AUTHORITY", "INVAL_CA"},
	23:    {"INVALID_HASH_INFORMATION", "INVAL_HASH"},
	24:    {"AUTHENTICATION_FAILED", "AUTH_FAILED"},
	34:    {"SINGLE_PAIR_REQUIRED", "SINGLE_PAIR"},
	35:    {"NO_ADDITIONAL_SAS", "NO_ADD_SAS"},
	36:    {"INTERNAL_ADDRESS_FAILURE", "INT_ADDR_FAIL"},
	37:    {"FAILED_CP_REQUIRED", "FAIL_CP_REQ"},
	38:    {"TS_UNACCEPTABLE", "TS_UNACCEPT"},
	39:    {"INVALID_SELECTORS", "INVAL_SEL"},
	40:    {"UNACCEPTABLE_ADDRESSES", "UNACCEPT_ADDR"},
	41:    {"UNEXPECTED_NAT_DETECTED", "UNEXPECT_NAT"},
	42:    {"USE_ASSIGNED_HoA", "ASSIGNED_HoA"},
	43:    {"TEMPORARY_FAILURE", "TEMP_FAIL"},
	44:    {"CHILD_SA_NOT_FOUND", "NO_CHILD_SA"},
	8192:  {"ME_CONNECT_FAILED", "ME_CONN_FAIL"},
	12345: {"MS_NOTIFY_STATUS", "MS_STATUS"},
	16384: {"INITIAL_CONTACT", "INIT_CONTACT"},
	16385: {"SET_WINDOW_SIZE", "SET_WINSIZE"},
	16386: {"ADDITIONAL_TS_POSSIBLE", "ADD_TS_POSS"},
	16387: {"IPCOMP_SUPPORTED", "IPCOMP_SUP"},
	16388: {"NAT_DETECTION_SOURCE_IP", "NATD_S_IP"},
	16389: {"NAT_DETECTION_DESTINATION_IP", "NATD_D_IP"},
	16390: {"COOKIE", "COOKIE"},
	16391: {"USE_TRANSPORT_MODE", "USE_TRANSP"},
	16392: {"HTTP_CERT_LOOKUP_SUPPORTED", "HTTP_CERT_LOOK"},
	16393: {"REKEY_SA", "REKEY_SA"},
	16394: {"ESP_TFC_PADDING_NOT_SUPPORTED", "ESP_TFC_PAD_N"},
	16395: {"NON_FIRST_FRAGMENTS_ALSO", "NON_FIRST_FRAG"},
	16396: {"MOBIKE_SUPPORTED", "MOBIKE_SUP"},
	16397: {"ADDITIONAL_IP4_ADDRESS", "ADD_4_ADDR"},
	16398: {"ADDITIONAL_IP6_ADDRESS", "ADD_6_ADDR"},
	16399: {"NO_ADDITIONAL_ADDRESSES", "NO_ADD_ADDR"},
	16400: {"UPDATE_SA_ADDRESSES", "UPD_SA_ADDR"},
	16401: {"COOKIE2", "COOKIE2"},
	16402: {"NO_NATS_ALLOWED", "NO_NATS"},
	16403: {"AUTH_LIFETIME", "AUTH_LFT"},
	16404: {"MULTIPLE_AUTH_SUPPORTED", "MULT_AUTH"},
	16405: {"ANOTHER_AUTH_FOLLOWS", "AUTH_FOLLOWS"},
	16406: {"REDIRECT_SUPPORTED", "REDIR_SUP"},
	16407: {"REDIRECT", "REDIR"},
	16408: {"REDIRECTED_FROM", "REDIR_FROM"},
	16409: {"TICKET_LT_OPAQUE", "TKT_LT_OPAK"},
	16410: {"TICKET_REQUEST", "TKT_REQ"},
	16411: {"TICKET_ACK", "TKT_ACK"},
	16412: {"TICKET_NACK", "TKT_NACK"},
	16413: {"TICKET_OPAQUE", "TKT_OPAK"},
	16414: {"LINK_ID", "LINK_ID"},
	16415: {"USE_WESP_MODE", "WESP_MODE"},
	16416: {"ROHC_SUPPORTED", "ROHC_SUP"},
	16417: {"EAP_ONLY_AUTHENTICATION", "EAP_ONLY"},
	16418: {"CHILDLESS_IKEV2_SUPPORTED", "CHDLESS_SUP"},
	16419: {"QUICK_CRASH_DETECTION", "CRASH_DET"},
	16420: {"IKEV2_MESSAGE_ID_SYNC_SUPPORTED", "MSG_ID_SYN_SUP"},
	16421: {"IKEV2_REPLAY_COUNTER_SYNC_SUPPORTED", "RPL_CTR_SYN_SUP"},
	16422: {"IKEV2_MESSAGE_ID_SYNC", "MSG_ID_SYN"},
	16423: {"IPSEC_REPLAY_COUNTER_SYNC", "RPL_CTR_SYN"},
	16424: {"SECURE PASSWORD_METHOD", "SEC_PASSWD"},
	16425: {"PSK_PERSIST", "PSK_PST"},
	16426: {"PSK_CONFIRM", "PSK_CFM"},
	16427: {"ERX_SUPPORTED", "ERX_SUP"},
	16428: {"IFOM_CAPABILITY", "IFOM_CAP"},
	16429: {"SENDER_REQUEST_ID", "SENDER_REQ_ID"},
	16430: {"FRAGMENTATION_SUPPORTED", "FRAG_SUP"},
	16431: {"SIGNATURE_HASH_ALGORITHMS", "HASH_ALG"},
	16435: {"USE_PPK", "USE_PPK"},
	16436: {"PPK_IDENTITY", "PPK_ID"},
	16437: {"NO_PPK_AUTH", "NO_PPK"},
	24578: {"INITIAL_CONTACT", "INITIAL_CONTACT"},
	36136: {"DPD_R_U_THERE", "DPD"},
	36137: {"DPD_R_U_THERE_ACK", "DPD_ACK"},
	40501: {"UNITY_LOAD_BALANCE", "UNITY_LB"},
	40961: {"USE_BEET_MODE", "BEET_MODE"},
	40962: {"ME_MEDIATION", "ME_MED"},
	40963: {"ME_ENDPOINT", "ME_EP"},
	40964: {"ME_CALLBACK", "ME_CB"},
	40965: {"ME_CONNECTID", "ME_CID"},
	40966: {"ME_CONNECTKEY", "ME_CKEY"},
	40967: {"ME_CONNECTAUTH", "ME_CAUTH"},
	40968: {"ME_RESPONSE", "ME_R"},
	40969: {"RADIUS_ATTRIBUTE", "RADIUS"},
}

// String returns charon's long name, e.g. NAT_DETECTION_SOURCE_IP, as in
// "received AUTHENTICATION_FAILED notify error".
func (t NotifyType) String() string {
	if n, ok := notifyNames[t]; ok {
		return n[0]
	}
	return unnamed(int(t))
}

// ShortName returns the abbreviation of message summaries, e.g. NATD_S_IP.
func (t NotifyType) ShortName() string {
	if n, ok := notifyNames[t]; ok {
		return n[1]
	}
	return unnamed(int(t))
}

// IsError reports whether the type is an error notify (RFC 7296 §3.10.1:
// types below 16384).
func (t NotifyType) IsError() bool { return t < 16384 }
