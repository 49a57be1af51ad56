#!/bin/bash
# Captures ESP-in-UDP between two Debian charons (kernel-libipsec) with the
# CHILD_SA keys they log at "chd 4", for kernel_libipsec's wire tests
# (TestStrongSwanCapture). For each ESP proposal it writes
# kernel_libipsec/testdata/strongswan-<proposal>/{esp.pcap,keys.log}:
# alice pings bob three times through moon and sun.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(cd "$here/../../kernel_libipsec/testdata" && pwd)
. "$here/libipsec-netns.sh"
trap topo_down EXIT
for prop in ${GSL_PROPOSALS:-aes128gcm16 aes256-sha256 chacha20poly1305}; do
	ESP_PROPOSAL=$prop
	topo_up
	start_strongswan
	ip netns exec "$P-moon" tcpdump -q -U -i "$P-ms" -w "$WORK/esp.pcap" udp port 4500 >/dev/null 2>&1 &
	tpid=$!
	sleep 2
	ip netns exec "$P-alice" ping -c 5 -i 0.2 10.2.0.10 >/dev/null
	sleep 1
	kill "$tpid"; wait "$tpid" 2>/dev/null || true
	mkdir -p "$out/strongswan-$prop"
	cp "$WORK/esp.pcap" "$out/strongswan-$prop/esp.pcap"
	# Only the lines about keys and SPIs: the key dumps and "SPI 0x..., src .. dst .." lines.
	grep -E "\[CHD\] (encryption|integrity) (initiator|responder) key|\[CHD\] +[0-9]+: |\[CHD\] +SPI 0x|\[CHD\] adding (in|out)bound|CHILD_SA gsl\{1\} established|selected proposal: ESP" \
		"$WORK/ss-moon/charon.log" >"$out/strongswan-$prop/keys.log"
	topo_down
done
