package tasks

import (
	"crypto/sha1"
	"errors"
	"math"
	"net/netip"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// Settings of the task manager that strongSwan also hard-codes.
const (
	// retransmitJitterMax caps charon.retransmit_jitter (percent).
	retransmitJitterMax = 20
	// initiateExchangeNone marks "no exchange in flight".
	exchangeNone = encoding.ExchangeUndefined
)

// queued is a task waiting for its turn, not before a given time.
type queued struct {
	task sa.Task
	at   time.Time
}

// TaskManager is the IKEv2 task manager, task_manager_v2.c: three task
// lists, one exchange in flight in each direction (window size 1), and
// retransmission of our requests and of our last response.
type TaskManager struct {
	ike *sa.IKESA

	queuedTasks  []queued
	activeTasks  []sa.Task
	passiveTasks []sa.Task

	initiating struct {
		mid           uint32
		retransmitted uint32
		sent          bool // any retransmit sent (for the cleared alert)
		packets       []sa.Packet
		exchange      encoding.ExchangeType
		defrag        *encoding.Reassembler
	}
	responding struct {
		mid      uint32
		defrag   *encoding.Reassembler
		hash     [sha1.Size]byte
		prevHash [sha1.Size]byte
		packets  []sa.Packet
	}
	// reset is set when Reset is called while processing, so that
	// processing starts over.
	reset bool
}

// New creates the task manager of ike. Install it with
// Env.NewTaskManager = tasks.New.
func New(ike *sa.IKESA) sa.TaskManager {
	tm := &TaskManager{ike: ike}
	tm.initiating.exchange = exchangeNone
	return tm
}

func (tm *TaskManager) settings() *sa.Settings { return &tm.ike.Env().Settings }

func (tm *TaskManager) log(g bus.Group, l bus.Level, format string, args ...any) {
	tm.ike.Log(g, l, format, args...)
}

// RetransmitTimeout is the delay before retransmit number try (0 for the
// original send) as task_manager_v2.c computes it: timeout * base^try in
// milliseconds, capped by limit, reduced by a random part of jitter
// percent. rnd(n) returns a uniform value in [0, n).
func RetransmitTimeout(try uint32, s *sa.Settings, rnd func(n uint64) uint64) time.Duration {
	timeout := uint64(math.MaxUint32)
	triesMax := uint32(0)
	if s.RetransmitBase > 1 {
		triesMax = uint32(math.Log(float64(math.MaxUint32)/(1000.0*s.RetransmitTimeout)) / math.Log(s.RetransmitBase))
	}
	if triesMax == 0 || try <= triesMax {
		timeout = uint64(uint32(s.RetransmitTimeout * 1000.0 * math.Pow(s.RetransmitBase, float64(try))))
	}
	if s.RetransmitLimit != 0 {
		timeout = min(timeout, uint64(s.RetransmitLimit)*1000)
	}
	if j := min(s.RetransmitJitter, retransmitJitterMax); j != 0 && rnd != nil {
		// charon: timeout -= max_jitter * (random() / (RAND_MAX + 1.0)),
		// in floating point and truncated back to milliseconds.
		maxJitter := float64(timeout) / 100.0 * float64(j)
		frac := float64(rnd(1<<32)) / (1 << 32)
		timeout = uint64(float64(timeout) - maxJitter*frac)
	}
	return time.Duration(timeout) * time.Millisecond
}

// Retransmit implements sa.TaskManager: resend the request with id mid
// and arm the next timer, or give up after retransmit_tries.
func (tm *TaskManager) Retransmit(mid uint32) sa.Status {
	if mid != tm.initiating.mid || len(tm.initiating.packets) == 0 {
		return sa.InvalidState
	}
	s := tm.settings()
	if tm.initiating.retransmitted > s.RetransmitTries {
		tm.log(bus.IKE, bus.Control, "giving up after %d retransmits", tm.initiating.retransmitted-1)
		tm.ike.Env().Events.Alert(tm.ike, sa.AlertRetransmitSendTimeout)
		return sa.DestroyMe
	}
	timeout := RetransmitTimeout(tm.initiating.retransmitted, s, tm.ike.Env().RandUint64)
	if tm.initiating.retransmitted > 0 {
		tm.log(bus.IKE, bus.Control, "retransmit %d of request with message ID %d", tm.initiating.retransmitted, mid)
		tm.ike.Env().Events.Alert(tm.ike, sa.AlertRetransmitSend, tm.initiating.retransmitted)
		tm.initiating.sent = true
	}
	tm.sendPackets(tm.initiating.packets, tm.ike.MyHost(), tm.ike.OtherHost())
	tm.initiating.retransmitted++
	id := tm.ike.ID()
	tm.ike.Env().Manager.ScheduleIKE(id, timeout, "retransmit", func(ike *sa.IKESA) sa.Status {
		return ike.Retransmit(mid)
	})
	return sa.Success
}

// sendPackets sends copies of packets with the given addresses (a
// retransmission goes to the SA's current hosts).
func (tm *TaskManager) sendPackets(pkts []sa.Packet, src, dst netip.AddrPort) {
	out := make([]sa.Packet, len(pkts))
	for i, p := range pkts {
		p.Data = slices.Clone(p.Data)
		if src.IsValid() {
			p.Src = src
		}
		if dst.IsValid() {
			p.Dst = dst
		}
		out[i] = p
	}
	tm.ike.Send(out)
}

// activate moves a queued task of type t to the active list if its time
// has come.
func (tm *TaskManager) activate(t sa.TaskType) bool {
	now := tm.ike.Env().Clock.Now()
	for i, q := range tm.queuedTasks {
		if q.task.Type() == t && !now.Before(q.at) {
			tm.log(bus.IKE, bus.Diag, "  activating %s task", t)
			tm.queuedTasks = slices.Delete(tm.queuedTasks, i, i+1)
			tm.activeTasks = append(tm.activeTasks, q.task)
			return true
		}
	}
	return false
}

// establishedOrder is the order in which an established IKE_SA starts
// exchanges, one task type at a time, with the exchange each uses.
var establishedOrder = []struct {
	t  sa.TaskType
	ex encoding.ExchangeType
}{
	{sa.TaskIKEMOBIKE, encoding.ExchangeInformational},
	{sa.TaskIKEDelete, encoding.ExchangeInformational},
	{sa.TaskIKERedirect, encoding.ExchangeInformational},
	{sa.TaskChildDelete, encoding.ExchangeInformational},
	{sa.TaskIKEReauth, encoding.ExchangeInformational},
	{sa.TaskChildCreate, encoding.ExchangeCreateChildSA},
	{sa.TaskChildRekey, encoding.ExchangeCreateChildSA},
	{sa.TaskIKERekey, encoding.ExchangeCreateChildSA},
	{sa.TaskIKEDPD, encoding.ExchangeInformational},
	{sa.TaskIKEAuthLifetime, encoding.ExchangeInformational},
	{sa.TaskIKEReauthComplete, encoding.ExchangeInformational},
	{sa.TaskIKEVerifyPeerCert, encoding.ExchangeInformational},
}

// keyDeriver is implemented by ike_init, whose keys may be derived late.
type keyDeriver interface {
	DeriveKeys() sa.Status
}

// deriveKeys lets a finished IKE_INIT task derive keys and leave.
func deriveKeys(list *[]sa.Task) bool {
	for i, t := range *list {
		if t.Type() != sa.TaskIKEInit {
			continue
		}
		d, ok := t.(keyDeriver)
		if !ok {
			return true
		}
		switch d.DeriveKeys() {
		case sa.Success:
			*list = slices.Delete(*list, i, i+1)
		case sa.NeedMore:
		default:
			return false
		}
		return true
	}
	return true
}

// Initiate implements sa.TaskManager.
func (tm *TaskManager) Initiate() sa.Status {
	if tm.initiating.exchange != exchangeNone {
		tm.log(bus.IKE, bus.Diag, "delaying task initiation, %s exchange in progress", tm.initiating.exchange)
		return sa.Success
	}
	var exchange encoding.ExchangeType
	if len(tm.activeTasks) == 0 {
		tm.log(bus.IKE, bus.Diag, "activating new tasks")
		switch tm.ike.State() {
		case sa.IKECreated:
			tm.activate(sa.TaskIKEVendor)
			if tm.activate(sa.TaskIKEInit) {
				tm.initiating.mid = 0
				exchange = encoding.ExchangeIKESAInit
				for _, t := range []sa.TaskType{sa.TaskIKENATD, sa.TaskIKECertPre, sa.TaskIKEAuth,
					sa.TaskIKECertPost, sa.TaskIKEConfig, sa.TaskIKEAuthLifetime, sa.TaskIKEMOBIKE,
					sa.TaskIKEEstablish, sa.TaskChildCreate} {
					tm.activate(t)
				}
			}
		case sa.IKEEstablished:
			for _, o := range establishedOrder {
				if tm.activate(o.t) {
					exchange = o.ex
					break
				}
			}
			if exchange == 0 && tm.activate(sa.TaskIKEDelete) {
				exchange = encoding.ExchangeInformational
			}
		case sa.IKERekeying, sa.IKERekeyed:
			if tm.activate(sa.TaskIKEDelete) {
				exchange = encoding.ExchangeInformational
			}
		}
	} else {
		if !deriveKeys(&tm.activeTasks) {
			return sa.DestroyMe
		}
		tm.log(bus.IKE, bus.Diag, "reinitiating already active tasks")
	outer:
		for _, t := range tm.activeTasks {
			tm.log(bus.IKE, bus.Diag, "  %s task", t.Type())
			switch t.Type() {
			case sa.TaskIKEInit:
				exchange = encoding.ExchangeIKESAInit
				break outer
			case sa.TaskIKEAuth:
				exchange = encoding.ExchangeIKEAuth
				break outer
			case sa.TaskChildCreate, sa.TaskChildRekey, sa.TaskIKERekey:
				exchange = encoding.ExchangeCreateChildSA
				break outer
			case sa.TaskIKEMOBIKE:
				exchange = encoding.ExchangeInformational
				break outer
			}
		}
	}
	if exchange == 0 {
		tm.log(bus.IKE, bus.Diag, "nothing to initiate")
		return sa.Success
	}
	m := encoding.NewMessage(exchange, tm.initiating.mid)
	m.KeepOrder = false
	tm.initiating.exchange = exchange
	tm.initiating.retransmitted = 0
	tm.initiating.sent = false
	for i := 0; i < len(tm.activeTasks); {
		t := tm.activeTasks[i]
		switch t.Build(m) {
		case sa.Success:
			tm.activeTasks = drop(tm.activeTasks, i, true)
			continue
		case sa.NeedMore:
		case sa.DestroyMe:
			tm.Flush()
			return sa.DestroyMe
		default:
			tm.initiating.exchange = exchangeNone
			if s := tm.ike.State(); s != sa.IKEConnecting && s != sa.IKERekeyed {
				tm.ike.Env().Events.IKEUpdown(tm.ike, false)
			}
			tm.Flush()
			return sa.DestroyMe
		}
		i++
	}
	// A task may have changed the exchange (e.g. to undefined to abort).
	tm.initiating.exchange = m.Exchange
	if m.Exchange == exchangeNone {
		return tm.Initiate()
	}
	pkts, err := tm.ike.GenerateMessage(m, true)
	ok := err == nil
	if err != nil {
		tm.log(bus.ENC, bus.Control, "generating %s request %d failed: %v", m.Exchange, m.MessageID, err)
	} else {
		tm.initiating.packets = pkts
		for i := 0; i < len(tm.activeTasks); {
			pb, has := tm.activeTasks[i].(sa.PostBuilder)
			if !has {
				i++
				continue
			}
			switch pb.PostBuild(m) {
			case sa.Success:
				tm.activeTasks = drop(tm.activeTasks, i, true)
				continue
			case sa.NeedMore:
			default:
				ok = false
			}
			i++
		}
	}
	if !ok {
		tm.Flush()
		if s := tm.ike.State(); s != sa.IKEConnecting && s != sa.IKERekeyed {
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
		}
		return sa.DestroyMe
	}
	return tm.Retransmit(tm.initiating.mid)
}

// processResponse handles a response to our request.
func (tm *TaskManager) processResponse(m *encoding.Message) sa.Status {
	if m.Exchange != tm.initiating.exchange {
		tm.log(bus.IKE, bus.Control, "received %s response, but expected %s", m.Exchange, tm.initiating.exchange)
		tm.ike.Env().Events.IKEUpdown(tm.ike, false)
		return sa.DestroyMe
	}
	if m.Exchange == encoding.ExchangeCreateChildSA || m.Exchange == encoding.ExchangeInformational {
		if m.Notify(encoding.NotifyInvalidSyntax) != nil {
			tm.log(bus.IKE, bus.Control, "received %s notify error, destroying IKE_SA", encoding.NotifyInvalidSyntax)
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
			return sa.DestroyMe
		}
	}
	for _, t := range tm.activeTasks {
		pp, ok := t.(sa.PreProcessor)
		if !ok {
			continue
		}
		switch pp.PreProcess(m) {
		case sa.Success:
		case sa.DestroyMe:
			return sa.DestroyMe
		default:
			tm.log(bus.IKE, bus.Control, "ignore invalid %s response", m.Exchange)
			return sa.Success
		}
	}
	if tm.initiating.sent {
		tm.ike.Env().Events.Alert(tm.ike, sa.AlertRetransmitSendCleared)
	}
	tm.reset = false
	for i := 0; i < len(tm.activeTasks); {
		t := tm.activeTasks[i]
		switch t.Process(m) {
		case sa.Success:
			tm.activeTasks = drop(tm.activeTasks, i, true)
			i--
		case sa.NeedMore:
		case sa.DestroyMe:
			tm.activeTasks = drop(tm.activeTasks, i, true)
			return sa.DestroyMe
		default:
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
			tm.activeTasks = drop(tm.activeTasks, i, true)
			return sa.DestroyMe
		}
		if tm.reset {
			tm.reset = false
			return tm.Initiate()
		}
		i++
	}
	for i := 0; i < len(tm.activeTasks); {
		pp, ok := tm.activeTasks[i].(sa.PostProcessor)
		if !ok {
			i++
			continue
		}
		switch pp.PostProcess(m) {
		case sa.Success:
			tm.activeTasks = drop(tm.activeTasks, i, true)
			continue
		case sa.NeedMore:
		default:
			tm.activeTasks = drop(tm.activeTasks, i, true)
			return sa.DestroyMe
		}
		i++
	}
	tm.initiating.mid++
	tm.initiating.exchange = exchangeNone
	tm.initiating.packets = nil
	return tm.Initiate()
}

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
	del, hook := false, false
	for i := 0; i < len(tm.passiveTasks); {
		t := tm.passiveTasks[i]
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
		for i := 0; i < len(tm.passiveTasks); {
			pb, has := tm.passiveTasks[i].(sa.PostBuilder)
			if !has {
				i++
				continue
			}
			switch pb.PostBuild(m) {
			case sa.Success:
				tm.passiveTasks = drop(tm.passiveTasks, i, true)
				continue
			case sa.NeedMore:
			default:
				ok = false
			}
			i++
		}
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
			NewIKEConfig(ike, false), NewIKEEstablish(ike, false), NewIKEAuthLifetime(ike, false),
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
				case encoding.NotifyAuthLifetime:
					task = NewIKEAuthLifetime(ike, false)
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
		add(task)
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
	for i := 0; i < len(tm.passiveTasks); {
		pp, ok := tm.passiveTasks[i].(sa.PostProcessor)
		if !ok {
			i++
			continue
		}
		switch pp.PostProcess(m) {
		case sa.Success:
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
			continue
		case sa.NeedMore:
		default:
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
			return sa.DestroyMe
		}
		i++
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

// parseBody decrypts and verifies a message; the status says what to do
// when that fails, as task_manager_v2.c parse_message.
func (tm *TaskManager) parseBody(m *encoding.Message, src, dst netip.AddrPort) sa.Status {
	err := tm.ike.DecodeError()
	if err != nil {
		// The unprotected part was already bad.
	} else if !deriveKeys(&tm.passiveTasks) {
		err = errNoKeys
	} else if m.Encrypted() {
		c := tm.ike.Keymat().Cipher(false)
		if c == nil {
			err = errNoKeys
		} else {
			err = m.Decrypt(c)
		}
	}
	var critical *encoding.UnsupportedCriticalPayloadError
	if err == nil {
		for _, p := range m.Payloads {
			if u, ok := p.(*encoding.Unknown); ok && u.Critical {
				critical = &encoding.UnsupportedCriticalPayloadError{Type: u.PayloadType}
				err = critical
				break
			}
		}
	}
	if err == nil {
		return sa.Success
	}
	status := sa.Failed
	req := m.Request()
	switch {
	case errors.As(err, &critical):
		tm.log(bus.ENC, bus.Control, "payload type %s is not supported, but payload is critical!", critical.Type)
		tm.log(bus.IKE, bus.Control, "critical unknown payloads found")
		if req {
			tm.sendNotifyResponse(m, encoding.NotifyUnsupportedCriticalPayload, []byte{byte(critical.Type)}, src, dst)
			tm.responding.mid++
		}
	case errors.Is(err, errNoKeys):
		tm.log(bus.IKE, bus.Control, "found encrypted message, but no keys available")
		status = sa.DestroyMe
	case errors.Is(err, encoding.ErrIntegrity), errors.Is(err, encoding.ErrNotEncrypted):
		tm.log(bus.IKE, bus.Control, "integrity check failed")
	case errors.Is(err, encoding.ErrInvalid):
		tm.log(bus.ENC, bus.Control, "%v", err)
		tm.log(bus.IKE, bus.Control, "message verification failed")
		if req {
			status = tm.sendInvalidSyntax(m, src, dst)
		}
	default:
		tm.log(bus.ENC, bus.Control, "%v", err)
		tm.log(bus.IKE, bus.Control, "message parsing failed")
		if req {
			status = tm.sendInvalidSyntax(m, src, dst)
		}
	}
	kind := "response"
	if req {
		kind = "request"
	}
	tm.log(bus.IKE, bus.Control, "%s %s with message ID %d processing failed", m.Exchange, kind, m.MessageID)
	tm.ike.Env().Events.Alert(tm.ike, sa.AlertParseErrorBody, m, err)
	switch tm.ike.State() {
	case sa.IKECreated:
		status = sa.DestroyMe
	case sa.IKEConnecting, sa.IKERekeyed:
	default:
		if status == sa.DestroyMe {
			tm.ike.Env().Events.IKEUpdown(tm.ike, false)
		}
	}
	return status
}

var errNoKeys = errors.New("no keys")

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

// handleFragment feeds a fragment to the reassembler; for a complete
// message it processes the reassembled message.
func (tm *TaskManager) handleFragment(defrag **encoding.Reassembler, m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	f := m.Fragment()
	if f == nil {
		return sa.Success
	}
	if *defrag == nil {
		*defrag = encoding.NewReassembler(0)
	}
	// To detect retransmissions only the first fragment is hashed.
	if f.Number == 1 && m.Request() && raw != nil {
		tm.responding.hash = sha1.Sum(raw)
	}
	full, err := (*defrag).Add(m)
	switch {
	case errors.Is(err, encoding.ErrFragmentDuplicate):
		// The initiator retransmits all fragments when one got lost.
		tm.log(bus.ENC, bus.Control, "received duplicate fragment #%d", f.Number)
		return sa.NeedMore
	case errors.Is(err, encoding.ErrFragmentStale):
		// charon keeps collecting; ignoring it keeps the newer set intact.
		tm.log(bus.ENC, bus.Diag, "received fragment #%d of %d of an older fragmentation, ignored", f.Number, f.Total)
		return sa.NeedMore
	case err != nil:
		tm.log(bus.ENC, bus.Control, "%v", err)
		*defrag = nil
		return sa.Failed
	case full == nil:
		tm.log(bus.ENC, bus.Control, "received fragment #%d of %d, waiting for complete IKE message", f.Number, f.Total)
		return sa.NeedMore
	}
	*defrag = nil
	tm.log(bus.ENC, bus.Control, "received fragment #%d of %d, reassembled fragmented IKE message (%d bytes)",
		f.Number, f.Total, full.Size())
	status := tm.process(full, nil, src, dst)
	if status == sa.Success {
		status = sa.NeedMore // the last fragment itself needs no more work
	}
	return status
}

// isRetransmit classifies a request by message id.
func (tm *TaskManager) isRetransmit(m *encoding.Message, raw []byte) sa.Status {
	mid := m.MessageID
	if mid == tm.responding.mid {
		return sa.NeedMore
	}
	if mid == tm.responding.mid-1 && len(tm.responding.packets) > 0 {
		if raw != nil && sha1.Sum(raw) == tm.responding.prevHash {
			return sa.AlreadyDone
		}
	}
	return sa.InvalidState
}

// ProcessMessage implements sa.TaskManager: raw is the datagram (for
// retransmission detection), src and dst its addresses.
func (tm *TaskManager) ProcessMessage(m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	return tm.process(m, raw, src, dst)
}

func (tm *TaskManager) process(m *encoding.Message, raw []byte, src, dst netip.AddrPort) sa.Status {
	ike := tm.ike
	ike.SetMessageAddrs(src, dst)
	ike.SetMessageRaw(raw)
	mid := m.MessageID
	var expected *uint32
	status := sa.Success
	if m.Request() {
		switch tm.isRetransmit(m, raw) {
		case sa.AlreadyDone:
			tm.log(bus.IKE, bus.Control, "received retransmit of request with ID %d, retransmitting response", mid)
			ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
			ike.Env().Events.Alert(ike, sa.AlertRetransmitReceive, m)
			tm.sendPackets(tm.responding.packets, dst, src)
			return sa.Success
		case sa.InvalidState:
			expected = &tm.responding.mid
		case sa.NeedMore:
			status = tm.parseBody(m, src, dst)
		}
	} else {
		if mid == tm.initiating.mid {
			status = tm.parseBody(m, src, dst)
		} else {
			expected = &tm.initiating.mid
		}
	}
	if expected != nil {
		tm.log(bus.IKE, bus.Control, "received message ID %d, expected %d, ignored", mid, *expected)
		return sa.Success
	}
	if status != sa.Success {
		return status
	}
	halfOpenTimer := false
	if ike.IKECfg() == nil {
		cfg, _ := ike.Env().Backends.IKECfg(dst.Addr(), src.Addr(), config.IKEv2)
		if cfg == nil {
			tm.log(bus.IKE, bus.Control, "no IKE config found for %s...%s, sending %s",
				dst.Addr(), src.Addr(), encoding.NotifyNoProposalChosen)
			tm.sendNotifyResponse(m, encoding.NotifyNoProposalChosen, nil, src, dst)
			return sa.DestroyMe
		}
		ike.SetIKECfg(cfg)
		halfOpenTimer = true
	}
	if m.Request() {
		if tm.rejectRequest(m) {
			return sa.Failed
		}
		flags := 0
		if mid == 1 {
			flags = sa.UpdateHostsForceAddrs
		}
		if !ike.Supports(sa.ExtMOBIKE) {
			ike.UpdateHosts(dst, src, flags)
		}
		if s := tm.handleFragment(&tm.responding.defrag, m, raw, src, dst); s != sa.Success {
			if s == sa.NeedMore {
				ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
			}
			return s
		}
		if raw != nil {
			tm.responding.hash = sha1.Sum(raw)
		}
		tm.log(bus.ENC, bus.Control, "parsed %s", m)
		switch tm.processRequest(m, src, dst) {
		case sa.Success:
			ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
			tm.responding.mid++
			tm.responding.prevHash = tm.responding.hash
		case sa.NeedMore:
		default:
			tm.Flush()
			return sa.DestroyMe
		}
	} else {
		if ike.State() == sa.IKECreated || ike.State() == sa.IKEConnecting || m.Exchange != encoding.ExchangeIKESAInit {
			flags := 0
			if mid == 0 {
				flags = sa.UpdateHostsForceLocal
			}
			if !ike.Supports(sa.ExtMOBIKE) {
				ike.UpdateHosts(dst, src, flags)
			}
		}
		if s := tm.handleFragment(&tm.initiating.defrag, m, raw, src, dst); s != sa.Success {
			if s == sa.NeedMore {
				ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
			}
			return s
		}
		tm.log(bus.ENC, bus.Control, "parsed %s", m)
		if tm.processResponse(m) != sa.Success {
			tm.Flush()
			return sa.DestroyMe
		}
		ike.SetStatistic(sa.StatInbound, ike.Env().Clock.Now())
	}
	if halfOpenTimer {
		ike.ScheduleHalfOpenTimeout()
	}
	return sa.Success
}

// QueueTask implements sa.TaskManager.
func (tm *TaskManager) QueueTask(t sa.Task) { tm.QueueTaskDelayed(t, 0) }

// QueueTaskDelayed implements sa.TaskManager.
func (tm *TaskManager) QueueTaskDelayed(t sa.Task, delay uint32) {
	at := tm.ike.Env().Clock.Now()
	if delay > 0 {
		tm.log(bus.IKE, bus.Diag, "queueing %s task (delayed by %ds)", t.Type(), delay)
		at = at.Add(time.Duration(delay) * time.Second)
		tm.ike.Env().Manager.ScheduleIKE(tm.ike.ID(), time.Duration(delay)*time.Second, "initiate_tasks",
			func(ike *sa.IKESA) sa.Status { return ike.TaskManager().Initiate() })
	} else {
		tm.log(bus.IKE, bus.Diag, "queueing %s task", t.Type())
	}
	tm.queuedTasks = append(tm.queuedTasks, queued{task: t, at: at})
}

func (tm *TaskManager) hasQueued(t sa.TaskType) bool {
	for _, q := range tm.queuedTasks {
		if q.task.Type() == t {
			return true
		}
	}
	return false
}

// QueueIKE implements sa.TaskManager: the tasks of IKE_SA_INIT and
// IKE_AUTH, in the order the responder also creates them.
func (tm *TaskManager) QueueIKE() {
	ike := tm.ike
	for _, x := range []struct {
		t  sa.TaskType
		mk func() sa.Task
	}{
		{sa.TaskIKEVendor, func() sa.Task { return NewIKEVendor(ike, true) }},
		{sa.TaskIKEInit, func() sa.Task { return NewIKEInit(ike, true, nil) }},
		{sa.TaskIKENATD, func() sa.Task { return NewIKENATD(ike, true) }},
		{sa.TaskIKECertPre, func() sa.Task { return NewIKECertPre(ike, true) }},
		{sa.TaskIKEAuth, func() sa.Task { return NewIKEAuth(ike, true) }},
		{sa.TaskIKECertPost, func() sa.Task { return NewIKECertPost(ike, true) }},
		{sa.TaskIKEConfig, func() sa.Task { return NewIKEConfig(ike, true) }},
		{sa.TaskIKEAuthLifetime, func() sa.Task { return NewIKEAuthLifetime(ike, true) }},
		{sa.TaskIKEEstablish, func() sa.Task { return NewIKEEstablish(ike, true) }},
	} {
		if !tm.hasQueued(x.t) {
			tm.QueueTask(x.mk())
		}
	}
}

// QueueIKERekey implements sa.TaskManager.
func (tm *TaskManager) QueueIKERekey() { tm.QueueTask(NewIKERekey(tm.ike, true)) }

// QueueIKEReauth implements sa.TaskManager (break-before-make).
func (tm *TaskManager) QueueIKEReauth() { tm.QueueTask(NewIKEReauth(tm.ike)) }

// QueueIKEDelete implements sa.TaskManager.
func (tm *TaskManager) QueueIKEDelete() { tm.QueueTask(NewIKEDelete(tm.ike, true)) }

// QueueChild implements sa.TaskManager.
func (tm *TaskManager) QueueChild(cfg *config.ChildCfg, args *sa.ChildInitArgs) {
	tm.QueueTask(NewChildCreate(tm.ike, cfg, false, args))
}

// QueueChildRekey implements sa.TaskManager.
func (tm *TaskManager) QueueChildRekey(proto uint8, spi uint32) {
	tm.QueueTask(NewChildRekey(tm.ike, proto, spi))
}

// QueueChildDelete implements sa.TaskManager.
func (tm *TaskManager) QueueChildDelete(proto uint8, spi uint32, expired bool) {
	tm.QueueTask(NewChildDelete(tm.ike, proto, spi, expired))
}

// QueueDPD implements sa.TaskManager.
func (tm *TaskManager) QueueDPD() { tm.QueueTask(NewIKEDPD(tm.ike, true)) }

// Reset implements sa.TaskManager.
func (tm *TaskManager) Reset(initiate, respond uint32) {
	tm.initiating.packets, tm.responding.packets = nil, nil
	tm.initiating.defrag, tm.responding.defrag = nil, nil
	if initiate != ^uint32(0) {
		tm.initiating.mid = initiate
	}
	if respond != ^uint32(0) {
		tm.responding.mid = respond
	}
	tm.initiating.exchange = exchangeNone
	now := tm.ike.Env().Clock.Now()
	for i := range tm.queuedTasks {
		tm.queuedTasks[i].at = now
		tm.queuedTasks[i].task.Migrate(tm.ike)
	}
	for len(tm.activeTasks) > 0 {
		t := tm.activeTasks[len(tm.activeTasks)-1]
		tm.activeTasks = tm.activeTasks[:len(tm.activeTasks)-1]
		t.Migrate(tm.ike)
		tm.queuedTasks = slices.Insert(tm.queuedTasks, 0, queued{task: t, at: now})
	}
	tm.reset = true
}

// AdoptTasks implements sa.TaskManager.
func (tm *TaskManager) AdoptTasks(other sa.TaskManager) {
	o := other.(*TaskManager)
	now := tm.ike.Env().Clock.Now()
	for len(o.queuedTasks) > 0 {
		q := o.queuedTasks[len(o.queuedTasks)-1]
		o.queuedTasks = o.queuedTasks[:len(o.queuedTasks)-1]
		tm.log(bus.IKE, bus.Diag, "migrating %s task", q.task.Type())
		q.task.Migrate(tm.ike)
		q.at = now
		tm.queuedTasks = slices.Insert(tm.queuedTasks, 0, q)
	}
}

// AdoptChildTasks implements sa.TaskManager: CHILD_CREATE tasks, active
// or queued, move to this manager.
func (tm *TaskManager) AdoptChildTasks(other sa.TaskManager) {
	o := other.(*TaskManager)
	for i := 0; i < len(o.activeTasks); {
		if t := o.activeTasks[i]; t.Type() == sa.TaskChildCreate {
			o.activeTasks = slices.Delete(o.activeTasks, i, i+1)
			t.Migrate(tm.ike)
			tm.QueueTask(t)
			continue
		}
		i++
	}
	for i := 0; i < len(o.queuedTasks); {
		if q := o.queuedTasks[i]; q.task.Type() == sa.TaskChildCreate {
			o.queuedTasks = slices.Delete(o.queuedTasks, i, i+1)
			q.task.Migrate(tm.ike)
			tm.QueueTask(q.task)
			continue
		}
		i++
	}
}

// Busy implements sa.TaskManager.
func (tm *TaskManager) Busy() bool { return len(tm.activeTasks) > 0 }

// Tasks implements sa.TaskManager.
func (tm *TaskManager) Tasks(q sa.TaskQueue) []sa.Task {
	switch q {
	case sa.QueueActive:
		return slices.Clone(tm.activeTasks)
	case sa.QueuePassive:
		return slices.Clone(tm.passiveTasks)
	}
	out := make([]sa.Task, len(tm.queuedTasks))
	for i, x := range tm.queuedTasks {
		out[i] = x.task
	}
	return out
}

// RemoveTask implements sa.TaskManager.
func (tm *TaskManager) RemoveTask(q sa.TaskQueue, t sa.Task) {
	switch q {
	case sa.QueueActive:
		if i := slices.Index(tm.activeTasks, t); i >= 0 {
			tm.activeTasks = drop(tm.activeTasks, i, true)
		}
	case sa.QueuePassive:
		if i := slices.Index(tm.passiveTasks, t); i >= 0 {
			tm.passiveTasks = drop(tm.passiveTasks, i, true)
		}
	default:
		for i, x := range tm.queuedTasks {
			if x.task == t {
				tm.queuedTasks = slices.Delete(tm.queuedTasks, i, i+1)
				return
			}
		}
	}
}

// Flush implements sa.TaskManager.
func (tm *TaskManager) Flush() {
	tm.FlushQueue(sa.QueueQueued)
	tm.FlushQueue(sa.QueuePassive)
	tm.FlushQueue(sa.QueueActive)
}

// FlushQueue implements sa.TaskManager.
func (tm *TaskManager) FlushQueue(q sa.TaskQueue) {
	switch q {
	case sa.QueueActive:
		for _, t := range tm.activeTasks {
			destroyTask(t)
		}
		tm.activeTasks = nil
	case sa.QueuePassive:
		for _, t := range tm.passiveTasks {
			destroyTask(t)
		}
		tm.passiveTasks = nil
	default:
		for _, q := range tm.queuedTasks {
			destroyTask(q.task)
		}
		tm.queuedTasks = nil
	}
}

// destroyTask releases what a dropped task holds.
func destroyTask(t sa.Task) {
	if d, ok := t.(sa.Destroyer); ok {
		d.Destroy()
	}
}

// drop removes the task at i, destroying it unless another task took it.
func drop(list []sa.Task, i int, destroy bool) []sa.Task {
	t := list[i]
	list = slices.Delete(list, i, i+1)
	if destroy {
		destroyTask(t)
	}
	return list
}

// MessageID implements sa.TaskManager.
func (tm *TaskManager) MessageID(initiate bool) uint32 {
	if initiate {
		return tm.initiating.mid
	}
	return tm.responding.mid
}

// IncrMessageID implements sa.TaskManager.
func (tm *TaskManager) IncrMessageID(initiate bool) {
	if initiate {
		tm.initiating.mid++
	} else {
		tm.responding.mid++
	}
}
