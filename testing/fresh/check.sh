#!/usr/bin/env bash
# make fresh-check: README's two commands on a fresh Debian bookworm machine.
#
# Builds a minimal bookworm root with debootstrap (variant minbase) from the
# Debian mirror apt uses on this machine, installs into it exactly the
# packages of testing/fresh/packages.txt (with their dependencies, without
# recommends), copies this machine's Go into /usr/local/go, clones the
# repository's HEAD into /root/goswan and runs `make demo` and `make test`
# there as root, as a newcomer would: no GOSWAN_CI, no strongSwan, nothing
# else of this machine.
#
# Everything runs in private mount and PID namespaces: the overlay the run
# writes into, /proc, /sys, /dev, /run and every network namespace the demo
# and the tests create exist only there, and the kernel removes them (and
# kills whatever still runs) when the run ends, however it ends. The run's
# files go in a scratch directory removed on exit.
#
# The root is cached in $FRESH_CACHE (default /var/cache/goswan-fresh) under
# a hash of the package list, the suite, the apt sources and this script, so
# a changed list builds a new root; each run starts from the cached root
# through a throw-away overlay and never changes it.
#
#   FRESH_OMIT="pkg ..."  leave packages of the list out (to prove the check
#                         notices: it must fail and name them)
#   FRESH_CI=1            CI's machine instead of the newcomer's: the root
#                         also gets the packages .ci/packages.txt lists for
#                         lane "test", and runs `GOSWAN_CI=1 make test`, so
#                         a test needing a package .ci/run does not install
#                         fails here and names it
#   FRESH_KEEP=1          keep the run's scratch directory (its log, the
#                         overlay's upper layer) for a look afterwards
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
suite=bookworm
cache=${FRESH_CACHE:-/var/cache/goswan-fresh}
GO=${GO:-go}
list=testing/fresh/packages.txt

die() { echo "fresh-check: $*" >&2; exit 2; }
say() { printf 'fresh-check [%s]: %s\n' "$(date +%T)" "$*"; }
t_start=$(date +%s)

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot, namespaces)"
for c in debootstrap unshare chroot pivot_root git; do
	command -v "$c" >/dev/null || die "needs $c (apt-get install debootstrap util-linux coreutils git)"
done
goroot=$("$GO" env GOROOT) || die "no Go ($GO)"

# The package list, minus FRESH_OMIT; the commands to run.
all_pkgs=$(awk '!/^[[:space:]]*(#|$)/ { print $2 }' "$list")
commands="make demo;make test"
what="README's two commands"
if [ -n "${FRESH_CI:-}" ]; then
	all_pkgs=$(printf '%s\n' "$all_pkgs"; awk '!/^[[:space:]]*(#|$)/ && $2 ~ /(^|,)test(,|$)/ { print $1 }' .ci/packages.txt)
	all_pkgs=$(sort -u <<<"$all_pkgs")
	commands="GOSWAN_CI=1 make test"
	what="CI's make test (GOSWAN_CI=1) with .ci/packages.txt's lane \"test\""
fi
pkgs=$all_pkgs
for o in ${FRESH_OMIT:-}; do
	grep -qxF -- "$o" <<<"$all_pkgs" || die "FRESH_OMIT: $o is not in $list"
	pkgs=$(grep -vxF -- "$o" <<<"$pkgs" || true)
done
pkgs=$(sort <<<"$pkgs" | tr '\n' ' ')

# The Debian archives apt uses here, for bookworm and its updates and
# security suites: "URI suite" pairs from sources.list (one-line format) and
# sources.list.d (both formats; Enabled: no skipped).
apt_sources() {
	local f
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" | awk '$1 == "deb" { print $2, $3 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'function flush() {
			if (types ~ /(^| )deb( |$)/ && enabled != "no")
				for (i = 1; i <= nu; i++) for (j = 1; j <= ns; j++) print u[i], s[j]
			types = ""; enabled = ""; nu = 0; ns = 0
		}
		/^[[:space:]]*#/ { next }
		/^[[:space:]]*$/ { flush(); next }
		{ key = tolower($1); sub(/:$/, "", key); $1 = "" }
		key == "types" { types = $0 }
		key == "enabled" { enabled = tolower($2) }
		key == "uris" { nu = split($0, u, " ") }
		key == "suites" { ns = split($0, s, " ") }
		END { flush() }' "$f"
	done
}
sources=$(apt_sources | awk -v s="$suite" '$2 == s || $2 == s "-updates" || $2 == s "-security"' | sort -u)
mirror=${FRESH_MIRROR:-$(awk -v s="$suite" '$2 == s { print $1; exit }' <<<"$sources")}
[ -n "$mirror" ] || die "no Debian $suite archive in /etc/apt/sources.list* (set FRESH_MIRROR)"

key=$({
	echo "$suite $pkgs"
	echo "$sources"
	echo "$mirror"
	sed -n '/^build_root()/,/^}/p' "$0"
} | sha256sum | cut -c1-16)
root=$cache/root-$key

# private runs a command in new mount and PID namespaces: its mounts are
# private to it, and when it ends (or this script is killed, or its first
# process dies) the kernel kills every process left in it and removes the
# mounts with the namespace.
private() { unshare --mount --pid --fork --kill-child --propagation private -- "$@"; }

# build_root makes the cached root: debootstrap, the apt sources, the
# packages. Its own text is part of the cache key.
build_root() {
	local tmp=$cache/build-$key
	rm -rf "$tmp"
	mkdir -p "$cache"
	say "building the $suite root ($pkgs) from $mirror"
	# In its own namespaces: the mounts debootstrap makes in the root go
	# with it whatever happens.
	private debootstrap --variant=minbase "$suite" "$tmp" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 ||
		{ tail -n 30 "$cache/debootstrap-$key.log" >&2; die "debootstrap failed (log: $cache/debootstrap-$key.log)"; }
	awk '{ print "deb", $1, $2, "main" }' <<<"$sources" >"$tmp/etc/apt/sources.list"
	[ -s "$tmp/etc/apt/sources.list" ] || echo "deb $mirror $suite main" >"$tmp/etc/apt/sources.list"
	cp /etc/resolv.conf "$tmp/etc/resolv.conf"
	# No service of a package may start in the root.
	printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$tmp/usr/sbin/policy-rc.d"
	# shellcheck disable=SC2086
	private sh -ec '
		root=$1; shift
		mount -t proc proc "$root/proc"
		mount --rbind /dev "$root/dev"
		chroot "$root" /usr/bin/env -i DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			sh -ec "apt-get -q update && apt-get -q install -y --no-install-recommends $* && apt-get clean"
	' build "$tmp" $pkgs >"$cache/apt-$key.log" 2>&1 ||
		{ tail -n 30 "$cache/apt-$key.log" >&2; die "installing the packages failed (log: $cache/apt-$key.log)"; }
	rm -f "$tmp/usr/sbin/policy-rc.d"
	echo "$pkgs" >"$tmp/.goswan-fresh-packages"
	rm -rf "$root"
	mv "$tmp" "$root"
	rm -f "$cache/debootstrap-$key.log" "$cache/apt-$key.log"
}

# Roots of other package lists that were not used for two weeks go.
if [ -d "$cache" ]; then
	find "$cache" -mindepth 1 -maxdepth 1 -name 'root-*' ! -name "root-$key" -mtime +14 \
		-exec rm -rf {} + 2>/dev/null || true
	rm -rf "$cache"/build-*
fi
t_root=$(date +%s)
if [ -f "$root/.goswan-fresh-packages" ]; then
	say "cached root $root ($pkgs)"
	touch "$root"
else
	build_root
fi
t_root=$(($(date +%s) - t_root))

# The run's scratch directory; scratch directories of runs that died
# without cleaning up (their PID gone) are removed first.
scratch_base=/var/tmp/goswan-fresh
mkdir -p "$scratch_base"
for d in "$scratch_base"/run-*; do
	[ -d "$d" ] || continue
	pid=${d##*/run-}
	pid=${pid%%.*}
	kill -0 "$pid" 2>/dev/null || rm -rf "$d"
done
run=$(mktemp -d "$scratch_base/run-$$.XXXXXX")
cleanup() {
	if [ -n "${FRESH_KEEP:-}" ]; then
		echo "fresh-check: kept $run"
	else
		rm -rf "$run"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$run/upper" "$run/work" "$run/merged"

commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	say "note: the working tree has uncommitted changes; the check runs commit $commit as cloned"
fi
say "running $what in a fresh root (commit ${commit:0:12})"

# The run: private mount and PID namespaces (the PID namespace's init is the
# sh below; when it exits the kernel kills everything left in it, and with
# the last process the mount namespace and all its mounts go).
# The module proxy settings and HTTP proxies of this machine, so that Go
# downloads the modules the way it does here.
netenv="GOPROXY=$("$GO" env GOPROXY) GOSUMDB=$("$GO" env GOSUMDB)"
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
	[ -z "${!v:-}" ] || netenv="$netenv $v=${!v}"
done
[ -f /etc/ssl/certs/ca-certificates.crt ] || die "no /etc/ssl/certs/ca-certificates.crt to give the root"
log=$run/log
private sh -c '
	set -e
	root=$1 run=$2 repo=$3 commit=$4 goroot=$5 netenv=$6 commands=$7
	m=$run/merged
	mount -t overlay -o "lowerdir=$root,upperdir=$run/upper,workdir=$run/work" goswan-fresh "$m"
	mount -t proc proc "$m/proc"
	mount -t sysfs sysfs "$m/sys"
	mount --rbind /dev "$m/dev"
	mount -t tmpfs -o mode=0755 goswan-fresh-run "$m/run"
	# This machine'"'"'s way to the network: its resolver and the CAs it
	# trusts (a TLS proxy may stand between it and the module proxy).
	cp /etc/resolv.conf "$m/etc/resolv.conf"
	mkdir -p "$m/etc/ssl/certs"
	cp /etc/ssl/certs/ca-certificates.crt "$m/etc/ssl/certs/ca-certificates.crt"
	cp -a "$goroot" "$m/usr/local/go"
	git clone -q --no-hardlinks "$repo" "$m/root/goswan"
	git -C "$m/root/goswan" checkout -q --detach "$commit"
	# The newcomer'"'"'s session, run from the root'"'"'s own shell once the
	# root is the root of this mount namespace: pivot_root, not chroot, or
	# a process entering a network host'"'"'s mount namespace (nsenter) would
	# land in this machine'"'"'s file system instead.
	{
	echo "commands=\"$commands\""
	cat <<-"EOF"
	umount -l /.oldroot && rmdir /.oldroot
	cd /root/goswan
	rc=0
	IFS=";"
	for cmd in $commands; do
		unset IFS
		t0=$(date +%s)
		echo "fresh-check: $ $cmd"
		if sh -c "$cmd"; then
			echo "fresh-check: $cmd passed in $(($(date +%s) - t0))s"
		else
			echo "fresh-check: $cmd FAILED after $(($(date +%s) - t0))s"
			rc=1
		fi
	done
	exit $rc
	EOF
	} >"$m/run/fresh-session"
	cd "$m"
	mkdir .oldroot
	pivot_root . .oldroot
	# shellcheck disable=SC2086
	exec /usr/bin/env -i HOME=/root USER=root LOGNAME=root SHELL=/bin/sh LANG=C.UTF-8 TERM=dumb $netenv \
		PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		/bin/sh /run/fresh-session
' fresh "$root" "$run" "$repo" "$commit" "$goroot" "$netenv" "$commands" > >(tee "$log") 2>&1 &
child=$!
interrupted=
trap 'interrupted=1; kill -KILL "$child" 2>/dev/null || true' INT TERM HUP
rc=0
wait "$child" || rc=$?
while kill -0 "$child" 2>/dev/null; do wait "$child" || rc=$?; done
wait # tee
[ -z "$interrupted" ] || { echo "fresh-check: interrupted"; exit 130; }

# What is missing: the programs the failed commands could not find, named by
# the Debian package that has them on this machine.
missing() {
	grep -oE 'exec: "[^"]+": executable file not found|(^|[ :])[0-9]*: ?[A-Za-z0-9_.+-]+: (command )?not found|needs [A-Za-z0-9_.+-]+ \(Debian package [a-z0-9.+-]+' "$log" |
		sed -E -e 's/^exec: "([^"]+)".*/\1/' -e 's/^needs ([^ ]+) \(Debian package (.*)/\1 \2/' \
			-e 's/.*: ?([A-Za-z0-9_.+-]+): (command )?not found$/\1/' | sort -u |
		while read -r prog pkg; do
			prog=${prog##*/}
			if [ -z "${pkg:-}" ]; then
				pkg=$(dpkg -S "bin/$prog" 2>/dev/null | awk -F: -v p="$prog" '$2 ~ "/s?bin/" p "$" { print $1; exit }')
			fi
			echo "$prog ${pkg:-?}"
		done | sort -u # "ip" found by two messages names iproute2 once
}
echo
if [ "$rc" = 0 ]; then
	say "PASSED: $what on a fresh $suite root (root ${t_root}s, total $(($(date +%s) - t_start))s)"
	exit 0
fi
found=$(missing)
if [ -n "$found" ]; then
	while read -r prog pkg; do
		if [ "$pkg" = "?" ]; then
			say "MISSING: $prog (no installed Debian package here has it)"
		else
			say "MISSING: $prog, from Debian package $pkg"
		fi
	done <<<"$found"
	pkgs_missing=$(awk '$2 != "?" { print $2 }' <<<"$found" | sort -u | tr '\n' ' ')
	if [ -n "${FRESH_CI:-}" ]; then
		[ -z "$pkgs_missing" ] || say "FAILED: CI's machine lacks: $pkgs_missing— .ci/packages.txt must list them for lane \"test\" (or the tests must not need them)"
	else
		[ -z "$pkgs_missing" ] || say "FAILED: the fresh machine lacks: $pkgs_missing— README.md and $list must name them (or the commands must not need them)"
	fi
fi
say "FAILED: see the output above (log: $log; FRESH_KEEP=1 keeps it); total $(($(date +%s) - t_start))s"
exit 1
