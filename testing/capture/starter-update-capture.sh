#!/usr/bin/env bash
# Captures what Debian's starter sends when ipsec.conf changes under it:
# `ipsec update` (SIGHUP) and `ipsec reload` (SIGUSR1) sequences.
#
#   testing/capture/starter-update-capture.sh SCENARIO_DIR...
#
# A scenario directory holds ipsec.conf versions (any names ending in .conf)
# and a file `steps`, one step per line:
#
#   start FILE.conf     start starter with FILE.conf as its ipsec.conf
#   hup FILE.conf       put FILE.conf in place, send SIGHUP (ipsec update)
#   usr1 FILE.conf      put FILE.conf in place, send SIGUSR1 (ipsec reload)
#   alrm                send SIGALRM (starter starts the daemon if it is not
#                       running, and adds everything again)
#   kill                kill the daemon with SIGKILL; starter starts it
#                       again 5 s later and sends it everything
#
# starter runs as `/usr/lib/ipsec/starter --nofork --debug --conf WORK.conf`
# in a private mount namespace with a tmpfs on /run and fake-charon.py bound
# over /usr/lib/ipsec/charon (see starter-capture.sh). The files written
# into the scenario directory are:
#
#   NN_STR_TYPE.bin   every message starter sent, numbered over the run
#   steps.out         each step with the numbers of the messages it caused
#                     ("hup v2.conf 5-7", "hup v3.conf -" for none)
#   starter.log       starter's log, pids and times replaced by X
#
# Earlier captures in the directory are removed first. Each signal step
# waits STEP_WAIT seconds (default 1) for starter to finish; starter sends
# everything at once and the fake daemon answers at once. Needs root,
# unshare(1), python3 and Debian's strongswan-starter; touches nothing
# outside the namespace.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
starter=/usr/lib/ipsec/starter
[ "$(id -u)" = 0 ] || { echo "$0: needs root (mount namespaces)" >&2; exit 1; }
[ -x "$starter" ] || { echo "$0: $starter not found (Debian package strongswan-starter)" >&2; exit 1; }
[ -e /usr/lib/ipsec/charon ] || { echo "$0: /usr/lib/ipsec/charon must exist to be replaced" >&2; exit 1; }

capture_one() {
	local dir out
	dir=$(cd "$1" && pwd)
	[ -f "$dir/steps" ] || { echo "$0: $dir/steps missing" >&2; exit 2; }
	rm -f "$dir"/[0-9][0-9]_STR_*.bin "$dir/steps.out" "$dir/starter.log"
	out=$(mktemp -d)
	FAKE_CHARON_OUT=$out unshare -m --propagation private bash -c '
		set -euo pipefail
		dir=$1 out=$2 starter=$3
		mount -t tmpfs tmpfs /run
		mount --bind "$4" /usr/lib/ipsec/charon
		count() { ls "$out" | grep -c "_STR_" || true; }
		pid=
		trap "[ -n \"\$pid\" ] && kill -TERM \$pid 2>/dev/null; wait" EXIT
		while read -r op file; do
			[ -n "$op" ] || continue
			before=$(count)
			case "$op" in
			start)
				cp "$dir/$file" "$out/work.conf"
				"$starter" --nofork --debug --conf "$out/work.conf" 2>"$out/starter.log" &
				pid=$!
				# The fake daemon says when it has been idle for a while.
				for _ in $(seq 1 100); do
					[ -e "$out/.idle" ] && break
					sleep 0.1
				done
				;;
			hup|usr1)
				cp "$dir/$file" "$out/work.conf"
				kill -"${op^^}" $pid
				sleep "${STEP_WAIT:-1}"
				;;
			alrm)
				kill -ALRM $pid
				sleep "${STEP_WAIT:-1}"
				;;
			kill)
				rm -f "$out/.idle"
				kill -KILL "$(cat /run/charon.pid)"
				# 5 s to the restart, then the new daemon is idle.
				sleep 5
				for _ in $(seq 1 100); do
					[ -e "$out/.idle" ] && break
					sleep 0.1
				done
				;;
			*)
				echo "unknown step: $op" >&2
				exit 2
				;;
			esac
			after=$(count)
			if [ "$after" -gt "$before" ]; then
				echo "$op${file:+ $file} $((before + 1))-$after"
			else
				echo "$op${file:+ $file} -"
			fi >>"$out/steps.out"
		done <"$dir/steps"
		kill -TERM $pid
		wait $pid || true
		pid=
	' capture "$dir" "$out" "$starter" "$here/fake-charon.py"
	for f in "$out"/[0-9][0-9]_*.bin; do
		[ -e "$f" ] || continue
		cp "$f" "$dir/"
	done
	cp "$out/steps.out" "$dir/steps.out"
	sed -E -e 's/\(([0-9]+)\) started after [0-9]+ ms/(X) started after X ms/' \
		-e "s|$out/||g" \
		-e 's/stopped after [0-9]+ ms/stopped after X ms/' \
		-e 's/child [0-9]+ \(/child X (/' \
		"$out/starter.log" >"$dir/starter.log"
	rm -rf "$out"
	echo "$(basename "$dir"):"
	sed 's/^/  /' "$dir/steps.out"
}

[ $# -gt 0 ] || { echo "usage: $0 SCENARIO_DIR..." >&2; exit 2; }
for d in "$@"; do
	capture_one "$d"
done
