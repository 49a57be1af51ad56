package vici

import (
	"strings"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
)

// The certification authority commands (vici_authority.c) and list-certs
// (vici_query.c). An authority needs its CA certificate, so without
// certificate support none can be loaded and none is listed.

func (p *Plugin) registerAuthority() {
	p.srv.Event("list-authority")
	p.srv.Command("load-authority", p.loadAuthority)
	p.srv.Command("unload-authority", p.unloadAuthority)
	p.srv.Command("get-authorities", p.getAuthorities)
	p.srv.Command("list-authorities", p.listAuthorities)
}

// authorityOptions are the keys and lists of an authority section.
var authorityOptions = map[string]bool{"cacert": true, "file": true, "handle": true, "slot": true, "module": true,
	"cert_uri_base": true, "crl_uris": true, "ocsp_uris": true}

func (p *Plugin) loadAuthority(r *Request) []byte {
	for _, e := range r.Msg.Elements {
		if e.Kind != Section {
			continue
		}
		hasCert := false
		for _, o := range e.Sub.Elements {
			if !authorityOptions[o.Name] || (o.Kind == List) != strings.HasSuffix(o.Name, "_uris") {
				return reply("unknown option: %s, authority discarded", o.Name)
			}
			switch o.Name {
			case "cacert", "file", "handle":
				hasCert = true
			}
		}
		if !hasCert {
			return reply("CA certificate missing: %s", e.Name)
		}
		return reply("unsupported option: cacert (%s), authority discarded", whyAuthorities)
	}
	if r.Err != nil {
		return reply("parsing request failed")
	}
	return reply("")
}

func (p *Plugin) unloadAuthority(r *Request) []byte {
	name, ok := r.Msg.Str("name")
	if !ok {
		return reply("unload: missing authority name")
	}
	return reply("unload: authority '%s' not found", name)
}

func (p *Plugin) getAuthorities(*Request) []byte {
	b := NewBuilder()
	b.BeginList("authorities")
	b.EndList()
	return p.finish(b)
}

func (p *Plugin) listAuthorities(*Request) []byte { return empty() }

// listCerts is list_certs: the filter is checked as charon checks it, then
// every certificate the CertStore holds is streamed.
func (p *Plugin) listCerts(r *Request) []byte {
	f := CertFilter{Type: "ANY", Flag: "ANY"}
	str := r.Msg.StrDefault("type", "ANY")
	if t, ok := enumName(certTypeNames, str); ok {
		f.Type = t
		if t == "X509" {
			fs := r.Msg.StrDefault("flag", "ANY")
			if f.Flag, ok = enumName(x509FlagNames, fs); !ok {
				p.logf(bus.Control, "invalid certificate flag '%s'", fs)
				return empty()
			}
		}
	} else if typ, flag, ok := legacyCertType(str); ok {
		f.Type, f.Flag = typ, flag
	} else {
		p.logf(bus.Control, "invalid certificate type '%s'", str)
		return empty()
	}
	if subject, ok := r.Msg.Str("subject"); ok {
		f.Subject = credentials.ParseIdentity(subject)
	}
	certs := p.deps.Features.Certs
	if certs == nil {
		return empty()
	}
	for _, c := range certs.Certs(f) {
		b := NewBuilder()
		b.KV("type", c.Type)
		if c.Type == "X509" {
			b.KV("flag", c.Flag)
		}
		if c.HasPrivKey {
			b.KV("has_privkey", "yes")
		}
		b.KVBytes("data", c.Data)
		if c.Type == "PUBKEY" {
			if c.Subject != "" {
				b.KV("subject", c.Subject)
			}
			if !c.NotBefore.IsZero() {
				b.KV("not-before", asn1Time(c.NotBefore))
			}
			if !c.NotAfter.IsZero() {
				b.KV("not-after", asn1Time(c.NotAfter))
			}
		}
		p.srv.Raise("list-cert", r.Client, p.finish(b))
	}
	return empty()
}

// asn1Time is the GeneralizedTime text charon sends for raw public keys.
func asn1Time(t time.Time) string { return t.UTC().Format("20060102150405Z") }
