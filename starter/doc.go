// Package starter is goswan's ipsec starter: what `ipsec start` runs. It
// reads ipsec.conf, starts the IKE daemon, hands it the configuration over
// the stroke socket, and then watches it: it restarts a daemon that died,
// applies ipsec.conf changes on SIGHUP (`ipsec update`), reloads everything
// on SIGUSR1 (`ipsec reload`) and stops the daemon on SIGTERM (`ipsec
// stop`).
//
// It corresponds to strongSwan 5.9.8's src/starter (starter.c,
// invokecharon.c, starterstroke.c, cmp.c) and behaves as Debian's
// /usr/lib/ipsec/starter does: the same options, log lines (on stderr in
// the foreground, to syslog as "ipsec_starter" with facility authpriv),
// exit codes, pid files, daemon arguments, and the same stroke messages in
// the same order, byte for byte. Reading ipsec.conf is confparse/ipsecconf's
// job, which reproduces starter's parser; this package adds the parts that
// act.
//
// The package is split along starter's own seams:
//
//   - options.go: the command line (starter's argv loop and usage text).
//   - env.go: where the daemon binary, pid files and socket are.
//   - log.go: starter's logger (levels, stderr, syslog).
//   - conflog.go: what starter logs while it reads ipsec.conf.
//   - compare.go: starter_cmp_conn and starter_cmp_ca, which decide what an
//     update changes.
//   - messages.go: the stroke messages for a conn or ca.
//   - state.go: the sans-IO core, the loaded conns and cas with their states
//     and ids, turning start, update and reload into message sequences.
//   - charon.go: starting, watching and stopping the daemon process.
//   - run.go: the main loop and its signals; daemonize.go: going to the
//     background.
//
// # Differences from strongSwan's starter
//
// Go cannot fork, so the background starter is this program started again
// with the same arguments; the foreground one waits until the background
// one has written its pid file (so `ipsec start; ipsec stop` is not a race)
// and then exits 0, as strongSwan's parent does after fork(). Problems in
// ipsec.conf are logged with starter's "# " prefix, its "# ignored conn"
// and "### N parsing errors (M fatal) ###" lines, but each problem's text is
// confparse's, which names the same keyword and says more.
package starter
