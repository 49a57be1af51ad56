#!/usr/bin/env bash
# The file-size gate of `make lint`: no Go file (tests included) in the
# packages where the protocol and the daemon live (sa, tasks, daemon,
# confparse) is over FILESIZE_MAX (450) lines, unless it says why with a line
#
#	//filesize:ignore <reason, at least a few words>
#
# A long file there is a room doing two jobs; split it along them.
set -euo pipefail

FILESIZE_MAX=${FILESIZE_MAX:-450}
mapfile -t files < <(git ls-files 'sa/*.go' 'tasks/*.go' 'daemon/*.go' 'confparse/*.go' 2>/dev/null ||
	find sa tasks daemon confparse -name '*.go')
[ "${#files[@]}" -gt 0 ] || { echo "filesize: no Go files" >&2; exit 1; }

status=0
for f in "${files[@]}"; do
	n=$(wc -l <"$f")
	if [ "$n" -gt "$FILESIZE_MAX" ] && ! grep -qE '^//filesize:ignore[[:space:]]+.{10,}' "$f"; then
		echo "$f: $n lines, over $FILESIZE_MAX (split it, or say why with //filesize:ignore <reason>)"
		status=1
	fi
done
exit $status
