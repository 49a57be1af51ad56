#!/usr/bin/env bash
# Runs every fuzz target of the module for $FUZZTIME each. Go allows one
# -fuzz pattern per package run, so targets are enumerated and run one by one.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-5s}
cd "$(dirname "$0")/.."
n=0
for pkg in $($GO list ./...); do
	for target in $($GO test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "== $pkg $target ($FUZZTIME)"
		$GO test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
		n=$((n + 1))
	done
done
echo "fuzz-smoke: $n targets ran for $FUZZTIME each"
