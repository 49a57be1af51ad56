package refusals

import "github.com/goswan/goswan/config/feature"

// Supported are cases that were refusals until their feature was done:
// the ipsecconf, checkconf and daemon tests run them the other way round
// (nothing reported, the conn loaded, the setting taken), so the keywords
// a feature brought stay accepted end to end.
var Supported = []Case{
	{Name: "rsasig", Lines: []string{"authby=rsasig"}, Feature: feature.Certificates},
	{Name: "default-auth", Lines: []string{"authby="}, Feature: feature.Certificates},
	{Name: "leftauth-pubkey", Lines: []string{"leftauth=pubkey", "rightauth=psk"}, Feature: feature.Certificates},
	{Name: "ecdsa-constraints", Lines: []string{"leftauth=ecdsa-256-sha384", "rightauth=rsa-2048-sha256"}, Feature: feature.Certificates},
	{Name: "leftcert", Lines: []string{"authby=pubkey", "leftcert=moonCert.pem", "leftsendcert=always"}, Feature: feature.Certificates},
	{Name: "rsasigkey-cert", Lines: []string{"authby=rsasig", "leftcert=moonCert.pem", "leftrsasigkey=%cert"}, Feature: feature.Certificates},
	{Name: "rightca", Lines: []string{"authby=pubkey", `rightca="C=CH, O=strongSwan, CN=Root CA"`}, Feature: feature.Certificates},
	{Name: "rightgroups", Lines: []string{"authby=pubkey", "rightgroups=sales"}, Feature: feature.Certificates},
	{Name: "certpolicy", Lines: []string{"authby=pubkey", "rightcertpolicy=1.3.6.1.4.1.36906.1.1.1"}, Feature: feature.Certificates},
	{Name: "eap", Lines: []string{"leftauth=psk", "rightauth=eap-md5"}, Feature: feature.EAP},
	{Name: "eap-second", Lines: []string{"rightauth2=eap-mschapv2"}, Feature: feature.EAP},
	{Name: "eap-identity", Lines: []string{"eap_identity=%identity"}, Feature: feature.EAP},
	{Name: "aaa-identity", Lines: []string{"aaa_identity=radius.example.org"}, Feature: feature.EAP},
	{Name: "eap-client", Lines: []string{"leftauth=eap", "rightauth=pubkey", "eap_identity=carol"}, Feature: feature.EAP},
	{Name: "eap-radius", Lines: []string{"leftauth=pubkey", "rightauth=eap-radius"}, Feature: feature.EAP},
	{Name: "eap-tls", Lines: []string{"leftauth=pubkey", "rightauth=eap-tls"}, Feature: feature.EAPTLS},
	{Name: "eap-tls-constraints", Lines: []string{"leftauth=eap-tls:rsa-2048", "rightauth=pubkey"}, Feature: feature.EAPTLS},
}

// SupportedSettings are the config setup and ca sections that were
// refused until their feature was done.
var SupportedSettings = []Setting{
	{File: "ipsec.conf", Text: "config setup\n\tcachecrls=yes\n\tstrictcrlpolicy=yes\n", Feature: feature.Certificates},
	{File: "ipsec.conf", Text: "ca root\n\tcacert=rootCert.pem\n\tcrluri=http://crl.strongswan.org/strongswan.crl\n\tauto=add\n",
		Feature: feature.Certificates},
}
