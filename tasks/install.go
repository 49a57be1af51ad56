package tasks

import "github.com/goswan/goswan/sa"

// Install wires the task package into an Env: the task manager
// constructor and the tasks the sa package creates itself.
func Install(env *sa.Env) {
	env.NewTaskManager = New
	env.NewAuthLifetimeTask = func(ike *sa.IKESA) sa.Task { return NewIKEAuthLifetime(ike, true) }
}
