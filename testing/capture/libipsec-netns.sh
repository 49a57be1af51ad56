#!/bin/bash
# Namespace topology and runners for goswan's userspace ESP data plane and
# for Debian's strongSwan with kernel-libipsec, as strongSwan's test
# network in small:
#
#   alice 10.1.0.10 -- 10.1.0.1 moon 192.168.0.1 -- 192.168.0.2 sun 10.2.0.1 -- 10.2.0.10 bob
#
# Every namespace, veth and file carries the prefix gsl- (one helper per
# prefix on this shared machine). Needs root, iproute2, iperf3, tcpdump and,
# for the strongSwan runs, Debian's strongswan-starter/charon.
#
# Usage (sourced by the bench and capture scripts, or run directly):
#   libipsec-netns.sh up|down
#   libipsec-netns.sh goswan     # start hand-keyed goswan data planes on moon and sun
#   libipsec-netns.sh strongswan # start charon (kernel-libipsec) on moon and sun, PSK, auto=start
#   libipsec-netns.sh stop       # stop what goswan/strongswan started
set -eu

P=${GSL_PREFIX:-gsl}
WORK=${GSL_WORK:-/tmp/$P-netns}
HANDKEY=${GSL_HANDKEY:-$WORK/libipsec-handkey}
NS="$P-alice $P-moon $P-sun $P-bob"
ESP_PROPOSAL=${GSL_ESP:-aes128gcm16}
mkdir -p "$WORK"

nsx() { local ns=$1; shift; ip netns exec "$P-$ns" "$@"; }

topo_up() {
	topo_down 2>/dev/null || true
	for n in $NS; do ip netns add "$n"; ip -n "$n" link set lo up; done
	ip link add "$P-am" netns "$P-alice" type veth peer name "$P-ma" netns "$P-moon"
	ip link add "$P-ms" netns "$P-moon" type veth peer name "$P-sm" netns "$P-sun"
	ip link add "$P-sb" netns "$P-sun" type veth peer name "$P-bs" netns "$P-bob"
	ip -n "$P-alice" addr add 10.1.0.10/16 dev "$P-am"
	ip -n "$P-moon" addr add 10.1.0.1/16 dev "$P-ma"
	ip -n "$P-moon" addr add 192.168.0.1/24 dev "$P-ms"
	ip -n "$P-sun" addr add 192.168.0.2/24 dev "$P-sm"
	ip -n "$P-sun" addr add 10.2.0.1/16 dev "$P-sb"
	ip -n "$P-bob" addr add 10.2.0.10/16 dev "$P-bs"
	for l in alice:am moon:ma moon:ms sun:sm sun:sb bob:bs; do
		ip -n "$P-${l%%:*}" link set "$P-${l##*:}" up
	done
	ip -n "$P-alice" route add default via 10.1.0.1
	ip -n "$P-bob" route add default via 10.2.0.1
	nsx moon sysctl -qw net.ipv4.ip_forward=1
	nsx sun sysctl -qw net.ipv4.ip_forward=1
}

topo_down() {
	stop_all
	for n in $NS; do ip netns del "$n" 2>/dev/null || true; done
}

# Keys: AES-GCM-16 with 128-bit key, 4-byte salt appended.
K_MS=000102030405060708090a0b0c0d0e0f10111213 # moon -> sun
K_SM=202122232425262728292a2b2c2d2e2f30313233 # sun -> moon

start_goswan() {
	ip netns exec "$P-moon" "$HANDKEY" -local 192.168.0.1 -remote 192.168.0.2 -local-ts 10.1.0.0/16 -remote-ts 10.2.0.0/16 \
		-spi-in c0000002 -spi-out c0000001 -enc 20 -key-in $K_SM -key-out $K_MS -tun "$P-ipsec0" \
		>"$WORK/moon.handkey.log" 2>&1 &
	echo $! >"$WORK/moon.pid"
	ip netns exec "$P-sun" "$HANDKEY" -local 192.168.0.2 -remote 192.168.0.1 -local-ts 10.2.0.0/16 -remote-ts 10.1.0.0/16 \
		-spi-in c0000001 -spi-out c0000002 -enc 20 -key-in $K_MS -key-out $K_SM -tun "$P-ipsec0" \
		>"$WORK/sun.handkey.log" 2>&1 &
	echo $! >"$WORK/sun.pid"
	for h in moon sun; do
		for _ in $(seq 50); do grep -q ready "$WORK/$h.handkey.log" 2>/dev/null && break; sleep 0.1; done
		grep -q ready "$WORK/$h.handkey.log" || { cat "$WORK/$h.handkey.log"; return 1; }
	done
}

# strongSwan host files, written fresh for every run.
ss_files() {
	local h=$1 me=$2 peer=$3 mynet=$4 peernet=$5 auto=$6 d="$WORK/ss-$1"
	mkdir -p "$d"
	rm -f "$d/charon.log"
	cat >"$d/strongswan.conf" <<EOC
charon {
	load_modular = yes
	plugins {
		include /etc/strongswan.d/charon/*.conf
		kernel-libipsec {
			load = yes
		}
	}
	filelog {
		charon {
			path = $d/charon.log
			time_format = %b %e %T
			default = 1
			chd = 4
			esp = 2
			knl = 2
			flush_line = yes
		}
	}
	syslog {
		daemon {
			default = -1
		}
	}
}
EOC
	cat >"$d/ipsec.conf" <<EOC
config setup
conn gsl
	left=$me
	leftsubnet=$mynet
	leftid=$me
	right=$peer
	rightsubnet=$peernet
	rightid=$peer
	authby=secret
	keyexchange=ikev2
	ike=aes128-sha256-x25519!
	esp=$ESP_PROPOSAL!
	auto=$auto
EOC
	echo "$me $peer : PSK \"gsl-libipsec-bench-secret\"" >"$d/ipsec.secrets"
}

start_strongswan() {
	ss_files sun 192.168.0.2 192.168.0.1 10.2.0.0/16 10.1.0.0/16 add
	ss_files moon 192.168.0.1 192.168.0.2 10.1.0.0/16 10.2.0.0/16 start
	for h in sun moon; do
		local d="$WORK/ss-$h"
		# Private mount namespace: own /run and config files, the machine's
		# /etc and /run stay untouched.
		ip netns exec "$P-$h" unshare -m --propagation private sh -c "
			mount -t tmpfs tmpfs /run
			mount --bind $d/strongswan.conf /etc/strongswan.conf
			mount --bind $d/ipsec.conf /etc/ipsec.conf
			mount --bind $d/ipsec.secrets /etc/ipsec.secrets
			exec /usr/lib/ipsec/starter --nofork" >"$d/starter.out" 2>&1 &
		echo $! >"$WORK/$h.pid"
		# The responder must have its connection loaded before moon initiates.
		for _ in $(seq 100); do
			grep -q "added configuration 'gsl'" "$d/charon.log" 2>/dev/null && break
			sleep 0.1
		done
	done
	for _ in $(seq 100); do
		grep -q "CHILD_SA gsl{[0-9]*} established" "$WORK/ss-moon/charon.log" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "strongSwan CHILD_SA not established" >&2
	return 1
}

stop_all() {
	for h in moon sun; do
		if [ -f "$WORK/$h.pid" ]; then
			local pid; pid=$(cat "$WORK/$h.pid")
			kill "$pid" 2>/dev/null || true
			for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
			kill -9 "$pid" 2>/dev/null || true
			rm -f "$WORK/$h.pid"
		fi
	done
}

case "${1:-}" in
up) topo_up ;;
down) topo_down ;;
goswan) start_goswan ;;
strongswan) start_strongswan ;;
stop) stop_all ;;
"") ;;
*) echo "usage: $0 up|down|goswan|strongswan|stop" >&2; exit 2 ;;
esac
