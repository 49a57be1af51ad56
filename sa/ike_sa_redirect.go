package sa

import (
	"net/netip"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
)

// IKEv2 redirection (RFC 5685), the parts of ike_sa.c: a gateway
// redirects an established client (Redirect), a client follows a redirect
// it receives (HandleRedirect).

const (
	// maxRedirects are allowed within redirectLoopDetectPeriod; more are a
	// loop (ike_sa.h).
	maxRedirects             = 5
	redirectLoopDetectPeriod = 300 * time.Second
)

// RedirectedFrom is the gateway that redirected us to the current one
// (until the SA is established): ike_init announces it in
// REDIRECTED_FROM.
func (ike *IKESA) RedirectedFrom() netip.AddrPort { return ike.redirectedFrom }

// GatewayIdentity turns the gateway of a REDIRECT notify into an identity.
func GatewayIdentity(r encoding.RedirectData) *credentials.Identity {
	switch r.GatewayType {
	case encoding.GatewayIPv4:
		return credentials.FromEncoding(credentials.IDIPv4Addr, r.Gateway)
	case encoding.GatewayIPv6:
		return credentials.FromEncoding(credentials.IDIPv6Addr, r.Gateway)
	case encoding.GatewayFQDN:
		return credentials.FromEncoding(credentials.IDFQDN, r.Gateway)
	}
	return nil
}

// RedirectDataFor encodes gw for a REDIRECT notify; a gateway that is no
// address or FQDN encodes as no data, as charon's does.
func RedirectDataFor(gw *credentials.Identity, nonce []byte) []byte {
	var typ uint8
	switch gw.Type() {
	case credentials.IDIPv4Addr:
		typ = encoding.GatewayIPv4
	case credentials.IDIPv6Addr:
		typ = encoding.GatewayIPv6
	case credentials.IDFQDN:
		typ = encoding.GatewayFQDN
	default:
		return nil
	}
	b, err := encoding.RedirectData{GatewayType: typ, Gateway: gw.Encoding(), Nonce: nonce}.Encode()
	if err != nil {
		return nil
	}
	return b
}

// Redirect sends an established client to gateway (a gateway's active
// redirect): only a responder can, and only a client that announced
// REDIRECT_SUPPORTED.
func (ike *IKESA) Redirect(gateway *credentials.Identity) Status {
	switch ike.state {
	case IKEConnecting, IKEEstablished, IKERekeying:
	default:
		ike.Log(bus.IKE, bus.Control, "unable to redirect IKE_SA in state %s", ike.state)
		return InvalidState
	}
	if ike.Has(CondRedirected) {
		return Success
	}
	if ike.Has(CondOriginalInitiator) {
		ike.Log(bus.IKE, bus.Control, "unable to redirect IKE_SA as initiator")
		return Failed
	}
	if !ike.Supports(ExtIKERedirection) {
		ike.Log(bus.IKE, bus.Control, "client does not support IKE redirection")
		return Failed
	}
	ike.tm.QueueRedirect(gateway)
	return ike.tm.Initiate()
}

// redirectCountExceeded records a redirect and reports whether there were
// too many lately.
func (ike *IKESA) redirectCountExceeded() bool {
	now := ike.env.Clock.Now()
	for len(ike.redirectedAt) > 0 && now.Sub(ike.redirectedAt[0]) >= redirectLoopDetectPeriod {
		ike.redirectedAt = ike.redirectedAt[1:]
	}
	if len(ike.redirectedAt) < maxRedirects {
		ike.redirectedAt = append(ike.redirectedAt, now)
		return false
	}
	return true
}

// resolveGatewayID finds the address of a gateway identity (an address,
// or a name to look up), at IKE's port.
func (ike *IKESA) resolveGatewayID(gw *credentials.Identity) (netip.AddrPort, bool) {
	a, ok := config.HostAddr(gw.String(), false, false, ike.env.Resolve)
	if !ok || a.IsUnspecified() {
		ike.Log(bus.IKE, bus.Control, "unable to resolve gateway ID '%s', redirect failed", gw)
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a, IKEPort), true
}

// HandleRedirect follows a gateway's redirect (a client): a connecting SA
// starts over at the new gateway, an established one is re-established
// there with its CHILD_SAs, the old one deleted afterwards. False if the
// redirect is not followed.
func (ike *IKESA) HandleRedirect(gateway *credentials.Identity) bool {
	ike.Log(bus.IKE, bus.Control, "redirected to %s", gateway)
	if !ike.env.Settings.FollowRedirects {
		ike.Log(bus.IKE, bus.Control, "server sent REDIRECT even though we disabled it")
		return false
	}
	if ike.redirectCountExceeded() {
		ike.Log(bus.IKE, bus.Control, "only %d redirects are allowed within %d seconds",
			maxRedirects, int(redirectLoopDetectPeriod/time.Second))
		return false
	}
	switch ike.state {
	case IKEConnecting:
		return ike.redirectConnecting(gateway)
	case IKEEstablished:
		return ike.redirectEstablished(gateway)
	}
	ike.Log(bus.IKE, bus.Control, "unable to handle redirect for IKE_SA in state %s", ike.state)
	return false
}

func (ike *IKESA) redirectConnecting(gw *credentials.Identity) bool {
	other, ok := ike.resolveGatewayID(gw)
	if !ok {
		return false
	}
	ike.Reset(true)
	ike.redirectedFrom = ike.otherHost
	ike.remoteHost = other
	ike.resolveHosts()
	return true
}

func (ike *IKESA) redirectEstablished(gw *credentials.Identity) bool {
	m := ike.env.Manager
	n := m.CreateNew(true, ike.thread)
	n.SetPeerCfg(ike.peerCfg)
	n.redirectedFrom = ike.otherHost
	other, ok := ike.resolveGatewayID(gw)
	if !ok {
		m.CheckinAndDestroy(n)
		return false
	}
	n.myHost = ike.myHost
	// the new gateway's address wins over the config's, ours is resolved
	n.remoteHost = other
	n.resolveHosts()
	n.redirectedAt = append(n.redirectedAt, ike.redirectedAt...)
	ike.redirectedAt = nil
	if ike.reestablishChildren(n, true) == DestroyMe {
		m.CheckinAndDestroy(n)
		return false
	}
	n.tm.QueueReauthComplete(ike.id)
	m.Checkin(n)
	return true
}

// reestablishChildren queues the CHILD_SAs of ike on n (all with force,
// else those whose close or DPD action is start), takes over CHILD_SAs
// being created, and starts n (ike_sa.c reestablish_children).
func (ike *IKESA) reestablishChildren(n *IKESA, force bool) Status {
	for _, c := range ike.children {
		if s := c.State(); s == ChildRekeyed || s == ChildDeleted {
			continue
		}
		action := config.ActionStart
		if !force {
			action = c.dpdAction
			if ike.state == IKEDeleting {
				action = c.closeAction
			}
		}
		if action == config.ActionStart {
			ike.Log(bus.IKE, bus.Control, "restarting CHILD_SA %s", c.Name())
			n.tm.QueueChild(c.cfg, &ChildInitArgs{ReqID: c.reqid})
		}
	}
	n.tm.AdoptChildTasks(ike.tm)
	return n.Initiate(nil, nil)
}

// DeleteJob is delete_ike_sa_job for the tasks: delete the SA (an
// established one with a DELETE), or a half-open one after its timeout.
func (ike *IKESA) DeleteJob(ifEstablished bool) Status { return ike.deleteJob(ifEstablished) }
