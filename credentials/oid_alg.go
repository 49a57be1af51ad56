package credentials

import "encoding/asn1"

// Algorithm and extension OIDs the certificate and signature code needs
// (the DN attribute names are in oid.go).
var (
	oidRSAEncryption = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 1}
	oidMD5WithRSA    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 4}
	oidSHA1WithRSA   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 5}
	oidMGF1          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 8}
	oidRSASSAPSS     = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 10}
	oidSHA256WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 11}
	oidSHA384WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 12}
	oidSHA512WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 13}
	oidSHA224WithRSA = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 1, 14}

	oidRSASHA3_224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 13}
	oidRSASHA3_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 14}
	oidRSASHA3_384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 15}
	oidRSASHA3_512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 3, 16}

	oidECPublicKey     = asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1}
	oidECDSAWithSHA1   = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 1}
	oidECDSAWithSHA256 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 2}
	oidECDSAWithSHA384 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 3}
	oidECDSAWithSHA512 = asn1.ObjectIdentifier{1, 2, 840, 10045, 4, 3, 4}

	oidEd25519 = asn1.ObjectIdentifier{1, 3, 101, 112}
	oidEd448   = asn1.ObjectIdentifier{1, 3, 101, 113}

	oidMD5      = asn1.ObjectIdentifier{1, 2, 840, 113549, 2, 5}
	oidSHA1     = asn1.ObjectIdentifier{1, 3, 14, 3, 2, 26}
	oidSHA256   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
	oidSHA384   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 2}
	oidSHA512   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidSHA224   = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 4}
	oidSHA3_224 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 7}
	oidSHA3_256 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 8}
	oidSHA3_384 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 9}
	oidSHA3_512 = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 10}

	// Certificate extensions.
	oidExtSubjectKeyID      = asn1.ObjectIdentifier{2, 5, 29, 14}
	oidExtKeyUsage          = asn1.ObjectIdentifier{2, 5, 29, 15}
	oidExtSubjectAltName    = asn1.ObjectIdentifier{2, 5, 29, 17}
	oidExtBasicConstraints  = asn1.ObjectIdentifier{2, 5, 29, 19}
	oidExtCRLNumber         = asn1.ObjectIdentifier{2, 5, 29, 20}
	oidExtDeltaCRLIndicator = asn1.ObjectIdentifier{2, 5, 29, 27}
	oidExtNameConstraints   = asn1.ObjectIdentifier{2, 5, 29, 30}
	oidExtCRLDistPoints     = asn1.ObjectIdentifier{2, 5, 29, 31}
	oidExtCertPolicies      = asn1.ObjectIdentifier{2, 5, 29, 32}
	oidExtPolicyMappings    = asn1.ObjectIdentifier{2, 5, 29, 33}
	oidExtAuthorityKeyID    = asn1.ObjectIdentifier{2, 5, 29, 35}
	oidExtPolicyConstraints = asn1.ObjectIdentifier{2, 5, 29, 36}
	oidExtExtKeyUsage       = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidExtFreshestCRL       = asn1.ObjectIdentifier{2, 5, 29, 46}
	oidExtInhibitAnyPolicy  = asn1.ObjectIdentifier{2, 5, 29, 54}
	oidExtAuthorityInfo     = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 1}
	oidExtIPAddrBlocks      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 7}
	oidExtIssuerAltName     = asn1.ObjectIdentifier{2, 5, 29, 18}

	// Access methods and key purposes.
	oidOCSPAccess       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1}
	oidServerAuth       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	oidClientAuth       = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
	oidOCSPSigning      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 9}
	oidIKEIntermediate  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 8, 2, 2}
	oidMSSmartcardLogon = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 2}
	oidMSUPN            = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 311, 20, 2, 3}
	oidXmppAddr         = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 8, 5}
)
