package tasks

import (
	"crypto/sha1"
	"slices"
	"time"

	"github.com/goswan/goswan/bus"
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
		// deferred: no path to send the request on; the next Initiate
		// sends it again
		deferred bool
		// midSync: the request in flight synchronizes message IDs with
		// ID 0; its task sets the IDs that follow
		midSync  bool
		packets  []sa.Packet
		exchange encoding.ExchangeType
		defrag   *encoding.Reassembler
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

// New creates the task manager of ike; it is what sa.Env.NewTaskManager
// holds.
func New(ike *sa.IKESA) sa.TaskManager {
	tm := &TaskManager{ike: ike}
	tm.initiating.exchange = exchangeNone
	return tm
}

func (tm *TaskManager) settings() *sa.Settings { return &tm.ike.Env().Settings }

func (tm *TaskManager) log(g bus.Group, l bus.Level, format string, args ...any) {
	tm.ike.Log(g, l, format, args...)
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

// ikeSAInitTasks are the tasks that go with IKE_INIT into IKE_SA_INIT and
// IKE_AUTH, in the order they build and process: IKE_ESTABLISH is the last
// IKE-related one, CHILD_CREATE comes after it.
var ikeSAInitTasks = []sa.TaskType{sa.TaskIKENATD, sa.TaskIKECertPre, sa.TaskIKEAuth,
	sa.TaskIKECertPost, sa.TaskIKEConfig, sa.TaskIKEAuthLifetime, sa.TaskIKEMOBIKE,
	sa.TaskIKEEstablish, sa.TaskChildCreate}

// taskExchange is a task type that can start an exchange, with the
// exchange it uses.
type taskExchange struct {
	t  sa.TaskType
	ex encoding.ExchangeType
}

// initiateOrder is, per IKE state, the order in which queued tasks start
// an exchange, one task type at a time (task_manager_v2.c initiate). In
// other states (DELETING, CONNECTING, ...) nothing new starts; CREATED
// starts IKE_SA_INIT with ikeSAInitTasks.
var initiateOrder = map[sa.IKEState][]taskExchange{
	sa.IKEEstablished: {
		{sa.TaskIKEMIDSync, encoding.ExchangeInformational},
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
	},
	sa.IKERekeying: {{sa.TaskIKEDelete, encoding.ExchangeInformational}},
	sa.IKERekeyed:  {{sa.TaskIKEDelete, encoding.ExchangeInformational}},
}

// reinitiateExchange is the exchange of an active task that is started
// again (after a reset: a cookie, another KE group, a retried CHILD_SA).
var reinitiateExchange = map[sa.TaskType]encoding.ExchangeType{
	sa.TaskIKEInit:     encoding.ExchangeIKESAInit,
	sa.TaskIKEAuth:     encoding.ExchangeIKEAuth,
	sa.TaskChildCreate: encoding.ExchangeCreateChildSA,
	sa.TaskChildRekey:  encoding.ExchangeCreateChildSA,
	sa.TaskIKERekey:    encoding.ExchangeCreateChildSA,
	sa.TaskIKEMOBIKE:   encoding.ExchangeInformational,
}

// newExchange activates the queued tasks of the next exchange and returns
// its type (0: nothing to start).
func (tm *TaskManager) newExchange() encoding.ExchangeType {
	if tm.ike.State() == sa.IKECreated {
		tm.activate(sa.TaskIKEVendor)
		if !tm.activate(sa.TaskIKEInit) {
			return 0
		}
		tm.initiating.mid = 0
		for _, t := range ikeSAInitTasks {
			tm.activate(t)
		}
		return encoding.ExchangeIKESAInit
	}
	for _, o := range initiateOrder[tm.ike.State()] {
		if tm.activate(o.t) {
			return o.ex
		}
	}
	return 0
}

// activeExchange is the exchange the first active task that starts one
// uses (0: none does).
func (tm *TaskManager) activeExchange() encoding.ExchangeType {
	for _, t := range tm.activeTasks {
		tm.log(bus.IKE, bus.Diag, "  %s task", t.Type())
		if ex, ok := reinitiateExchange[t.Type()]; ok {
			return ex
		}
	}
	return 0
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
		if tm.initiating.deferred {
			// a path may have appeared: send the deferred request again
			tm.initiating.deferred = false
			tm.initiating.retransmitted = 0
			return tm.Retransmit(tm.initiating.mid)
		}
		return sa.Success
	}
	var exchange encoding.ExchangeType
	if len(tm.activeTasks) == 0 {
		tm.log(bus.IKE, bus.Diag, "activating new tasks")
		exchange = tm.newExchange()
	} else {
		if !deriveKeys(&tm.activeTasks) {
			return sa.DestroyMe
		}
		tm.log(bus.IKE, bus.Diag, "reinitiating already active tasks")
		exchange = tm.activeExchange()
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
	tm.initiating.deferred = false
	if tm.buildRequest(m) != sa.Success {
		return sa.DestroyMe
	}
	// A task may have changed the exchange (e.g. to undefined to abort).
	tm.initiating.exchange = m.Exchange
	if m.Exchange == exchangeNone {
		return tm.Initiate()
	}
	for _, t := range tm.activeTasks {
		if t.Type() == sa.TaskIKEMIDSync {
			// MID sync goes with ID 0 (RFC 6311 §4)
			tm.initiating.midSync = true
			tm.initiating.mid = m.MessageID
		}
	}
	pkts, err := tm.ike.GenerateMessage(m, true)
	ok := err == nil
	if err != nil {
		tm.log(bus.ENC, bus.Control, "generating %s request %d failed: %v", m.Exchange, m.MessageID, err)
	} else {
		tm.initiating.packets = pkts
		tm.activeTasks, ok = postBuild(tm.activeTasks, m)
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

// buildRequest lets the active tasks build request m, dropping those that
// are done; a failure flushes the tasks, and the IKE_SA is to be
// destroyed.
func (tm *TaskManager) buildRequest(m *encoding.Message) sa.Status {
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
	return sa.Success
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
	var ok bool
	if tm.activeTasks, ok = postProcess(tm.activeTasks, m); !ok {
		return sa.DestroyMe
	}
	if tm.initiating.midSync {
		// the task has set the IDs
		tm.initiating.midSync = false
	} else {
		tm.initiating.mid++
	}
	tm.initiating.exchange = exchangeNone
	tm.initiating.packets = nil
	return tm.Initiate()
}

// postBuild lets the tasks that want to see the message after it was
// generated (and encrypted) do so, dropping those that are done; ok is
// false if one failed (it stays, as charon's post_build leaves it).
func postBuild(tasks []sa.Task, m *encoding.Message) (rest []sa.Task, ok bool) {
	return eachHook(tasks, false, func(t sa.Task) (sa.Status, bool) {
		pb, has := t.(sa.PostBuilder)
		if !has {
			return 0, false
		}
		return pb.PostBuild(m), true
	})
}

// postProcess lets the tasks that look at a message after all of them
// processed it do so, dropping those that are done; ok is false (and the
// failed task dropped) if one failed, which ends the IKE_SA.
func postProcess(tasks []sa.Task, m *encoding.Message) (rest []sa.Task, ok bool) {
	return eachHook(tasks, true, func(t sa.Task) (sa.Status, bool) {
		pp, has := t.(sa.PostProcessor)
		if !has {
			return 0, false
		}
		return pp.PostProcess(m), true
	})
}

// eachHook calls hook on every task that has it (has), in order. A task
// whose hook returns Success is done and dropped; NeedMore keeps it. A
// failure sets ok to false: with failStops the failed task is dropped and
// the walk ends there, otherwise the task stays and the walk goes on.
func eachHook(tasks []sa.Task, failStops bool, hook func(sa.Task) (st sa.Status, has bool)) (rest []sa.Task, ok bool) {
	ok = true
	for i := 0; i < len(tasks); {
		st, has := hook(tasks[i])
		switch {
		case !has || st == sa.NeedMore:
		case st == sa.Success:
			tasks = drop(tasks, i, true)
			continue
		case failStops:
			return drop(tasks, i, true), false
		default:
			ok = false
		}
		i++
	}
	return tasks, ok
}
