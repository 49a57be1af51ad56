#!/usr/bin/env bash
# ike-capture.sh - capture real IKEv2 traffic between two Debian charons 5.9.8
#
# Usage (root): testing/capture/ike-capture.sh [OUTDIR] [RUN...]
#   OUTDIR defaults to encoding/testdata/capture, RUN to "default frag gcm eapcp".
#
# Every run builds two network namespaces, gsePID-moon (192.168.0.1, 10.1.0.1)
# and gsePID-sun (192.168.0.2, 10.2.0.1), linked by the veth pair
# gse-moon0/gse-sun0 (made inside them).
# Each host gets a private mount namespace with a tmpfs on /run and its own
# ipsec.conf, ipsec.secrets and strongswan.conf bind-mounted over /etc, so the
# machine's /etc and /run are never touched. charon uses kernel-libipsec
# (this kernel has XFRM but no ESP).
#
# What a run does: tcpdump on moon's veth, `ipsec up`, a CHILD_SA rekey
# (`ipsec stroke rekey 'net-net{1}'`), an IKE_SA rekey (`... 'net-net[1]'`),
# `ipsec down`. The eapcp run only brings a roadwarrior connection up and down.
#
# What it stores in OUTDIR/RUN/:
#   packets/NN_<EXCHANGE>_<request|response>_<from>-<to>[_fragN-of-M].bin
#       the UDP payload of every IKE packet in capture order, with the
#       non-ESP marker of port 4500 stripped (so every file starts with the
#       IKE header);
#   moon.charon.log, sun.charon.log
#       charon's file loggers with ike 4, enc 4, cfg 2, knl 2, net 2, chd 2:
#       the level-4 lines carry the DH secret, nonces, SKEYSEED and SK_*;
#   moon/, sun/  the ipsec.conf, ipsec.secrets and strongswan.conf used;
#   ike.pcap     the raw capture; commands.txt  the output of each command.
#
# Processes are ended by PID and the namespaces removed on every exit path.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/encoding/testdata/capture}
shift || true
RUNS=${*:-default frag gcm eapcp}

# Names of this run's own, so that runs at the same time (two make tests on
# one machine) never meet: one's cleanup deletes only its namespaces.
NS_MOON=gse$$-moon
NS_SUN=gse$$-sun
PIDS=()          # anchor processes (one per host) and tcpdump
CUR=""           # directory of the run in progress

die() { echo "ike-capture: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (network and mount namespaces)"
for c in ip unshare nsenter tcpdump tshark python3 /usr/lib/ipsec/charon /usr/sbin/ipsec; do
	command -v "$c" >/dev/null || die "missing $c"
done

# shellcheck source=testing/capture/hosts.sh
. "$ROOT/testing/capture/hosts.sh"
TAG=gse
trap cleanup EXIT
trap 'exit 130' INT TERM

# write_configs RUN: the configuration of both hosts for RUN.
write_configs() {
	local run=$1 h me peer mynet peernet myid peerid extra
	for h in moon sun; do
		mkdir -p "$CUR/$h"
		if [ "$h" = moon ]; then
			me=192.168.0.1; peer=192.168.0.2; mynet=10.1.0.0/16; peernet=10.2.0.0/16
			myid=moon.strongswan.org; peerid=sun.strongswan.org
		else
			me=192.168.0.2; peer=192.168.0.1; mynet=10.2.0.0/16; peernet=10.1.0.0/16
			myid=sun.strongswan.org; peerid=moon.strongswan.org
		fi
		extra=""
		case $run in
		frag) extra="fragment_size = 256" ;;
		esac
		cat >"$CUR/$h/strongswan.conf" <<-EOF
		# strongswan.conf of $h for the '$run' capture (testing/capture/ike-capture.sh)
		charon {
		  load = random nonce aes sha1 sha2 hmac gcm kdf openssl pem pkcs1 x509 gmp curve25519 md5 eap-md5 eap-identity attr stroke kernel-libipsec kernel-netlink socket-default
		  retransmit_tries = 3
		  retransmit_timeout = 2.0
		  $extra
		  filelog {
		    ike-capture {
		      path = $CUR/$h.charon.log
		      time_format = %b %e %T
		      append = no
		      flush_line = yes
		      default = 1
		      ike = 4
		      enc = 4
		      cfg = 2
		      knl = 2
		      net = 2
		      chd = 2
		    }
		  }
		}
		EOF
		{
			echo "# ipsec.conf of $h for the '$run' capture (testing/capture/ike-capture.sh)"
			echo
			echo "config setup"
			echo "	charondebug=\"ike 4, enc 4, cfg 2, knl 2, net 2, chd 2\""
			echo
			echo "conn %default"
			echo "	ikelifetime=60m"
			echo "	keylife=20m"
			echo "	rekeymargin=3m"
			echo "	keyingtries=1"
			echo "	keyexchange=ikev2"
			echo "	mobike=no"
			echo
			if [ "$run" = eapcp ]; then
				echo "conn rw-eap"
				echo "	left=$me"
				echo "	leftid=@$myid"
				echo "	right=$peer"
				echo "	rightid=@$peerid"
				if [ "$h" = moon ]; then
					# moon is the roadwarrior: EAP-MD5 client asking for a virtual IP
					echo "	leftauth=eap-md5"
					echo "	leftsourceip=%config4"
					echo "	rightauth=psk"
					echo "	rightsubnet=$peernet"
				else
					echo "	leftauth=psk"
					echo "	leftsubnet=$mynet"
					echo "	rightauth=eap-md5"
					echo "	rightsourceip=10.3.0.0/28"
					echo "	rightdns=10.2.0.53"
					echo "	eap_identity=%identity"
				fi
				echo "	auto=add"
			else
				echo "conn net-net"
				echo "	authby=secret"
				echo "	left=$me"
				echo "	leftid=@$myid"
				echo "	right=$peer"
				echo "	rightid=@$peerid"
				case $run in
				gcm)
					# an AEAD IKE proposal, PFS on the CHILD_SA, IPv6 selectors,
					# and UDP encapsulation forced so IKE moves to port 4500
					echo "	forceencaps=yes"
					echo "	leftsubnet=$mynet,fd0${mynet:3:1}::/64"
					echo "	rightsubnet=$peernet,fd0${peernet:3:1}::/64"
					echo "	ike=aes256gcm16-prfsha384-ecp384!"
					echo "	esp=aes256gcm16-ecp384!"
					;;
				*)
					echo "	leftsubnet=$mynet"
					echo "	rightsubnet=$peernet"
					;;
				esac
				[ "$run" = frag ] && echo "	fragmentation=force"
				echo "	auto=add"
			fi
		} >"$CUR/$h/ipsec.conf"
		{
			echo "# ipsec.secrets of $h for the '$run' capture (testing/capture/ike-capture.sh)"
			echo "@moon.strongswan.org @sun.strongswan.org : PSK \"gse capture 7Qx2-vLm9-pW4r\""
			[ "$run" = eapcp ] && echo "moon.strongswan.org : EAP \"gse-eap-Kp3s\""
		} >"$CUR/$h/ipsec.secrets"
		chmod 600 "$CUR/$h/ipsec.secrets"
	done
}

# run_cmd HOST CMD...: run a command inside HOST and log it to commands.txt.
run_cmd() {
	local h=$1
	shift
	echo "### $h: $*" >>"$CUR/commands.txt"
	local rc=0
	hx "$h" "$@" >>"$CUR/commands.txt" 2>&1 || rc=$?
	echo "### rc=$rc" >>"$CUR/commands.txt"
}

# extract_packets: one file per IKE packet of ike.pcap, prints the count.
extract_packets() {
	local n=0 no src dst sport dport hex ex flags resp name
	mkdir -p "$CUR/packets"
	rm -f "$CUR"/packets/*.bin
	tshark -r "$CUR/ike.pcap" -T fields -E separator=' ' \
		-e frame.number -e ip.src -e ip.dst -e udp.srcport -e udp.dstport -e udp.payload |
		while read -r no src dst sport dport hex; do
			hex=${hex//:/}
			if [ "$sport" = 4500 ] || [ "$dport" = 4500 ]; then
				# keepalives (0xff) and ESP (non-zero SPI) are not IKE
				[ "${hex:0:8}" = 00000000 ] || continue
				hex=${hex:8}
			fi
			[ ${#hex} -ge 56 ] || continue
			n=$((n + 1))
			case $((16#${hex:36:2})) in
			34) ex=IKE_SA_INIT ;;
			35) ex=IKE_AUTH ;;
			36) ex=CREATE_CHILD_SA ;;
			37) ex=INFORMATIONAL ;;
			*) ex=EXCHANGE_$((16#${hex:36:2})) ;;
			esac
			flags=$((16#${hex:38:2}))
			if [ $((flags & 0x20)) -ne 0 ]; then resp=response; else resp=request; fi
			[ "$src" = 192.168.0.1 ] && src=moon || src=sun
			[ "$dst" = 192.168.0.1 ] && dst=moon || dst=sun
			name=$(printf '%02d_%s_%s_%s-%s' "$n" "$ex" "$resp" "$src" "$dst")
			# an SKF payload right after the header: note its number/total
			if [ $((16#${hex:32:2})) = 53 ]; then
				name+=$(printf '_frag%d-of-%d' $((16#${hex:64:4})) $((16#${hex:68:4})))
			fi
			# hex to bytes with python3 (which CI has), not xxd (which it
			# need not)
			python3 -c 'import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))' "$hex" >"$CUR/packets/$name.bin"
		done
	ls "$CUR/packets" | wc -l
}

one_run() {
	local run=$1 conn=net-net i
	CUR=$OUT/$run
	echo "== run $run -> $CUR"
	rm -rf "$CUR"
	mkdir -p "$CUR"
	write_configs "$run"
	[ "$run" = eapcp ] && conn=rw-eap

	start_hosts
	hx moon sh -c 'ip link set lo up; ip link set gse-moon0 up;
		ip addr add 192.168.0.1/24 dev gse-moon0; ip addr add 10.1.0.1/16 dev lo;
		ip addr add fd01::1/64 dev lo'
	hx sun sh -c 'ip link set lo up; ip link set gse-sun0 up;
		ip addr add 192.168.0.2/24 dev gse-sun0; ip addr add 10.2.0.1/16 dev lo;
		ip addr add fd02::1/64 dev lo'

	# exec keeps the PID: $! is tcpdump itself, so it can be ended by PID
	(exec nsenter -t "$(cat "$CUR/.moon.pid")" -m -n -- tcpdump -U -n -i gse-moon0 -s 0 \
		-w "$CUR/ike.pcap" 'udp port 500 or udp port 4500' 2>"$CUR/.tcpdump.err") &
	local tcpdump_pid=$!
	PIDS+=("$tcpdump_pid")
	wait_for "$CUR/.tcpdump.err" 'listening on' 1

	run_cmd sun ipsec start
	run_cmd moon ipsec start
	wait_for "$CUR/sun.charon.log" "added configuration '$conn'" 1
	wait_for "$CUR/moon.charon.log" "added configuration '$conn'" 1

	run_cmd moon ipsec up "$conn"
	grep -q "connection '$conn' established successfully" "$CUR/commands.txt" ||
		die "ipsec up $conn failed, see $CUR/commands.txt"

	if [ "$run" != eapcp ]; then
		run_cmd moon ipsec stroke rekey "$conn{1}"
		# the rekey ends with moon's INFORMATIONAL deleting the old CHILD_SA
		wait_for "$CUR/moon.charon.log" 'parsed INFORMATIONAL response [0-9]+ \[ D \]' 1
		run_cmd moon ipsec stroke rekey "$conn[1]"
		wait_for "$CUR/moon.charon.log" 'parsed INFORMATIONAL response [0-9]+ \[ \]' 1
	fi
	run_cmd moon ipsec down "$conn"
	wait_for "$CUR/sun.charon.log" 'IKE_SA deleted' 1
	run_cmd moon ipsec statusall
	run_cmd sun ipsec statusall

	# tcpdump writes packet-buffered (-U); count what the logs say was sent
	local sent
	sent=$(cat "$CUR/moon.charon.log" "$CUR/sun.charon.log" |
		grep -cE 'sending packet: .* bytes\)$' || true)
	for i in $(seq 1 50); do
		[ "$(tshark -r "$CUR/ike.pcap" 2>/dev/null | wc -l)" -ge "$sent" ] && break
		sleep 0.1
	done
	kill -TERM "$tcpdump_pid" 2>/dev/null || true
	wait "$tcpdump_pid" 2>/dev/null || true

	run_cmd moon ipsec stop
	run_cmd sun ipsec stop
	cleanup || true
	trap cleanup EXIT

	local got
	got=$(extract_packets)
	echo "   $got IKE packets (charon logged $sent sends)"
	[ "$got" -eq "$sent" ] || die "run $run: captured $got IKE packets, charon sent $sent"
	rm -f "$CUR/.tcpdump.err"
	CUR=""
}

mkdir -p "$OUT"
for r in $RUNS; do
	one_run "$r"
done
echo "ike-capture: done, data in $OUT"
