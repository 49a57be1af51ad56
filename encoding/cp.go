package encoding

import (
	"encoding/binary"
	"math"
	"strings"
)

// ConfigAttribute is the type of a configuration attribute (RFC 7296
// §3.15.1 and the IANA registry, plus the XAUTH and Cisco Unity ranges
// charon knows).
type ConfigAttribute uint16

const (
	AttrInternalIP4Address    ConfigAttribute = 1
	AttrInternalIP4Netmask    ConfigAttribute = 2
	AttrInternalIP4DNS        ConfigAttribute = 3
	AttrInternalIP4NBNS       ConfigAttribute = 4
	AttrInternalAddressExpiry ConfigAttribute = 5
	AttrInternalIP4DHCP       ConfigAttribute = 6
	AttrApplicationVersion    ConfigAttribute = 7
	AttrInternalIP6Address    ConfigAttribute = 8
	AttrInternalIP6Netmask    ConfigAttribute = 9
	AttrInternalIP6DNS        ConfigAttribute = 10
	AttrInternalIP6NBNS       ConfigAttribute = 11
	AttrInternalIP6DHCP       ConfigAttribute = 12
	AttrInternalIP4Subnet     ConfigAttribute = 13
	AttrSupportedAttributes   ConfigAttribute = 14
	AttrInternalIP6Subnet     ConfigAttribute = 15
	AttrPCSCFIP4Address       ConfigAttribute = 20
	AttrPCSCFIP6Address       ConfigAttribute = 21
	AttrInternalDNSDomain     ConfigAttribute = 25
	AttrInternalIP4Server     ConfigAttribute = 23456
	AttrInternalIP6Server     ConfigAttribute = 23457
	AttrUnitySplitInclude     ConfigAttribute = 28676
	AttrUnityLocalLAN         ConfigAttribute = 28678
)

// configAttributeNames pairs charon's long and short name of each attribute
// type (libcharon/attributes/attributes.c).
var configAttributeNames = map[ConfigAttribute][2]string{
	1: {"INTERNAL_IP4_ADDRESS", "ADDR"}, 2: {"INTERNAL_IP4_NETMASK", "MASK"},
	3: {"INTERNAL_IP4_DNS", "DNS"}, 4: {"INTERNAL_IP4_NBNS", "NBNS"},
	5: {"INTERNAL_ADDRESS_EXPIRY", "EXP"}, 6: {"INTERNAL_IP4_DHCP", "DHCP"},
	7: {"APPLICATION_VERSION", "VER"}, 8: {"INTERNAL_IP6_ADDRESS", "ADDR6"},
	9: {"INTERNAL_IP6_NETMASK", "MASK6"}, 10: {"INTERNAL_IP6_DNS", "DNS6"},
	11: {"INTERNAL_IP6_NBNS", "NBNS6"}, 12: {"INTERNAL_IP6_DHCP", "DHCP6"},
	13: {"INTERNAL_IP4_SUBNET", "SUBNET"}, 14: {"SUPPORTED_ATTRIBUTES", "SUP"},
	15: {"INTERNAL_IP6_SUBNET", "SUBNET6"}, 16: {"MIP6_HOME_PREFIX", "MIP6HPFX"},
	17: {"INTERNAL_IP6_LINK", "LINK6"}, 18: {"INTERNAL_IP6_PREFIX", "PFX6"},
	19: {"HOME_AGENT_ADDRESS", "HOA"}, 20: {"P_CSCF_IP4_ADDRESS", "PCSCF4"},
	21: {"P_CSCF_IP6_ADDRESS", "PCSCF6"}, 22: {"FTT_KAT", "FTTKAT"},
	23: {"EXT_SRC_IP4_NAT_INFO", "EXTSRC4"}, 24: {"TIMEOUT_PERIOD_FOR_DPD", "DPD"},
	25: {"INTERNAL_DNS_DOMAIN", "DOMAIN"}, 26: {"INTERNAL_DNSSEC_TA", "TA"},
	16520: {"XAUTH_TYPE", "X_TYPE"}, 16521: {"XAUTH_USER_NAME", "X_USER"},
	16522: {"XAUTH_USER_PASSWORD", "X_PWD"}, 16523: {"XAUTH_PASSCODE", "X_CODE"},
	16524: {"XAUTH_MESSAGE", "X_MSG"}, 16525: {"XAUTH_CHALLENGE", "X_CHALL"},
	16526: {"XAUTH_DOMAIN", "X_DOMAIN"}, 16527: {"XAUTH_STATUS", "X_STATUS"},
	16528: {"XAUTH_NEXT_PIN", "X_PIN"}, 16529: {"XAUTH_ANSWER", "X_ANSWER"},
	23456: {"INTERNAL_IP4_SERVER", "SRV"}, 23457: {"INTERNAL_IP6_SERVER", "SRV6"},
	28672: {"UNITY_BANNER", "U_BANNER"}, 28673: {"UNITY_SAVE_PASSWD", "U_SAVEPWD"},
	28674: {"UNITY_DEF_DOMAIN", "U_DEFDOM"}, 28675: {"UNITY_SPLITDNS_NAME", "U_SPLITDNS"},
	28676: {"UNITY_SPLIT_INCLUDE", "U_SPLITINC"}, 28677: {"UNITY_NATT_PORT", "U_NATTPORT"},
	28678: {"UNITY_LOCAL_LAN", "U_LOCALLAN"}, 28679: {"UNITY_PFS", "U_PFS"},
	28680: {"UNITY_FW_TYPE", "U_FWTYPE"}, 28681: {"UNITY_BACKUP_SERVERS", "U_BKPSRV"},
	28682: {"UNITY_DDNS_HOSTNAME", "U_DDNSHOST"},
}

func (a ConfigAttribute) String() string {
	if n, ok := configAttributeNames[a]; ok {
		return n[0]
	}
	return unnamed(int(a))
}

// ShortName is the abbreviation of message summaries, e.g. ADDR or DNS.
func (a ConfigAttribute) ShortName() string {
	if n, ok := configAttributeNames[a]; ok {
		return n[1]
	}
	return unnamed(int(a))
}

// CP is a Configuration payload (RFC 7296 §3.15).
type CP struct {
	CPType     CPType
	Attributes []CPAttribute
}

// CPAttribute is one configuration attribute. An empty Value asks for the
// attribute in a CFG_REQUEST.
type CPAttribute struct {
	Type  ConfigAttribute // 15 bits
	Value []byte
}

func (*CP) Type() PayloadType { return PayloadCP }

func (p *CP) AppendBody(b []byte) ([]byte, error) {
	b = append(b, byte(p.CPType), 0, 0, 0)
	for _, a := range p.Attributes {
		if a.Type > 0x7fff || len(a.Value) > math.MaxUint16 {
			return b, errorf(ErrEncode, PayloadCP, "attribute %d with %d bytes", a.Type, len(a.Value))
		}
		b = appendUint16(b, uint16(a.Type))
		b = appendUint16(b, uint16(len(a.Value)))
		b = append(b, a.Value...)
	}
	return b, nil
}

// summary is what charon's message summary prints after "CP", e.g.
// "RQ(ADDR DNS)"; a CP without attributes adds nothing.
func (p *CP) summary() string {
	if len(p.Attributes) == 0 {
		return ""
	}
	var sb strings.Builder
	sb.WriteString(p.CPType.summaryPrefix())
	for i, a := range p.Attributes {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(a.Type.ShortName())
	}
	sb.WriteByte(')')
	return sb.String()
}

func decodeCP(body []byte) (*CP, error) {
	if len(body) < 4 {
		return nil, errorf(ErrMalformed, PayloadCP, "%d bytes, needs at least 4", len(body))
	}
	p := &CP{CPType: CPType(body[0])}
	for b := body[4:]; len(b) > 0; {
		if len(b) < 4 {
			return nil, errorf(ErrMalformed, PayloadCP, "%d bytes left, attribute header needs 4", len(b))
		}
		// the first bit is reserved and ignored (RFC 7296 §3.15.1)
		a := CPAttribute{Type: ConfigAttribute(binary.BigEndian.Uint16(b) & 0x7fff)}
		n := int(binary.BigEndian.Uint16(b[2:]))
		if 4+n > len(b) {
			return nil, errorf(ErrMalformed, PayloadCP, "attribute length %d exceeds the %d bytes left", n, len(b)-4)
		}
		a.Value = clone(b[4 : 4+n])
		if err := checkCPAttribute(a); err != nil {
			return nil, err
		}
		p.Attributes = append(p.Attributes, a)
		b = b[4+n:]
	}
	return p, nil
}

// checkCPAttribute makes the length checks of charon's
// configuration_attribute verify(); unknown types have any length.
func checkCPAttribute(a CPAttribute) error {
	n := len(a.Value)
	bad := false
	switch a.Type {
	case AttrInternalIP4Address, AttrInternalIP4Netmask, AttrInternalIP4DNS,
		AttrInternalIP4NBNS, AttrInternalAddressExpiry, AttrInternalIP4DHCP,
		AttrPCSCFIP4Address:
		bad = n != 0 && n != 4
	case AttrInternalIP4Subnet:
		bad = n != 0 && n != 8
	case AttrInternalIP6Address, AttrInternalIP6Subnet:
		bad = n != 0 && n != 17
	case AttrInternalIP6DNS, AttrInternalIP6NBNS, AttrInternalIP6DHCP, AttrPCSCFIP6Address:
		bad = n != 0 && n != 16
	case AttrSupportedAttributes:
		bad = n%2 != 0
	}
	if bad {
		return errorf(ErrInvalid, PayloadCP, "invalid attribute length %d for %v", n, a.Type)
	}
	return nil
}
