#!/usr/bin/env bash
# make test-loaded: `make test` RUNS times in a row (default 20) while
# stress-ng keeps LOAD CPU workers busy (default: one per core), and a
# report of the failures of every run. A test that fails only when the
# machine is busy has a race or a timing assumption: fix it at its cause.
#
# Logs go to LOGDIR (default /var/tmp/goswan-test-loaded/<time>). Exit
# status 0 only if every run passed. Needs stress-ng (Debian package
# stress-ng); the environment (GOSWAN_CI) is passed on to make test.
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-20}
LOAD=${LOAD:-$(nproc)}
MAKE=${MAKE:-make}
logdir=${LOGDIR:-/var/tmp/goswan-test-loaded/$(date +%Y%m%d-%H%M%S)}
command -v stress-ng >/dev/null || { echo "test-loaded: needs stress-ng (Debian package stress-ng)" >&2; exit 2; }
mkdir -p "$logdir"

# The load: stopped by its PID whatever way this script ends; its own
# timeout is only a net should this script be killed outright.
stress-ng --cpu "$LOAD" --timeout "$((RUNS * 20 + 10))m" --quiet &
load=$!
trap 'kill "$load" 2>/dev/null; wait "$load" 2>/dev/null' EXIT
trap 'exit 130' INT TERM HUP
echo "test-loaded: $RUNS runs of make test, stress-ng --cpu $LOAD (pid $load); logs in $logdir"

passed=0
declare -A failed
for i in $(seq 1 "$RUNS"); do
	log=$logdir/run-$(printf %02d "$i").log
	t0=$(date +%s)
	$MAKE test >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - t0))
	if [ "$rc" = 0 ]; then
		passed=$((passed + 1))
		printf 'run %2d/%d: passed (%ds)\n' "$i" "$RUNS" "$secs"
		continue
	fi
	# "--- FAIL: TestX" lines (subtests too) with their package, and
	# packages that failed without a failing test (panic, timeout, build).
	fails=$(awk '
		/^[[:space:]]*--- FAIL: / { pending = pending " " $3 }
		/^panic: / { panicked = 1 }
		/^FAIL[[:space:]]+[^[:space:]]+/ {
			pkg = $2; sub(".*/goswan/", "", pkg)
			if (panicked) print pkg ":panic"
			else if (pending == "") print pkg ":(package)"
			n = split(pending, a, " "); for (j = 1; j <= n; j++) print pkg ":" a[j]
			pending = ""; panicked = 0
		}
	' "$log" | sort -u)
	[ -n "$fails" ] || fails="(make test exit $rc, see the log)"
	printf 'run %2d/%d: FAILED (%ds): %s\n' "$i" "$RUNS" "$secs" "$(echo $fails)"
	for f in $fails; do failed[$f]=$((${failed[$f]:-0} + 1)); done
done
echo
echo "test-loaded: $passed of $RUNS runs passed"
for f in "${!failed[@]}"; do
	printf '  %2d× %s\n' "${failed[$f]}" "$f"
done | sort -rn
[ "$passed" = "$RUNS" ]
