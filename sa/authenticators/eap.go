package authenticators

import (
	"crypto/subtle"
	"slices"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/eap"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// eapAuth is eap_authenticator.c: an EAP conversation carried in EAP
// payloads over as many IKE_AUTH exchanges as the method needs (RFC 7296
// §2.16), and then AUTH payloads computed like pre-shared key ones with
// the method's MSK (or SK_p for methods without one). The client builds
// (NewBuilder for an EAP round), the gateway verifies (NewVerifier for a
// round without AUTH).
type eapAuth struct {
	ike    *sa.IKESA
	in     sa.AuthInputs
	server bool

	method eap.Method
	msk    []byte
	// out is the EAP packet to send next.
	out []byte
	// eapIdentity is the peer's EAP identity, once known.
	eapIdentity *credentials.Identity

	eapComplete  bool
	authComplete bool
	// requireMutual is set when the peer did without AUTH (EAP-only,
	// RFC 5998) before the method was known.
	requireMutual bool
}

func (a *eapAuth) log(format string, args ...any) {
	a.ike.Log(bus.IKE, bus.Control, format, args...)
}

// loadMethod creates a method for a role: the server is our identity (or
// the AAA identity), the peer its EAP identity if known, else its IKE
// identity.
func (a *eapAuth) loadMethod(typ, vendor uint32, role eap.Role) eap.Method {
	ike := a.ike
	server, peer := ike.OtherID(), ike.MyID()
	auth := ike.CurrentAuth(true)
	if role == eap.Server {
		server, peer = ike.MyID(), ike.OtherID()
		auth = ike.CurrentAuth(false)
	}
	if a.eapIdentity != nil {
		peer = a.eapIdentity
	}
	if auth.AAAIdentity != nil {
		server = auth.AAAIdentity
	}
	ctx := &eap.Context{Server: server, Peer: peer, Log: bus.LoggerFunc(ike.Log), CredLog: ike.CredLog(),
		SA: eap.SAInfo{UniqueID: ike.UniqueID(), Name: ike.Name(), MyHost: ike.MyHost(), OtherHost: ike.OtherHost()}}
	return ike.Env().EAP.Create(typ, vendor, role, ctx)
}

// methodName is how charon names a method in its log lines.
func methodName(typ, vendor uint32, vendorFmt, plainFmt string) (string, []any) {
	if vendor != 0 {
		return vendorFmt, []any{typ, vendor}
	}
	return plainFmt, []any{eap.TypeName(typ)}
}

// configuredType is the EAP type of a round as auth_cfg get returns it:
// EAP_NAK when none is set.
func configuredType(c *config.AuthCfg) uint32 {
	if c.EAPType == 0 {
		return eap.TypeNak
	}
	return c.EAPType
}

// serverInitiate starts the conversation: EAP-Identity first if the
// round wants the peer's EAP identity, else (and after it) the method.
func (a *eapAuth) serverInitiate(doIdentity bool) []byte {
	auth := a.ike.CurrentAuth(false)
	if a.eapIdentity == nil && doIdentity && auth.EAPIdentity != nil {
		if auth.EAPIdentity.Type() == credentials.IDAny {
			if a.method = a.loadMethod(eap.TypeIdentity, 0, eap.Server); a.method != nil {
				if out, st := a.method.Initiate(); st == eap.NeedMore {
					a.log("initiating %s method (id 0x%02X)", eap.TypeName(eap.TypeIdentity), a.method.Identifier())
					return out
				}
				a.method.Destroy()
				a.method = nil
			}
			a.log("EAP-Identity request configured, but not supported")
		} else {
			a.log("using configured EAP-Identity %s", auth.EAPIdentity)
			a.eapIdentity = auth.EAPIdentity
		}
	}
	typ, vendor := configuredType(auth), auth.EAPVendor
	action := "loading"
	if a.method = a.loadMethod(typ, vendor, eap.Server); a.method != nil {
		action = "initiating"
		out, st := a.method.Initiate()
		// A virtual method's type may have changed.
		typ, vendor = a.method.Type()
		if st == eap.NeedMore {
			f, args := methodName(typ, vendor, "initiating EAP vendor type %d-%d method (id 0x%02X)", "initiating %s method (id 0x%02X)")
			a.log(f, append(args, eap.Identifier(out))...)
			return out
		}
	}
	f, args := methodName(typ, vendor, "%s EAP vendor type %d-%d method failed", "%s %s method failed")
	a.log(f, append([]any{action}, args...)...)
	return eap.NewCode(encoding.EAPFailure, 0)
}

// serverProcess handles the peer's EAP response.
func (a *eapAuth) serverProcess(in []byte) []byte {
	id := eap.Identifier(in)
	if code := eap.Code(in); code != encoding.EAPResponse {
		a.log("received %s, sending %s", eap.CodeName(code), eap.CodeName(encoding.EAPFailure))
		return eap.NewCode(encoding.EAPFailure, id)
	}
	typ, vendor := a.method.Type()
	rtype, rvendor := eap.PacketType(in)
	if typ != rtype || vendor != rvendor {
		if rvendor != 0 || rtype != eap.TypeNak {
			a.log("received invalid EAP response, sending %s", eap.CodeName(encoding.EAPFailure))
			return eap.NewCode(encoding.EAPFailure, id)
		}
		auth := a.ike.CurrentAuth(false)
		if (typ == eap.TypeIdentity && vendor == 0) || (typ == configuredType(auth) && vendor == auth.EAPVendor) {
			a.log("received %s, sending %s", eap.TypeName(eap.TypeNak), eap.CodeName(encoding.EAPFailure))
			return eap.NewCode(encoding.EAPFailure, id)
		}
		// Virtual methods handle a Nak themselves.
	}
	out, st := a.method.Process(in)
	switch st {
	case eap.NeedMore:
		return out
	case eap.Success:
		if typ == eap.TypeIdentity && vendor == 0 {
			if data, st := a.method.MSK(); st == eap.Success {
				a.eapIdentity = credentials.FromData(data)
				a.log("received EAP identity '%s'", a.eapIdentity)
				a.ike.CurrentAuth(false).EAPIdentity = a.eapIdentity
			}
			// Start over with the real method.
			a.method.Destroy()
			a.method = nil
			return a.serverInitiate(false)
		}
		a.applySessionTimeout()
		if a.takeMSK() {
			f, args := methodName(typ, vendor, "EAP vendor specific method %d-%d succeeded, %sMSK established",
				"EAP method %s succeeded, %sMSK established")
			a.log(f, append(args, a.mskPrefix())...)
			a.ike.SetCondition(sa.CondEAPAuthenticated, true)
			a.eapComplete = true
			return eap.NewCode(encoding.EAPSuccess, id)
		}
		a.log("failed to establish MSK")
	}
	typ, vendor = a.method.Type()
	f, args := methodName(typ, vendor, "EAP vendor specific method %d-%d failed for peer %s", "EAP method %s failed for peer %s")
	a.log(f, append(args, a.ike.OtherID())...)
	return eap.NewCode(encoding.EAPFailure, id)
}

// applySessionTimeout limits the IKE_SA's authentication to the lifetime
// a backend granted (a RADIUS Session-Timeout).
func (a *eapAuth) applySessionTimeout() {
	if p, ok := a.method.(eap.AuthProvider); ok {
		if got := p.Auth(); got != nil && got.SessionTimeout != nil {
			a.ike.SetAuthLifetime(*got.SessionTimeout)
		}
	}
}

// takeMSK keeps the method's MSK; false if it should have one and has
// not.
func (a *eapAuth) takeMSK() bool {
	msk, st := a.method.MSK()
	switch st {
	case eap.Success:
		a.msk = slices.Clone(msk)
	case eap.NotSupported:
	default:
		return false
	}
	return true
}

func (a *eapAuth) mskPrefix() string {
	if a.msk == nil {
		return "no "
	}
	return ""
}

// clientProcess answers a request of the server: EAP-Identity with our
// EAP identity, else with the method the server asked for, if it is the
// configured one (or any is configured) and we have it; else a Nak.
func (a *eapAuth) clientProcess(in []byte) []byte {
	typ, vendor := eap.PacketType(in)
	id := eap.Identifier(in)
	mgr := a.ike.Env().EAP
	if vendor == 0 && typ == eap.TypeIdentity {
		myID := a.ike.CurrentAuth(true).EAPIdentity
		if myID == nil || myID.Type() == credentials.IDAny {
			myID = a.ike.MyID()
		}
		a.log("server requested %s (id 0x%02X), sending '%s'", eap.TypeName(typ), id, myID)
		a.eapIdentity = myID
		if m := a.loadMethod(typ, vendor, eap.Peer); m != nil {
			out, st := m.Process(in)
			m.Destroy()
			if st == eap.Success {
				return out
			}
		}
		a.log("%s not supported, sending EAP_NAK", eap.TypeName(typ))
		return mgr.NewNak(id, 0, 0, false)
	}
	if a.method == nil {
		if vendor != 0 {
			a.log("server requested vendor specific EAP method %d-%d (id 0x%02X)", typ, vendor, id)
		} else {
			a.log("server requested %s authentication (id 0x%02X)", eap.TypeName(typ), id)
		}
		auth := a.ike.CurrentAuth(true)
		confType, confVendor := configuredType(auth), auth.EAPVendor
		if confType != eap.TypeNak && (confType != typ || confVendor != vendor) {
			if confVendor != 0 {
				a.log("requesting EAP method %d-%d, sending EAP_NAK", confType, confVendor)
			} else {
				a.log("requesting %s authentication, sending EAP_NAK", eap.TypeName(confType))
			}
			return mgr.NewNak(id, confType, confVendor, eap.IsExpanded(in))
		}
		if a.method = a.loadMethod(typ, vendor, eap.Peer); a.method == nil {
			a.log("EAP method not supported, sending EAP_NAK")
			return mgr.NewNak(id, 0, 0, eap.IsExpanded(in))
		}
	}
	typ, vendor = a.method.Type()
	if out, st := a.method.Process(in); st == eap.NeedMore {
		return out
	}
	f, args := methodName(typ, vendor, "vendor specific EAP method %d-%d failed", "%s method failed")
	a.log(f, args...)
	return nil
}

// verifyAuth checks the peer's AUTH payload, made with the MSK.
func (a *eapAuth) verifyAuth(m *encoding.Message) bool {
	ike := a.ike
	ap, _ := m.First(encoding.PayloadAUTH).(*encoding.Auth)
	if ap == nil {
		a.log("AUTH payload missing")
		return false
	}
	other := ike.OtherID()
	want, err := ike.Keymat().PSKAuth(ike.Logger(), true, a.in.OtherInit, a.in.MyNonce, a.msk,
		sa.IDPayload(other, ike.ID().Initiator))
	if err != nil {
		return false
	}
	if len(want) == 0 || subtle.ConstantTimeCompare(want, ap.Data) != 1 {
		with := "out"
		if a.msk != nil {
			with = ""
		}
		a.log("verification of AUTH payload with%s EAP MSK failed", with)
		return false
	}
	a.log("authentication of '%s' with %s successful", other, config.AuthClassEAP)
	a.authComplete = true
	auth := ike.CurrentAuth(false)
	auth.Class = config.AuthClassEAP
	auth.EAPType, auth.EAPVendor = a.method.Type()
	return true
}

// buildAuth adds our AUTH payload, made with the MSK.
func (a *eapAuth) buildAuth(m *encoding.Message) bool {
	ike := a.ike
	me := ike.MyID()
	a.log("authentication of '%s' (myself) with %s", me, config.AuthClassEAP)
	data, err := ike.Keymat().PSKAuth(ike.Logger(), false, a.in.MyInit, a.in.OtherNonce, a.msk,
		sa.IDPayload(me, !ike.ID().Initiator))
	if err != nil {
		return false
	}
	m.Add(&encoding.Auth{Method: encoding.AuthPSK, Data: data})
	return true
}

// Process implements sa.Authenticator.
func (a *eapAuth) Process(m *encoding.Message) sa.Status {
	if a.server {
		return a.processServer(m)
	}
	return a.processClient(m)
}

// Build implements sa.Authenticator.
func (a *eapAuth) Build(m *encoding.Message) sa.Status {
	if a.server {
		return a.buildServer(m)
	}
	if a.out != nil {
		m.Add(&encoding.EAP{Data: a.out})
		a.out = nil
		return sa.NeedMore
	}
	if a.eapComplete {
		a.buildAuth(m)
	}
	return sa.NeedMore
}

func (a *eapAuth) processServer(m *encoding.Message) sa.Status {
	if a.eapComplete {
		if !a.verifyAuth(m) {
			return sa.Failed
		}
		if p, ok := a.method.(eap.AuthProvider); ok {
			if got := p.Auth(); got != nil {
				auth := a.ike.CurrentAuth(false)
				if got.EAPIdentity != nil {
					auth.EAPIdentity = got.EAPIdentity
				}
				auth.Groups = append(auth.Groups, got.Groups...)
				rules := got.Rules.Clone()
				rules.Merge(auth.AuthRules)
				auth.AuthRules = rules
			}
		}
		return sa.NeedMore
	}
	if a.method == nil {
		a.out = a.serverInitiate(true)
		return sa.NeedMore
	}
	p, _ := m.First(encoding.PayloadEAP).(*encoding.EAP)
	if p == nil {
		return sa.Failed
	}
	a.out = a.serverProcess(p.Data)
	return sa.NeedMore
}

func (a *eapAuth) buildServer(m *encoding.Message) sa.Status {
	if a.out != nil {
		code := eap.Code(a.out)
		m.Add(&encoding.EAP{Data: a.out})
		a.out = nil
		if code == encoding.EAPFailure {
			return sa.Failed
		}
		return sa.NeedMore
	}
	if a.eapComplete && a.authComplete && a.buildAuth(m) {
		return sa.Success
	}
	return sa.Failed
}

func (a *eapAuth) processClient(m *encoding.Message) sa.Status {
	if a.eapComplete {
		if !a.verifyAuth(m) {
			return sa.Failed
		}
		if a.requireMutual && !a.method.IsMutual() {
			typ, _ := a.method.Type()
			a.log("EAP-only authentication requires a mutual and MSK deriving EAP method, but %s is not", eap.TypeName(typ))
			return sa.Failed
		}
		return sa.Success
	}
	p, _ := m.First(encoding.PayloadEAP).(*encoding.EAP)
	if p == nil {
		return sa.Failed
	}
	switch p.Code() {
	case encoding.EAPRequest:
		if a.out = a.clientProcess(p.Data); a.out != nil {
			return sa.NeedMore
		}
		return sa.Failed
	case encoding.EAPSuccess:
		if a.method == nil {
			a.log("received unexpected %s", eap.CodeName(p.Code()))
			return sa.Failed
		}
		if !a.takeMSK() {
			a.log("received %s but failed to establish MSK", eap.CodeName(p.Code()))
			return sa.Failed
		}
		typ, vendor := a.method.Type()
		f, args := methodName(typ, vendor, "EAP vendor specific method %d-%d succeeded, %sMSK established",
			"EAP method %s succeeded, %sMSK established")
		a.log(f, append(args, a.mskPrefix())...)
		auth := a.ike.CurrentAuth(true)
		auth.EAPType, auth.EAPVendor = typ, vendor
		a.eapComplete = true
		return sa.NeedMore
	}
	a.log("received %s, EAP authentication failed", eap.CodeName(p.Code()))
	return sa.Failed
}

// IsMutual implements sa.Authenticator: the method's answer once it is
// known; before, the peer's omitted AUTH (EAP-only) is accepted for now
// and a mutual method required later.
func (a *eapAuth) IsMutual() bool {
	if a.method != nil {
		if typ, vendor := a.method.Type(); typ != eap.TypeIdentity || vendor != 0 {
			return a.method.IsMutual()
		}
	}
	a.requireMutual = true
	return true
}

// Destroy implements sa.Authenticator.
func (a *eapAuth) Destroy() {
	if a.method != nil {
		a.method.Destroy()
		a.method = nil
	}
	clear(a.msk)
}
