package tasks

import (
	"time"

	"github.com/goswan/goswan/bus"
	"github.com/goswan/goswan/credentials"
	"github.com/goswan/goswan/encoding"
	"github.com/goswan/goswan/sa"
)

// IKERedirect redirects an established client to another gateway (RFC
// 5685 §5), ike_redirect.c: the gateway sends REDIRECT in an
// INFORMATIONAL and deletes the SA itself later if the client does not;
// the client follows.
type IKERedirect struct {
	ike *sa.IKESA
	// gateway is where to send the client (initiator); nil as responder.
	gateway *credentials.Identity
}

// NewIKERedirect creates the task: with a gateway the gateway's side,
// without the client's.
func NewIKERedirect(ike *sa.IKESA, gateway *credentials.Identity) *IKERedirect {
	return &IKERedirect{ike: ike, gateway: gateway}
}

// Type implements sa.Task.
func (t *IKERedirect) Type() sa.TaskType { return sa.TaskIKERedirect }

// Migrate implements sa.Task.
func (t *IKERedirect) Migrate(ike *sa.IKESA) { t.ike = ike }

// Build implements sa.Task.
func (t *IKERedirect) Build(m *encoding.Message) sa.Status {
	if t.gateway == nil {
		return sa.Success
	}
	t.ike.Log(bus.IKE, bus.Control, "redirecting peer to %s", t.gateway)
	m.AddNotify(encoding.NotifyRedirect, sa.RedirectDataFor(t.gateway, nil))
	t.ike.SetCondition(sa.CondRedirected, true)
	return sa.NeedMore
}

// Process implements sa.Task.
func (t *IKERedirect) Process(m *encoding.Message) sa.Status {
	if t.gateway != nil {
		// if the client does not delete the SA, we do after a while
		d := time.Duration(t.ike.Env().Settings.HalfOpenTimeout) * time.Second
		t.ike.Env().Manager.ScheduleIKE(t.ike.ID(), d, "delete_ike_sa", func(x *sa.IKESA) sa.Status { return x.DeleteJob(true) })
		return sa.Success
	}
	n := m.Notify(encoding.NotifyRedirect)
	if n == nil {
		return sa.Success
	}
	if to := parseRedirect(t.ike, n.Data); to == nil {
		t.ike.Log(bus.IKE, bus.Control, "received invalid REDIRECT notify")
	} else {
		t.ike.HandleRedirect(to)
	}
	return sa.Success
}

// parseRedirect reads REDIRECT data into the gateway's identity (nil,
// logged, if invalid); the nonce, if any, is returned too.
func parseRedirectData(ike *sa.IKESA, data []byte) (*credentials.Identity, []byte) {
	r, err := encoding.ParseRedirectData(data)
	if err != nil {
		ike.Log(bus.ENC, bus.Control, "%v", err)
		return nil, nil
	}
	return sa.GatewayIdentity(r), r.Nonce
}

func parseRedirect(ike *sa.IKESA, data []byte) *credentials.Identity {
	id, _ := parseRedirectData(ike, data)
	return id
}
