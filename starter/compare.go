package starter

import "github.com/goswan/goswan/confparse/ipsecconf"

// sameConn is starter_cmp_conn (cmp.c): an updated ipsec.conf keeps a loaded
// conn untouched only if this holds for its new version. starter compares
// the fields its keyword table fills with a plain type (strings, numbers,
// enums, booleans) plus a few it computes (mode, options, marks, TFC,
// keying tries, ports); what it compares is listed here field by field.
//
// Not compared, as in starter: ikedscp= (kept as a binary number, a type
// starter's comparison skips), the position and settings list (goswan's
// bookkeeping), and the order of the conn in the file.
func sameConn(a, b *ipsecconf.Conn) bool {
	if a == nil || b == nil {
		return false
	}
	return a.Mode == b.Mode &&
		a.ProxyMode == b.ProxyMode &&
		a.Options == b.Options &&
		a.MarkIn == b.MarkIn &&
		a.MarkOut == b.MarkOut &&
		a.TFC == b.TFC &&
		a.KeyingTries == b.KeyingTries &&
		sameEnd(&a.Left, &b.Left) &&
		sameEnd(&a.Right, &b.Right) &&
		// The conn keywords, KW_CONN_NAME to KW_CONN_LAST.
		a.Name == b.Name &&
		a.Auto == b.Auto &&
		a.KeyExchange == b.KeyExchange &&
		a.InstallPolicy == b.InstallPolicy &&
		a.Aggressive == b.Aggressive &&
		a.Authby == b.Authby &&
		a.EAPIdentity == b.EAPIdentity &&
		a.AAAIdentity == b.AAAIdentity &&
		a.Fragmentation == b.Fragmentation &&
		a.IKELifetime == b.IKELifetime &&
		a.Lifetime == b.Lifetime &&
		a.Margin == b.Margin &&
		a.LifeBytes == b.LifeBytes &&
		a.MarginBytes == b.MarginBytes &&
		a.LifePackets == b.LifePackets &&
		a.MarginPackets == b.MarginPackets &&
		a.RekeyFuzz == b.RekeyFuzz &&
		a.IKE == b.IKE &&
		a.ESP == b.ESP &&
		a.AH == b.AH &&
		a.DPDDelay == b.DPDDelay &&
		a.DPDTimeout == b.DPDTimeout &&
		a.DPDAction == b.DPDAction &&
		a.CloseAction == b.CloseAction &&
		a.SHA256_96 == b.SHA256_96 &&
		a.Inactivity == b.Inactivity &&
		a.XauthIdentity == b.XauthIdentity &&
		a.MeMediation == b.MeMediation &&
		a.MeMediatedBy == b.MeMediatedBy &&
		a.MePeerID == b.MePeerID &&
		a.ReqID == b.ReqID &&
		a.ReplayWindow == b.ReplayWindow
}

// sameEnd is starter_cmp_end: the ports and protocol, and every end keyword.
func sameEnd(a, b *ipsecconf.End) bool {
	return a.FromPort == b.FromPort &&
		a.ToPort == b.ToPort &&
		a.Protocol == b.Protocol &&
		a.Host == b.Host &&
		a.IKEPort == b.IKEPort &&
		a.Subnet == b.Subnet &&
		a.SourceIP == b.SourceIP &&
		a.DNS == b.DNS &&
		a.Firewall == b.Firewall &&
		a.HostAccess == b.HostAccess &&
		a.AllowAny == b.AllowAny &&
		a.Updown == b.Updown &&
		a.Auth == b.Auth &&
		a.Auth2 == b.Auth2 &&
		a.ID == b.ID &&
		a.ID2 == b.ID2 &&
		a.SigKey == b.SigKey &&
		a.Cert == b.Cert &&
		a.Cert2 == b.Cert2 &&
		a.CertPolicy == b.CertPolicy &&
		a.SendCert == b.SendCert &&
		a.CA == b.CA &&
		a.CA2 == b.CA2 &&
		a.Groups == b.Groups &&
		a.Groups2 == b.Groups2
}

// sameCA is starter_cmp_ca: every ca keyword.
func sameCA(a, b *ipsecconf.CA) bool {
	if a == nil || b == nil {
		return false
	}
	return a.Name == b.Name &&
		a.Auto == b.Auto &&
		a.CACert == b.CACert &&
		a.CRLURI == b.CRLURI &&
		a.CRLURI2 == b.CRLURI2 &&
		a.OCSPURI == b.OCSPURI &&
		a.OCSPURI2 == b.OCSPURI2 &&
		a.CertURIBase == b.CertURIBase
}
