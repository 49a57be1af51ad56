#!/bin/bash
# make bench: TCP throughput alice -> bob through the tunnel, goswan's data
# plane (hand-keyed, AES-GCM-16) against strongSwan's kernel-libipsec
# (negotiated by Debian's charon, AES-GCM-16), in the same run, and the ratio.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
# A prefix of this run's own (short: it names the TUN device too), so that
# two benchmarks at the same time never tear down each other's namespaces.
export GSL_PREFIX=${GSL_PREFIX:-gsl$(od -An -N2 -tx2 /dev/urandom | tr -d ' ')}
. "$here/libipsec-netns.sh"
trap 'topo_down; rm -rf "$WORK"' EXIT
SECS=${GSL_BENCH_SECS:-10}
go build -o "$HANDKEY" "$here/../../kernel_libipsec/cmd/libipsec-handkey"

measure() {
	ip netns exec "$P-bob" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	local spid=$!
	# Until bob listens on 5201 (0x1451, state 0A), however busy the machine.
	for _ in $(seq 200); do
		ip netns exec "$P-bob" grep -qE '^ *[0-9]+: [0-9A-F]+:1451 0+:0000 0A ' /proc/net/tcp /proc/net/tcp6 && break
		sleep 0.1
	done
	ip netns exec "$P-alice" iperf3 -c 10.2.0.10 -p 5201 -t "$SECS" -J >"$WORK/$1.json"
	wait "$spid" 2>/dev/null || true
	python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['end']['sum_received']['bits_per_second'])" "$WORK/$1.json"
}

topo_up
start_goswan
ip netns exec "$P-alice" ping -c 1 -W 2 10.2.0.10 >/dev/null
gs=$(measure goswan)
stop_all
topo_up
start_strongswan
ip netns exec "$P-alice" ping -c 1 -W 2 10.2.0.10 >/dev/null
ss=$(measure strongswan)
python3 - "$gs" "$ss" <<'PY'
import sys
gs, ss = float(sys.argv[1]), float(sys.argv[2])
print(f"goswan kernel_libipsec:     {gs/1e6:9.1f} Mbit/s")
print(f"strongSwan kernel-libipsec: {ss/1e6:9.1f} Mbit/s")
print(f"ratio goswan/strongSwan:    {gs/ss:9.1f}x")
PY
