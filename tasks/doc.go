// Package tasks holds the IKEv2 exchanges as strongSwan's
// sa/ikev2/tasks/*.c do, one task per file under the same name, and the
// task manager that runs them (task_manager_v2.c, here task_manager*.go:
// queueing, initiating, responding, receiving, retransmitting).
//
// A task implements sa.Task: the initiator of an exchange calls Build to
// fill the request and Process with the response; the responder calls
// Process with the request and Build for the response. A strongSwan task
// too long for one Go file is split by role: ike_auth.go with
// ike_auth_initiator.go and ike_auth_responder.go, child_create.go with
// child_create_initiator.go, child_create_responder.go, and what both
// roles share in child_create_select.go and child_create_install.go.
//
// Package sa cannot import this package, which drives it: whoever builds
// an sa.Env sets Env.NewTaskManager to New, and the IKE_SA asks its
// TaskManager for every task it wants queued.
package tasks
