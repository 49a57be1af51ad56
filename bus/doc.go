// Package bus carries log messages from every part of the daemon to the
// configured loggers and to log listeners, as libcharon/bus does for charon.
//
// A message is logged with a Ctx that names the worker "thread" that handles
// the job and, when there is one, the IKE_SA it concerns. The thread number
// and the SA are what charon's log lines carry ("13[IKE] <net-net|1> ..."), and
// what lets a stroke client that started an IKE_SA see just that SA's lines.
//
// Protocol events (IKE_SA up/down, CHILD_SA rekeyed, alerts) are dispatched by
// package sa, which knows the SA types; this package stays below it.
package bus
