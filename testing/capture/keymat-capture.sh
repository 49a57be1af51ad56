#!/bin/bash
# keymat-capture.sh — run two of Debian's strongSwan 5.9.8 charons against each
# other and record what goswan's crypto package needs to cross-check its key
# derivation: both daemons' logs with ike/chd at level 4 (DH secret, SKEYSEED,
# SK_*, CHILD_SA keys) and enc at level 3 (IV, assoc, ciphertext, ICV of every
# SK payload), the IKE packets as a pcap, and the configs that produced them.
#
#   keymat-capture.sh OUTDIR IKE ESP [STEP...]
#
# IKE and ESP are ipsec.conf ike=/esp= values; "-" leaves the keyword out so
# that charon uses its default proposals. STEPs run in order after `ipsec up`:
#   rekey-child   ipsec stroke rekey net-net{1}, waits for the new CHILD_SA
#   rekey-ike     ipsec stroke rekey net-net[1], waits for the new IKE_SA
#
# Needs root. Each charon runs in its own network and private mount namespace
# (tmpfs on /run, our configs bind-mounted over /etc/ipsec.*); the two are
# linked by the veth pair gsc-m/gsc-s. Everything is torn down on exit.
set -euo pipefail

[ $# -ge 3 ] || { sed -n '2,17p' "$0" >&2; exit 2; }
OUT=$(realpath -m "$1"); IKE=$2; ESP=$3; shift 3
STEPS=("$@")
mkdir -p "$OUT"

WORK=$(mktemp -d /tmp/gsc-keymat.XXXXXX)
PIDS=()
cleanup() {
	set +e
	# Keep what was logged even when a step failed: it says why.
	[ -n "${MOON:-}" ] && nsenter -t "$MOON" -m cat /run/charon.log >"$OUT/moon.log" 2>/dev/null
	[ -n "${SUN:-}" ] && nsenter -t "$SUN" -m cat /run/charon.log >"$OUT/sun.log" 2>/dev/null
	for h in moon sun; do
		pid_var=${h^^}
		[ -n "${!pid_var:-}" ] && nsenter -t "${!pid_var}" -m -n ipsec stop >/dev/null 2>&1
	done
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	rm -rf "$WORK"
}
trap cleanup EXIT

# --- configuration (written here, not copied from anywhere) ---------------
cat >"$WORK/strongswan.conf" <<EOF
# Debian's default plugin set plus kernel-libipsec (this kernel has no ESP).
charon {
	load_modular = yes
	plugins {
		include strongswan.d/charon/*.conf
		kernel-libipsec {
			load = yes
		}
	}
	retransmit_tries = 3
	filelog {
		keys {
			path = /run/charon.log
			time_format = %b %e %T
			default = 1
			cfg = 2
			ike = 4
			chd = 4
			enc = 3
			append = no
			flush_line = yes
		}
	}
}
include strongswan.d/*.conf
EOF

algs=""
[ "$IKE" != "-" ] && algs+=$'\t'"ike=$IKE"$'\n'
[ "$ESP" != "-" ] && algs+=$'\t'"esp=$ESP"$'\n'
write_conf() { # host left leftid right rightid leftsubnet rightsubnet
	cat >"$WORK/$1/ipsec.conf" <<EOF
config setup

conn net-net
	keyexchange=ikev2
	authby=secret
	mobike=no
	reauth=no
	keyingtries=1
	left=$2
	leftid=@$3
	leftsubnet=$6
	right=$4
	rightid=@$5
	rightsubnet=$7
	auto=add
$algs
EOF
	printf '@moon.goswan.test @sun.goswan.test : PSK "capture-only-not-secret"\n' >"$WORK/$1/ipsec.secrets"
	chmod 600 "$WORK/$1/ipsec.secrets"
}
mkdir -p "$WORK/moon" "$WORK/sun"
write_conf moon 192.168.77.1 moon.goswan.test 192.168.77.2 sun.goswan.test 10.77.1.0/24 10.77.2.0/24
write_conf sun 192.168.77.2 sun.goswan.test 192.168.77.1 moon.goswan.test 10.77.2.0/24 10.77.1.0/24

# --- namespaces ------------------------------------------------------------
unshare -m -n --propagation private sleep infinity & MOON=$!; PIDS+=("$MOON")
unshare -m -n --propagation private sleep infinity & SUN=$!; PIDS+=("$SUN")
for _ in $(seq 50); do
	[ "$(readlink /proc/$MOON/ns/net)" != "$(readlink /proc/self/ns/net)" ] &&
	[ "$(readlink /proc/$SUN/ns/net)" != "$(readlink /proc/self/ns/net)" ] && break
	sleep 0.1
done
nsenter -t "$MOON" -n ip link add gsc-m type veth peer name gsc-s netns "$SUN"
setup_host() { # host pid addr subnet-addr dev
	nsenter -t "$2" -m -n sh -ec "
		mount -t tmpfs tmpfs /run
		mount --bind $WORK/$1/ipsec.conf /etc/ipsec.conf
		mount --bind $WORK/$1/ipsec.secrets /etc/ipsec.secrets
		mount --bind $WORK/strongswan.conf /etc/strongswan.conf
		ip link set lo up
		ip link set $5 up
		ip addr add $3/24 dev $5
		ip addr add $4/24 dev lo"
}
setup_host moon "$MOON" 192.168.77.1 10.77.1.1 gsc-m
setup_host sun "$SUN" 192.168.77.2 10.77.2.1 gsc-s

nsenter -t "$MOON" -n tcpdump -i gsc-m -U -s 0 -w "$OUT/ike.pcap" \
	'udp port 500 or udp port 4500' 2>"$WORK/tcpdump.err" & PIDS+=("$!")

wait_for() { # timeout-seconds description command...
	local t=$1 what=$2; shift 2
	for _ in $(seq $((t * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	echo "timed out waiting for $what" >&2; return 1
}
for h in sun moon; do
	pid_var=${h^^}
	nsenter -t "${!pid_var}" -m -n ipsec start >/dev/null
	wait_for 20 "$h charon" nsenter -t "${!pid_var}" -m -n test -S /run/charon.ctl
done
wait_for 10 "tcpdump" grep -q listening "$WORK/tcpdump.err"

nsenter -t "$MOON" -m -n ipsec up net-net | tee "$OUT/up.txt"
wait_for 10 "CHILD_SA" sh -c "nsenter -t $MOON -m cat /run/charon.log | grep -q 'CHILD_SA net-net{1} established'"

for step in "${STEPS[@]}"; do
	case $step in
	rekey-child)
		nsenter -t "$MOON" -m -n ipsec stroke rekey 'net-net{1}'
		wait_for 20 "CHILD_SA rekey" sh -c "nsenter -t $MOON -m cat /run/charon.log | grep -q 'CHILD_SA net-net{2} established'" ;;
	rekey-ike)
		nsenter -t "$MOON" -m -n ipsec stroke rekey 'net-net[1]'
		wait_for 20 "IKE_SA rekey" sh -c "nsenter -t $MOON -m cat /run/charon.log | grep -q 'rekeyed between'"
		# let the DELETE of the old IKE_SA finish
		wait_for 20 "old IKE_SA deletion" sh -c "nsenter -t $MOON -m cat /run/charon.log | grep -q 'IKE_SA deleted'" ;;
	*) echo "unknown step $step" >&2; exit 2 ;;
	esac
done
nsenter -t "$MOON" -m -n ipsec statusall >"$OUT/statusall.txt"
sleep 1 # let the last responses reach the pcap before tcpdump stops
cp "$WORK/moon/ipsec.conf" "$OUT/moon.ipsec.conf"
cp "$WORK/sun/ipsec.conf" "$OUT/sun.ipsec.conf"
cp "$WORK/strongswan.conf" "$OUT/strongswan.conf"
echo "captured into $OUT"
