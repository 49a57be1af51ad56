#!/bin/sh
# The kernel lane's package tests (`make vmtest`): runs the kernel_netlink
# tests and a two-daemon tunnel (testing/vm/daemon) on Debian's stock
# kernel, which has ESP (esp4, esp6, xfrm_user, ... as modules), under qemu
# with TCG. The guest is this machine's own userland (its root shared
# read-only over virtio-9p under a RAM overlay, testing/internal/vm), so
# the test binaries run from where they are built, in their package
# directories; the result comes back as the guest command's exit status.
#
# Needs the packages of testing/vm/README.md:
#   qemu-system-x86 linux-image-amd64 busybox-static iproute2 kmod
#
# Environment: GSN_VM_KERNEL (vmlinuz path; default: newest /boot/vmlinuz-*),
# GSN_VM_RUN (go test -run pattern; default all), GSN_VM_TIMEOUT (seconds,
# default 900), GO (go command).
set -eu
cd "$(dirname "$0")/../.."
GO=${GO:-go}
timeout_s=${GSN_VM_TIMEOUT:-900}
run=${GSN_VM_RUN:-.}

fail() { echo "vmtest: $*" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || fail "no qemu-system-x86_64 (apt-get install qemu-system-x86)"

# Below the repository, so that the guest sees the binaries at the same
# paths; removed again on every exit.
mkdir -p testing/.bin
work=$(mktemp -d "$PWD/testing/.bin/vmtest.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

echo "vmtest: building the test binaries, goswan and the guest launcher"
CGO_ENABLED=0 "$GO" test -c -o "$work/kernel_netlink.test" ./kernel_netlink
CGO_ENABLED=0 "$GO" test -c -o "$work/daemon.test" ./testing/vm/daemon
CGO_ENABLED=0 "$GO" build -o "$work/bin/charon" ./cmd/charon
CGO_ENABLED=0 "$GO" build -o "$work/bin/ipsec" ./cmd/ipsec
# mip6d's part in the MIGRATE test: sends XFRM_MSG_MIGRATE
CGO_ENABLED=0 "$GO" build -o "$work/bin/xfrm-migrate" ./testing/cmd/xfrm-migrate
"$GO" build -o testing/.bin/vm ./testing/cmd/vm

# Each test binary runs in its package directory, as go test runs it
# (kernel_netlink's testdata, ../crypto/testdata). GOSWAN_VM=1: ESP tests
# that would skip on an ESP-less kernel fail if ESP is missing. The guest's
# /etc/protocols and /etc/services (for iproute2's output and the daemons'
# selectors) are Debian's netbase, as the tests have it (testing/netbase),
# not whatever this machine has: copied into the guest's RAM layer of /etc.
# testing/vm/daemon's seed test finds seeds/004's configuration and the test
# PKI from its package directory (starter/testdata/seed004, testing/hosts).
testrun=$((timeout_s - 120))
status=0
testing/.bin/vm --timeout "${timeout_s}s" --env GOSWAN_VM=1 --env "GOSWAN_BIN=$work/bin" -- sh -c '
	echo "GSN-VM-START kernel $(uname -r)"
	cp testing/netbase/protocols testing/netbase/services /etc/ || exit 2
	cd kernel_netlink && "$1/kernel_netlink.test" -test.v -test.count=1 -test.timeout="$2s" -test.run "$3"
	rc=$?
	# Two goswan daemons with kernel-netlink: the tunnel in the kernel'"'"'s XFRM,
	# MIGRATE and seeds/004 (five tests: 90 s ran out in TestKernelMigrate
	# at load 20).
	cd ../testing/vm/daemon && "$1/daemon.test" -test.v -test.count=1 -test.timeout=300s -test.run "$3"
	rc2=$?
	[ $rc -eq 0 ] && rc=$rc2
	exit $rc' vmtest "$work" "$testrun" "$run" || status=$?
if [ "$status" -ge 125 ]; then
	echo "vmtest: the guest did not report a result" >&2
	exit 1
fi
echo "vmtest: guest tests exited with $status"
exit "$status"
