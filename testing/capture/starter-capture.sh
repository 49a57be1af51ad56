#!/usr/bin/env bash
# Captures the stroke messages Debian's starter sends for ipsec.conf files.
#
#   testing/capture/starter-capture.sh FILE.conf...
#
# For each FILE.conf it runs `/usr/lib/ipsec/starter --nofork --debug
# --conf FILE.conf` inside a private mount namespace with a tmpfs on /run
# (so /var/run/charon.ctl and the pid files are private) and with
# fake-charon.py bind-mounted over /usr/lib/ipsec/charon: starter starts the
# fake daemon, waits for its pid file, and sends it the messages for the
# config. The files written next to FILE.conf are:
#
#   FILE.NN_STR_TYPE.bin   every message, in the order sent
#   FILE.starter.log       starter's log (stderr), with pids and times
#                          replaced by X and FILE's directory removed
#   FILE.argv              the arguments starter passed to charon
#
# Earlier captures of FILE are removed first. The fake daemon decides that
# starter is done after FAKE_CHARON_IDLE seconds without a message (default
# 1.5). Needs root, unshare(1), python3 and Debian's strongswan-starter;
# touches nothing outside the namespace.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
starter=/usr/lib/ipsec/starter
[ "$(id -u)" = 0 ] || { echo "$0: needs root (mount namespaces)" >&2; exit 1; }
[ -x "$starter" ] || { echo "$0: $starter not found (Debian package strongswan-starter)" >&2; exit 1; }
[ -e /usr/lib/ipsec/charon ] || { echo "$0: /usr/lib/ipsec/charon must exist to be replaced" >&2; exit 1; }

capture_one() {
	local conf base dir out
	conf=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	dir=$(dirname "$conf")
	base=${conf%.conf}
	rm -f "$base".[0-9][0-9]_STR_*.bin "$base".starter.log "$base".argv
	out=$(mktemp -d)
	# The inner script runs in the new mount namespace; its mounts vanish
	# with it. starter is stopped with SIGTERM once the fake daemon has been
	# idle for a moment, or is left to exit by itself when it refuses the
	# config.
	FAKE_CHARON_OUT=$out unshare -m --propagation private bash -c '
		set -e
		mount -t tmpfs tmpfs /run
		mount --bind "$1" /usr/lib/ipsec/charon
		cd "$2"
		"$3" --nofork --debug --conf "$4" 2>"$5/starter.log" &
		pid=$!
		for _ in $(seq 1 200); do
			if [ -e "$5/.idle" ] || ! kill -0 $pid 2>/dev/null; then
				break
			fi
			sleep 0.1
		done
		kill -TERM $pid 2>/dev/null || true
		wait $pid || true
	' capture "$here/fake-charon.py" "$dir" "$starter" "$conf" "$out"
	for f in "$out"/[0-9][0-9]_*.bin; do
		[ -e "$f" ] || continue
		cp "$f" "$base.$(basename "$f")"
	done
	[ -e "$out/argv" ] && cp "$out/argv" "$base.argv"
	# Timing, pids and the directory of the file vary from run to run.
	sed -E -e 's/\(([0-9]+)\) started after [0-9]+ ms/(X) started after X ms/' \
		-e "s|$dir/||g" \
		-e 's/stopped after [0-9]+ ms/stopped after X ms/' \
		-e 's/child [0-9]+ \(/child X (/' \
		"$out/starter.log" >"$base.starter.log"
	rm -rf "$out"
	echo "$(basename "$conf"): $(ls "$base".[0-9][0-9]_STR_*.bin 2>/dev/null | wc -l) messages"
}

[ $# -gt 0 ] || { echo "usage: $0 FILE.conf..." >&2; exit 2; }
for c in "$@"; do
	capture_one "$c"
done
