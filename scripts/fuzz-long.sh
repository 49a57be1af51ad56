#!/usr/bin/env bash
# A fuzzing campaign (make fuzz-long): every fuzz target of the module for
# $FUZZTIME each; what the fuzzer found that widens coverage (its cache under
# GOCACHE/fuzz) is kept in the package's testdata/fuzz/<target>, so the next
# `make test` runs it as seed corpus. Then each fuzzed package's statement
# coverage from its tests with those corpora (go test -cover). A target that
# fails stops the campaign with its failing input in testdata/fuzz.
# FUZZ_PKGS narrows it to some packages (go list patterns).
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-10m}
cd "$(dirname "$0")/.."
cache="$($GO env GOCACHE)/fuzz"
pkgs=()
n=0
count() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
for pkg in $($GO list ${FUZZ_PKGS:-./...}); do
	targets=$($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true)
	[ -n "$targets" ] || continue
	pkgs+=("$pkg")
	dir=$($GO list -f '{{.Dir}}' "$pkg")
	for target in $targets; do
		keep="$dir/testdata/fuzz/$target"
		before=$(count "$keep")
		echo "== $pkg $target ($FUZZTIME, corpus $before)"
		# The fuzzer's deadline flake (golang/go#75804): see fuzz-smoke.sh.
		for try in 1 2; do
			if out=$($GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg" 2>&1); then
				break
			fi
			if [ "$try" = 1 ] && ! grep -q 'Failing input written' <<<"$out" &&
				grep -q 'context deadline exceeded' <<<"$out"; then
				continue
			fi
			echo "$out"
			exit 1
		done
		tail -n 3 <<<"$out"
		if [ -d "$cache/$pkg/$target" ]; then
			mkdir -p "$keep"
			cp -n "$cache/$pkg/$target"/* "$keep"/ 2>/dev/null || true
		fi
		after=$(count "$keep")
		echo "fuzz-long: $target corpus $before -> $after"
		n=$((n + 1))
	done
done
echo "fuzz-long: $n targets ran for $FUZZTIME each; coverage with the corpora:"
$GO test -count=1 -cover "${pkgs[@]}" | sed 's/^/  /'
