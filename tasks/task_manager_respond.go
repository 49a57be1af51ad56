package tasks

import (
	"net/netip"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// collider is implemented by the rekey tasks, which take over a colliding
// passive task (handle_collisions).
type collider interface {
	Collide(other sa.Task) bool
}

// handleCollisions offers a finished passive rekey or delete task to an
// active rekey task of the same kind; true if it took it.
func (tm *TaskManager) handleCollisions(t sa.Task) bool {
	typ := t.Type()
	if typ != sa.TaskIKERekey && typ != sa.TaskChildRekey && typ != sa.TaskChildDelete && typ != sa.TaskIKEDelete {
		return false
	}
	for _, a := range tm.activeTasks {
		switch a.Type() {
		case sa.TaskIKERekey:
			if typ == sa.TaskIKERekey || typ == sa.TaskIKEDelete {
				if c, ok := a.(collider); ok {
					return c.Collide(t)
				}
				return false
			}
		case sa.TaskChildRekey:
			if typ == sa.TaskChildRekey || typ == sa.TaskChildDelete {
				if c, ok := a.(collider); ok {
					return c.Collide(t)
				}
				return false
			}
		}
	}
	return false
}

// buildResponse builds and sends the response from the passive tasks.
func (tm *TaskManager) buildResponse(req *encoding.Message, src, dst netip.AddrPort) sa.Status {
	m := encoding.NewMessage(req.Exchange, tm.responding.mid)
	m.Response = true
	m.KeepOrder = false
	del, hook, midSync := false, false, false
	for i := 0; i < len(tm.passiveTasks); {
		t := tm.passiveTasks[i]
		if t.Type() == sa.TaskIKEMIDSync {
			midSync = true
		}
		switch t.Build(m) {
		case sa.Success:
			tm.passiveTasks = drop(tm.passiveTasks, i, !tm.handleCollisions(t))
			continue
		case sa.NeedMore:
			if tm.handleCollisions(t) {
				tm.passiveTasks = drop(tm.passiveTasks, i, false)
				continue
			}
		case sa.DestroyMe:
			if tm.handleCollisions(t) {
				tm.passiveTasks = drop(tm.passiveTasks, i, false)
			}
			del = true
		default:
			hook = true
			if tm.handleCollisions(t) {
				tm.passiveTasks = drop(tm.passiveTasks, i, false)
			}
			del = true
		}
		if del {
			break
		}
		i++
	}
	// RFC 7296 §2.6: after a failed IKE_SA_INIT the responder SPI in the
	// response may be 0; charon sends 0.
	var savedSPIr uint64
	restoreSPI := del && req.Exchange == encoding.ExchangeIKESAInit
	if restoreSPI {
		savedSPIr = tm.ike.ID().SPIr
		tm.ike.SetResponderSPI(0)
	}
	pkts, err := tm.ike.GenerateMessage(m, true)
	if restoreSPI {
		tm.ike.SetResponderSPI(savedSPIr)
	}
	ok := err == nil
	if err != nil {
		tm.log(bus.ENC, bus.Control, "generating %s response %d failed: %v", m.Exchange, m.MessageID, err)
	}
	for i := range pkts {
		// Answer along the path the request came in.
		pkts[i].Src, pkts[i].Dst = dst, src
	}
	tm.responding.packets = pkts
	if ok && !del {
		tm.passiveTasks, ok = postBuild(tm.passiveTasks, m)
	}
	if !ok {
		tm.ike.Env().Events.IKEUpdown(tm.ike, false)
		return sa.DestroyMe
	}
	tm.sendPackets(pkts, netip.AddrPort{}, netip.AddrPort{})
	if del {
		if hook {
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
		}
		return sa.DestroyMe
	}
	if midSync {
		// a retransmitted request with the old ID gets no copy of this,
		// and the expected ID is the one the task set
		tm.responding.packets = nil
		return sa.NeedMore
	}
	return sa.Success
}

// passiveFor creates the responder tasks for a request.
func (tm *TaskManager) passiveFor(m *encoding.Message) sa.Status {
	ike := tm.ike
	add := func(ts ...sa.Task) { tm.passiveTasks = append(tm.passiveTasks, ts...) }
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		add(NewIKEVendor(ike, false), NewIKEInit(ike, false, nil), NewIKENATD(ike, false),
			NewIKECertPre(ike, false), NewIKEAuth(ike, false), NewIKECertPost(ike, false),
			NewIKEConfig(ike, false), NewIKEMOBIKE(ike, false), NewIKEEstablish(ike, false), NewIKEAuthLifetime(ike, false),
			NewChildCreate(ike, nil, false, nil))
	case encoding.ExchangeCreateChildSA:
		if s := ike.State(); s == sa.IKECreated || s == sa.IKEConnecting {
			tm.log(bus.IKE, bus.Control, "received CREATE_CHILD_SA request for unestablished IKE_SA, rejected")
			return sa.Failed
		}
		rekeySA, ts := false, false
		for _, p := range m.Payloads {
			switch x := p.(type) {
			case *encoding.Notify:
				if x.NotifyType == encoding.NotifyRekeySA && (x.Protocol == encoding.ProtocolAH || x.Protocol == encoding.ProtocolESP) {
					rekeySA = true
				}
			case *encoding.TS:
				ts = true
			}
		}
		switch {
		case ts && rekeySA:
			add(NewChildRekey(ike, 0, 0))
		case ts:
			add(NewChildCreate(ike, nil, false, nil))
		default:
			add(NewIKERekey(ike, false))
		}
	case encoding.ExchangeInformational:
		add(tm.informationalTask(m))
	}
	return sa.Success
}

// processRequest handles a request and sends the response.
func (tm *TaskManager) processRequest(m *encoding.Message, src, dst netip.AddrPort) sa.Status {
	if len(tm.passiveTasks) == 0 {
		if s := tm.passiveFor(m); s != sa.Success {
			return s
		}
	}
	for _, t := range tm.passiveTasks {
		pp, ok := t.(sa.PreProcessor)
		if !ok {
			continue
		}
		switch pp.PreProcess(m) {
		case sa.Success:
		case sa.DestroyMe:
			return sa.DestroyMe
		default:
			tm.log(bus.IKE, bus.Control, "ignore invalid %s request", m.Exchange)
			switch m.Exchange {
			case encoding.ExchangeIKESAInit:
				return sa.DestroyMe
			case encoding.ExchangeIKEAuth:
			default:
				tm.FlushQueue(sa.QueuePassive)
			}
			return sa.NeedMore
		}
	}
	for i := 0; i < len(tm.passiveTasks); {
		t := tm.passiveTasks[i]
		switch t.Process(m) {
		case sa.Success:
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
			continue
		case sa.NeedMore:
		case sa.DestroyMe:
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
			return sa.DestroyMe
		default:
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
			return sa.DestroyMe
		}
		i++
	}
	var ok bool
	if tm.passiveTasks, ok = postProcess(tm.passiveTasks, m); !ok {
		return sa.DestroyMe
	}
	return tm.buildResponse(m, src, dst)
}

// sendNotifyResponse answers a request with a single notify, outside the
// task flow (parse errors, critical unknown payloads).
func (tm *TaskManager) sendNotifyResponse(req *encoding.Message, t encoding.NotifyType, data []byte, src, dst netip.AddrPort) {
	m := encoding.NewMessage(req.Exchange, req.MessageID)
	m.Response = true
	m.AddNotify(t, data)
	ike := tm.ike
	if ike.MyHost().Addr().IsUnspecified() {
		ike.SetMyHost(dst)
	}
	if ike.OtherHost().Addr().IsUnspecified() {
		ike.SetOtherHost(src)
	}
	pkts, err := ike.GenerateMessage(m, false)
	if err != nil {
		return
	}
	for i := range pkts {
		pkts[i].Src, pkts[i].Dst = dst, src
	}
	ike.Send(pkts)
}

func (tm *TaskManager) sendInvalidSyntax(m *encoding.Message, src, dst netip.AddrPort) sa.Status {
	tm.sendNotifyResponse(m, encoding.NotifyInvalidSyntax, nil, src, dst)
	tm.responding.mid++
	if m.Exchange == encoding.ExchangeIKESAInit {
		return sa.Failed
	}
	return sa.DestroyMe
}

// rejectRequest reports requests that are not acceptable in the SA's
// state.
func (tm *TaskManager) rejectRequest(m *encoding.Message) bool {
	s := tm.ike.State()
	reject := false
	switch m.Exchange {
	case encoding.ExchangeIKESAInit:
		reject = s != sa.IKECreated
	case encoding.ExchangeIKEAuth:
		reject = s != sa.IKEConnecting
	}
	if !reject {
		switch s {
		case sa.IKERekeyed:
			reject = m.Exchange != encoding.ExchangeInformational
		case sa.IKECreated, sa.IKEConnecting:
			reject = tm.ike.ID().Initiator
		}
	}
	if reject {
		tm.log(bus.IKE, bus.Control, "ignoring %s in IKE_SA state %s", m.Exchange, s)
	}
	return reject
}

// informationalTask creates the responder task for an INFORMATIONAL
// request from its first notify or delete that names one; a liveness
// check otherwise.
func (tm *TaskManager) informationalTask(m *encoding.Message) sa.Task {
	ike := tm.ike
	var task sa.Task
scan:
	for _, p := range m.Payloads {
		switch x := p.(type) {
		case *encoding.Notify:
			if ike.State() == sa.IKERekeyed {
				tm.log(bus.IKE, bus.Control, "received unexpected notify %s for rekeyed IKE_SA, ignored", x.NotifyType)
				continue
			}
			switch x.NotifyType {
			case encoding.NotifyAdditionalIP4Address, encoding.NotifyAdditionalIP6Address,
				encoding.NotifyNoAdditionalAddresses, encoding.NotifyUpdateSAAddresses,
				encoding.NotifyNoNATsAllowed, encoding.NotifyUnacceptableAddresses,
				encoding.NotifyUnexpectedNATDetected, encoding.NotifyCookie2,
				encoding.NotifyNATDetectionSourceIP, encoding.NotifyNATDetectionDestinationIP:
				task = NewIKEMOBIKE(ike, false)
			case encoding.NotifyAuthLifetime:
				task = NewIKEAuthLifetime(ike, false)
			case encoding.NotifyRedirect:
				task = NewIKERedirect(ike, nil)
			case encoding.NotifyIKEv2MessageIDSync:
				task = NewIKEMIDSync(ike, false)
			case encoding.NotifyAuthenticationFailed:
				// The initiator failed to authenticate us: ike_delete
				// handles it and runs the hooks.
				task = NewIKEDelete(ike, false)
			}
		case *encoding.Delete:
			if x.Protocol == encoding.ProtocolIKE {
				task = NewIKEDelete(ike, false)
			} else {
				task = NewChildDelete(ike, 0, 0, false)
			}
		}
		if task != nil {
			break scan
		}
	}
	if task == nil {
		task = NewIKEDPD(ike, false)
	}
	return task
}
