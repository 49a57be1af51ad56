package sa

import (
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
)

// Initiate starts the IKE_SA (if new) and queues a CHILD_SA for cfg
// (may be nil).
func (ike *IKESA) Initiate(cfg *config.ChildCfg, args *ChildInitArgs) Status {
	if ike.state == IKECreated {
		if ike.myHost.Addr().IsUnspecified() || ike.otherHost.Addr().IsUnspecified() {
			ike.resolveHosts()
		}
		if ike.otherHost.Addr().IsUnspecified() {
			ike.Log(bus.IKE, bus.Control, "unable to resolve %s, initiate aborted", ike.ikeCfg.Remote)
			ike.env.Events.Alert(ike, AlertPeerAddrFailed)
			return DestroyMe
		}
		ike.SetCondition(CondOriginalInitiator, true)
		ike.tm.QueueIKE()
	}
	if cfg != nil {
		ike.tm.QueueChild(cfg, args)
	}
	return ike.tm.Initiate()
}

// resolveHosts fills in our and the peer's address from the IKE config:
// the peer from the configured remote, ours from the configured local
// address or by a route lookup towards the peer. Ours is resolved every
// time, as charon's resolve_hosts does: an SA that starts over from an
// old one (a redirect, a roam, a reestablish) must not keep its port 4500
// and send IKE_SA_INIT from there to the new gateway's port 500.
func (ike *IKESA) resolveHosts() {
	cfg := ike.ikeCfg
	family := 0
	switch {
	case ike.remoteHost.IsValid():
		// redirected: the gateway we were sent to
		ike.otherHost = ike.remoteHost
	case ike.kmRemote.IsValid():
		// a kernel MIGRATE's kmaddress
		ike.otherHost = netip.AddrPortFrom(ike.kmRemote, IKEPort)
	case ike.otherHost.Addr().IsUnspecified() || !ike.otherHost.IsValid():
		if a, ok := cfg.ResolveOther(0, ike.env.Resolve); ok {
			port := cfg.RemotePort
			if port == 0 {
				port = IKEPort
			}
			ike.otherHost = netip.AddrPortFrom(a, port)
		}
	}
	if !ike.otherHost.Addr().IsUnspecified() {
		family = 6
		if ike.otherHost.Addr().Is4() {
			family = 4
		}
	}
	if ike.kmLocal.IsValid() {
		// a kernel MIGRATE's kmaddress
		ike.myHost = netip.AddrPortFrom(ike.kmLocal, ike.env.Settings.Port)
		return
	}
	port := cfg.LocalPort
	if port == 0 {
		port = ike.env.Settings.Port
	}
	a, ok := cfg.ResolveMe(family, ike.env.Resolve)
	if (!ok || a.IsUnspecified()) && ike.env.Net != nil && !ike.otherHost.Addr().IsUnspecified() {
		if src, err := ike.env.Net.SourceAddr(ike.otherHost.Addr(), netip.Addr{}); err == nil {
			a, ok = src, true
		}
	}
	if ok {
		ike.myHost = netip.AddrPortFrom(a, port)
	}
}

// ProcessMessage handles a received message whose header was parsed;
// decodeErr is what decoding the rest of it found (nil: nothing), raw the
// datagram, src and dst its addresses.
func (ike *IKESA) ProcessMessage(m *encoding.Message, decodeErr error, raw []byte, src, dst netip.AddrPort) Status {
	if ike.state == IKEPassive {
		return Failed
	}
	if m.MajorVersion != 2 {
		ike.Log(bus.IKE, bus.Control, "ignoring %s IKEv%d exchange on IKEv2 SA", m.Exchange, m.MajorVersion)
		return Failed
	}
	s := ike.tm.ProcessMessage(m, decodeErr, raw, src, dst)
	// The datagram is the task manager's business only while it works on
	// it; kept, it would hold a receive buffer per idle SA.
	ike.msgRaw = nil
	return s
}

// Retransmit is the retransmit timer of request mid; when the task
// manager gives up, the SA is reestablished or deleted as charon does.
func (ike *IKESA) Retransmit(mid uint32) Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	switch ike.tm.Retransmit(mid) {
	case Success:
		ike.stats[StatOutbound] = ike.env.Clock.Now()
		return Success
	case InvalidState:
		return InvalidState
	}
	switch ike.state {
	case IKEConnecting:
		tries := ike.peerCfg.KeyingTries
		ike.env.Events.Alert(ike, AlertPeerInitUnreachable, ike.keyingTry)
		ike.keyingTry++
		if tries == 0 || tries > ike.keyingTry {
			ike.Log(bus.IKE, bus.Control, "peer not responding, trying again (%d/%d)", ike.keyingTry+1, tries)
			ike.Reset(true)
			ike.resolveHosts()
			return ike.tm.Initiate()
		}
		ike.Log(bus.IKE, bus.Control, "establishing IKE_SA failed, peer not responding")
	case IKEDeleting:
		ike.Log(bus.IKE, bus.Control, "proper IKE_SA delete failed, peer not responding")
		if ike.Has(CondReauthenticating) && !ike.env.Settings.MakeBeforeBreak {
			ike.Log(bus.IKE, bus.Control, "delete during reauthentication failed, trying to reestablish IKE_SA anyway")
			ike.Reestablish()
		}
	case IKERekeying:
		ike.Log(bus.IKE, bus.Control, "rekeying IKE_SA failed, peer not responding")
		ike.Reestablish()
	default:
		ike.Reestablish()
	}
	if ike.state != IKEConnecting && ike.state != IKERekeyed {
		ike.env.Events.IKEUpdown(ike, false)
	}
	return DestroyMe
}

// Delete starts deleting the SA (INFORMATIONAL with a DELETE), or reports
// that it must be destroyed right away.
func (ike *IKESA) Delete(force bool) Status {
	status := DestroyMe
	switch ike.state {
	case IKEEstablished, IKERekeying, IKERekeyed:
		if !ike.stats[StatDelete].IsZero() && !ike.env.Clock.Now().Before(ike.stats[StatDelete]) {
			ike.env.Events.Alert(ike, AlertIKESAExpired)
		}
		ike.tm.QueueIKEDelete()
		status = ike.tm.Initiate()
	case IKECreated:
		ike.Log(bus.IKE, bus.Control, "deleting unestablished IKE_SA")
	case IKEPassive:
	default:
		ike.Log(bus.IKE, bus.Control, "destroying IKE_SA in state %s without notification", ike.state)
		force = true
	}
	if force {
		status = DestroyMe
		switch ike.state {
		case IKEEstablished, IKERekeying, IKEDeleting:
			ike.env.Events.IKEUpdown(ike, false)
		}
	}
	return status
}

// Rekey starts an IKE_SA rekeying.
func (ike *IKESA) Rekey() Status {
	if ike.state == IKEPassive || ike.Has(CondReauthenticating) {
		return InvalidState
	}
	ike.tm.QueueIKERekey()
	return ike.tm.Initiate()
}

// CanReauthenticate reports whether we could reauthenticate as responder.
func (ike *IKESA) CanReauthenticate() bool {
	return len(ike.otherVIPs) == 0 && !ike.Has(CondXAuthAuthenticated) && !ike.Has(CondEAPAuthenticated)
}

// Reauth starts a reauthentication.
func (ike *IKESA) Reauth() Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	if ike.state == IKEConnecting {
		ike.Log(bus.IKE, bus.Audit, "reinitiating IKE_SA %s[%d]", ike.Name(), ike.uniqueID)
		ike.Reset(true)
		return ike.tm.Initiate()
	}
	if !ike.Has(CondOriginalInitiator) && !ike.CanReauthenticate() {
		ike.Log(bus.IKE, bus.Control, "initiator did not reauthenticate as requested, IKE_SA %s[%d] will timeout in %s",
			ike.Name(), ike.uniqueID, FormatDuration(ike.stats[StatDelete].Sub(ike.env.Clock.Now())))
		return Failed
	}
	ike.Log(bus.IKE, bus.Audit, "reauthenticating IKE_SA %s[%d]", ike.Name(), ike.uniqueID)
	ike.SetCondition(CondReauthenticating, true)
	ike.tm.QueueIKEReauth()
	return ike.tm.Initiate()
}

// RekeyChild queues a CHILD_SA rekeying.
func (ike *IKESA) RekeyChild(proto uint8, spi uint32) Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	ike.tm.QueueChildRekey(proto, spi)
	return ike.tm.Initiate()
}

// DeleteChild queues a CHILD_SA delete.
func (ike *IKESA) DeleteChild(proto uint8, spi uint32, expired bool) Status {
	if ike.state == IKEPassive {
		return InvalidState
	}
	ike.tm.QueueChildDelete(proto, spi, expired)
	return ike.tm.Initiate()
}

// Reset starts over (IKE_SA_INIT retries): a new initiator SPI if asked,
// state CREATED, fresh keying material, and the IKE tasks queued again.
func (ike *IKESA) Reset(newSPI bool) {
	if newSPI {
		ike.SetInitiatorSPI(ike.env.Manager.NewSPI())
		// starting from scratch goes to the original gateway again
		ike.redirectedFrom, ike.remoteHost = netip.AddrPort{}, netip.AddrPort{}
	}
	if ike.id.Initiator {
		ike.SetResponderSPI(0)
	}
	ike.SetState(IKECreated)
	ike.FlushAuthCfgs()
	ike.keymat = NewKeymat(ike.env, ike.id.Initiator)
	ike.tm.Reset(0, 0)
	ike.tm.QueueIKE()
}

// GenerateMessage encodes m for this SA (encrypted once keys exist) and
// returns the packets to send, fragmented when the peer supports IKE
// fragmentation and the config asks for it (RFC 7383).
func (ike *IKESA) GenerateMessage(m *encoding.Message, allowFragments bool) ([]Packet, error) {
	ike.stats[StatOutbound] = ike.env.Clock.Now()
	m.SPIi, m.SPIr = ike.id.SPIi, ike.id.SPIr
	m.Initiator = ike.id.Initiator
	ike.env.Events.Message(ike, m, false, true)
	useFrags := false
	if allowFragments && ike.ikeCfg != nil && m.Exchange != encoding.ExchangeIKESAInit {
		switch ike.ikeCfg.Fragmentation {
		case config.FragmentationForce:
			useFrags = true
		case config.FragmentationYes:
			useFrags = ike.Supports(ExtIKEFragmentation)
		}
	}
	c := ike.keymat.Cipher(true)
	var datas [][]byte
	if useFrags && c != nil {
		frags, err := m.EncodeFragments(c, ike.env.Rand, ike.fragmentPayloadSize())
		if err != nil {
			return nil, err
		}
		// Encoding put the payloads in charon's order: log them now.
		ike.Log(bus.ENC, bus.Control, "generating %s", m)
		if len(frags) > 1 {
			ike.Log(bus.ENC, bus.Control, "splitting IKE message (%d bytes) into %d fragments", m.Size(), len(frags))
			for i := range frags {
				ike.Log(bus.ENC, bus.Control, "generating %s", m.FragmentSummary(i+1, len(frags)))
			}
		}
		datas = frags
	} else {
		b, err := m.Encode(c, ike.env.Rand)
		if err != nil {
			return nil, err
		}
		ike.Log(bus.ENC, bus.Control, "generating %s", m)
		ike.lastGenerated = b
		datas = [][]byte{b}
	}
	pkts := make([]Packet, len(datas))
	for i, d := range datas {
		pkts[i] = Packet{Data: d, Src: ike.myHost, Dst: ike.otherHost}
	}
	return pkts, nil
}

// fragmentPayloadSize turns charon.fragment_size (an IP datagram size)
// into the room left for an IKE message.
func (ike *IKESA) fragmentPayloadSize() int {
	return encoding.FragmentSize(ike.fragmentSize, !ike.otherHost.Addr().Is4(),
		ike.myHost.Port() != IKEPort && ike.otherHost.Port() != IKEPort)
}

// Send sends packets, logging each as charon's sender does.
func (ike *IKESA) Send(pkts []Packet) {
	for _, p := range pkts {
		ike.Log(bus.NET, bus.Control, "sending packet: from %s to %s (%d bytes)", FormatHost(p.Src), FormatHost(p.Dst), len(p.Data))
		ike.env.Sender.Send(p)
	}
}

// Reestablish recreates the IKE_SA and its CHILD_SAs after a failure, as
// the configured actions say (dpdaction=restart, closeaction=restart,
// keyingtries). It returns whether something was reestablished.
func (ike *IKESA) Reestablish() bool {
	return ike.env.Manager.reestablish(ike)
}

// InheritPre copies config, hosts, extensions and conditions from the SA
// being rekeyed before the exchange completes.
func (ike *IKESA) InheritPre(other *IKESA) {
	ike.SetPeerCfg(other.peerCfg)
	ike.ikeCfg = other.ikeCfg
	ike.myHost, ike.otherHost = other.myHost, other.otherHost
	ike.extensions = other.extensions
	ike.conditions = other.conditions &^ (CondStale | CondReauthenticating)
}

// InheritPost takes over everything of the rekeyed SA once the new one is
// up: hosts, ids, virtual IPs, authentication, conditions, CHILD_SAs and
// queued tasks.
func (ike *IKESA) InheritPost(other *IKESA) {
	ike.myHost, ike.otherHost = other.myHost, other.otherHost
	ike.myID, ike.otherID = other.myID, other.otherID
	ike.ifIDIn, ike.ifIDOut = other.ifIDIn, other.ifIDOut
	ike.myVIPs = append(ike.myVIPs, other.myVIPs...)
	ike.otherVIPs = append(ike.otherVIPs, other.otherVIPs...)
	other.myVIPs, other.otherVIPs = nil, nil
	ike.attrs = append(ike.attrs, other.attrs...)
	other.attrs = nil
	if other.peerAddresses != nil {
		ike.peerAddresses = other.peerAddresses
		other.peerAddresses = nil
	}
	ike.myAuths = append(ike.myAuths, other.myAuths...)
	ike.otherAuths = append(ike.otherAuths, other.otherAuths...)
	ike.conditions = other.conditions
	if ike.Has(CondNATHere) {
		ike.SendKeepalive(false)
	}
	for _, c := range other.children {
		ike.env.Children.Remove(c)
		ike.AddChild(c)
	}
	other.children = nil
	ike.tm.AdoptTasks(other.tm)
	if !other.stats[StatReauth].IsZero() {
		now := ike.env.Clock.Now()
		ike.stats[StatReauth] = other.stats[StatReauth]
		reauth := max(0, ike.stats[StatReauth].Sub(now))
		del := reauth + time.Duration(ike.peerCfg.OverTime)*time.Second
		ike.stats[StatDelete] = now.Add(del)
		ike.Log(bus.IKE, bus.Control, "rescheduling reauthentication in %ds after rekeying, lifetime reduced to %ds",
			int(reauth/time.Second), int(del/time.Second))
		ike.scheduleRekey(true, reauth)
		ike.env.Manager.ScheduleIKE(ike.id, del, "delete_ike_sa", func(x *IKESA) Status { return x.deleteJob(true) })
	}
}

// Destroy tears the SA down: tasks flushed, CHILD_SAs removed from the
// kernel, virtual IPs released. The manager calls it on checkin-and-destroy.
func (ike *IKESA) Destroy() {
	ike.SetState(IKEDestroying)
	if ike.tm != nil {
		ike.tm.Flush()
	}
	// attributes first, while the SA is whole; CHILD_SAs before virtual
	// IPs, so that their routes go before the addresses they use
	ike.releaseAttributes()
	// Last to first, as 5.9.8 (the first CHILD_SA's reqid then comes last
	// in the released list); first to last with charon.keep_reqids, as
	// 5.9.12.
	for len(ike.children) > 0 {
		i := len(ike.children) - 1
		if ike.env.Settings.KeepReqIDs {
			i = 0
		}
		c := ike.children[i]
		ike.children = slices.Delete(ike.children, i, i+1)
		ike.env.Children.Remove(c)
		c.Destroy()
	}
	ike.releaseVIPs()
	ike.keymat.Wipe()
}
