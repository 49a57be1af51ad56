package sa

import (
	"net/netip"

	"github.com/goswan/goswan/config"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/selectors"
)

// Status is the result of a task step, status_t as task.h uses it. It is
// not an error: it drives the task manager's control flow.
type Status uint8

const (
	// Success: the task is done (even if it failed in a way that does not
	// concern the IKE_SA); the manager removes it.
	Success Status = iota
	// NeedMore: the task needs another exchange; it stays.
	NeedMore
	// Failed: the task failed and the IKE_SA must go (with an updown event).
	Failed
	// DestroyMe: the IKE_SA must be destroyed.
	DestroyMe
	// AlreadyDone: the task became unnecessary.
	AlreadyDone
	// InvalidState: the operation does not apply in the current state.
	InvalidState
	// NotFound: what was asked for does not exist.
	NotFound
	// NotSupported: the kernel cannot do it (an SA that cannot be moved
	// to other addresses is rekeyed instead).
	NotSupported
)

func (s Status) String() string {
	return [...]string{"SUCCESS", "NEED_MORE", "FAILED", "DESTROY_ME", "ALREADY_DONE",
		"INVALID_STATE", "NOT_FOUND", "NOT_SUPPORTED"}[s]
}

// TaskType is task_type_t; the names are strongSwan's task_type_names.
type TaskType uint8

const (
	TaskIKEInit TaskType = iota
	TaskIKENATD
	TaskIKEMOBIKE
	TaskIKEAuth
	TaskIKEAuthLifetime
	TaskIKECertPre
	TaskIKECertPost
	TaskIKEConfig
	TaskIKERekey
	TaskIKEReauth
	TaskIKEReauthComplete
	TaskIKERedirect
	TaskIKEVerifyPeerCert
	TaskIKEMIDSync
	TaskIKEDelete
	TaskIKEDPD
	TaskIKEVendor
	TaskIKEEstablish
	TaskChildCreate
	TaskChildDelete
	TaskChildRekey
)

var taskNames = [...]string{"IKE_INIT", "IKE_NATD", "IKE_MOBIKE", "IKE_AUTH", "IKE_AUTH_LIFETIME",
	"IKE_CERT_PRE", "IKE_CERT_POST", "IKE_CONFIG", "IKE_REKEY", "IKE_REAUTH", "IKE_REAUTH_COMPLETE",
	"IKE_REDIRECT", "IKE_VERIFY_PEER_CERT", "IKE_MID_SYNC", "IKE_DELETE", "IKE_DPD", "IKE_VENDOR",
	"IKE_ESTABLISH", "CHILD_CREATE", "CHILD_DELETE", "CHILD_REKEY"}

func (t TaskType) String() string {
	if int(t) < len(taskNames) {
		return taskNames[t]
	}
	return "TASK(?)"
}

// Task is a unit of protocol work, task_t of strongSwan's task.h.
//
// The initiator of an exchange calls Build to fill the request and Process
// with the response; the responder calls Process with the request and Build
// to fill the response. The returned Status says what happens next:
// Success removes the task (it is done, whether or not it achieved what it
// wanted, as long as the IKE_SA can stay), NeedMore keeps it for another
// exchange, Failed and DestroyMe end the IKE_SA, AlreadyDone cancels it.
type Task interface {
	Type() TaskType
	Build(m *encoding.Message) Status
	Process(m *encoding.Message) Status
	// Migrate moves a queued task to another IKE_SA (after an IKE rekey or a
	// reset); the task must forget any state of the old one.
	Migrate(ike *IKESA)
}

// PreProcessor is implemented by tasks that must see a message before any
// task processes it (e.g. to reject it early). Failed makes the manager
// ignore the message.
type PreProcessor interface {
	PreProcess(m *encoding.Message) Status
}

// PostBuilder is implemented by tasks that act after the message was
// generated (e.g. to install SAs only once the response exists).
type PostBuilder interface {
	PostBuild(m *encoding.Message) Status
}

// PostProcessor is implemented by tasks that act after every task processed
// a message.
type PostProcessor interface {
	PostProcess(m *encoding.Message) Status
}

// Destroyer is implemented by tasks that hold resources (a half-negotiated
// CHILD_SA with an allocated SPI): the task manager calls Destroy when it
// drops the task, finished or not, unless another task adopted it.
type Destroyer interface {
	Destroy()
}

// TaskQueue selects one of the task manager's lists.
type TaskQueue uint8

const (
	QueueActive TaskQueue = iota
	QueuePassive
	QueueQueued
)

// ChildInitArgs are optional arguments for creating a CHILD_SA: the reqid
// to reuse and the packet that triggered an acquire.
type ChildInitArgs struct {
	ReqID uint32
	// Src and Dst are the selectors of the packet that hit a trap policy;
	// they go first in TSi/TSr (RFC 7296 §2.9).
	Src, Dst *selectors.TS
}

// TaskManager drives the tasks of one IKE_SA, task_manager_t. Package
// tasks implements it; the IKESA only knows this interface.
type TaskManager interface {
	// ProcessMessage handles a received, header-parsed message; decodeErr
	// is what decoding its unprotected part found (answered as charon
	// answers a message that fails to parse), raw the datagram, src and
	// dst its addresses.
	ProcessMessage(m *encoding.Message, decodeErr error, raw []byte, src, dst netip.AddrPort) Status
	// Initiate starts the next exchange from the queued tasks, if none is
	// outstanding.
	Initiate() Status
	// Retransmit is the retransmit timer of the request with id mid.
	Retransmit(mid uint32) Status
	QueueTask(t Task)
	QueueTaskDelayed(t Task, delaySeconds uint32)
	QueueIKE()
	QueueIKERekey()
	QueueIKEReauth()
	QueueIKEDelete()
	QueueChild(cfg *config.ChildCfg, args *ChildInitArgs)
	QueueChildRekey(proto uint8, spi uint32)
	QueueChildDelete(proto uint8, spi uint32, expired bool)
	// QueueDPD queues a liveness check: a MOBIKE-enabled one (NAT-D
	// payloads) for the original initiator of a MOBIKE SA.
	QueueDPD()
	// QueueMOBIKE queues (or extends the queued) MOBIKE task: roam checks
	// the paths and moves the SA, address sends our address list
	// (task_manager_v2.c queue_mobike).
	QueueMOBIKE(roam, address bool)
	// QueueRedirect queues a REDIRECT of the client to gateway (RFC 5685).
	QueueRedirect(gateway *credentials.Identity)
	// QueueMIDSync queues the synchronization of message IDs with the
	// peer (RFC 6311), as a gateway restored from a saved state does.
	QueueMIDSync()
	// SetMessageID sets the next initiating or the expected responding
	// message ID (MID sync).
	SetMessageID(initiate bool, mid uint32)
	// QueueReauthComplete queues the deletion of the IKE_SA old once this
	// one is established (a redirected or reauthenticated SA).
	QueueReauthComplete(old IKESAID)
	// QueueAuthLifetime queues an INFORMATIONAL announcing our
	// AUTH_LIFETIME (a responder that cannot reauthenticate itself; charon
	// creates the ike_auth_lifetime task in ike_sa.c directly).
	QueueAuthLifetime()
	// Reset restarts with the given message ids (^uint32(0): keep), putting
	// active tasks back into the queue (IKE_SA_INIT retry with a cookie or
	// another KE group).
	Reset(initiate, respond uint32)
	// AdoptTasks moves the queued tasks of other into this manager.
	AdoptTasks(other TaskManager)
	// AdoptChildTasks moves queued CHILD_SA tasks of other into this one.
	AdoptChildTasks(other TaskManager)
	// Busy reports whether an exchange we initiated is outstanding.
	Busy() bool
	// Tasks lists a queue's tasks (for statusall's task lists and checks
	// like "is a delete queued").
	Tasks(q TaskQueue) []Task
	// RemoveTask removes a task from a queue.
	RemoveTask(q TaskQueue, t Task)
	Flush()
	FlushQueue(q TaskQueue)
	// MessageID returns the next initiating or the expected responding id.
	MessageID(initiate bool) uint32
	IncrMessageID(initiate bool)
}
