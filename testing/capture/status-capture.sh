#!/usr/bin/env bash
# status-capture.sh - capture what Debian's charon 5.9.8 prints for
# `ipsec status`, `statusall`, `leases` and `list*` in the cases the live
# captures of reference/strongswan/captures/live/ do not show.
#
# Usage (root): testing/capture/status-capture.sh [OUTDIR]
#   OUTDIR defaults to daemon/testdata/charon-5.9.8/status.
#
# Two network namespaces, gsu-moon (192.168.0.1, 10.1.0.1 on lo) and gsu-sun
# (192.168.0.2, 10.2.0.1 on lo), linked by the veth pair gsu-moon0/gsu-sun0.
# Each host gets a private mount namespace with a tmpfs on /run and its own
# ipsec.conf, ipsec.secrets and strongswan.conf bind-mounted over /etc, so
# the machine's /etc and /run are never touched. charon uses kernel-libipsec
# (this kernel has XFRM but no ESP), which forces UDP encapsulation.
#
# moon's ipsec.conf holds, beside net-net (as in the live captures):
#   dpd          a peer that never answers (192.168.0.3) with DPD: a
#                CONNECTING IKE_SA with its task queues, dpddelay/dpdaction
#   net-gcm      a second CHILD_SA of net-net with AES-GCM and PFS (ECP_256),
#                rekeyed so the new SA shows the DH group
#   norekey      its own IKE_SA with rekey=no ("rekeying disabled")
#   rw-eap       %any...%any, pubkey and EAP-MD5 with %identity, groups and a
#                pool of virtual IPs (10.3.0.0/28)
#   rw-eap-any   EAP without a method, and a vendor EAP method
#   v1-xauth     IKEv1 aggressive mode with XAuth
#   pass-lan-long-name  a passthrough shunt with a name wider than 12
#   trap-http    auto=route, the trap policy of the live captures
#
# Every command's output goes to OUTDIR/<NN>_<host>_<what>.txt exactly as
# the client printed it (stdout only), its exit code to OUTDIR/rc.txt, the
# configuration to OUTDIR/moon/ and OUTDIR/sun/, the daemons' logs to
# OUTDIR/<host>.charon.log. Processes are ended by PID and the namespaces
# removed on every exit path.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$ROOT/daemon/testdata/charon-5.9.8/status}

NS_MOON=gsu-moon
NS_SUN=gsu-sun
PIDS=()
N=0

die() { echo "status-capture: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "must run as root (network and mount namespaces)"
for c in ip unshare nsenter ping /usr/lib/ipsec/charon /usr/sbin/ipsec; do
	command -v "$c" >/dev/null || die "missing $c"
done

# shellcheck source=testing/capture/hosts.sh
. "$ROOT/testing/capture/hosts.sh"
CUR=$OUT
TAG=gsu
trap cleanup EXIT
trap 'exit 130' INT TERM

write_configs() {
	local h me peer mynet peernet myid peerid
	for h in moon sun; do
		mkdir -p "$OUT/$h"
		if [ "$h" = moon ]; then
			me=192.168.0.1; peer=192.168.0.2; mynet=10.1; peernet=10.2
			myid=moon.strongswan.org; peerid=sun.strongswan.org
			gcm="10.1.0.1/32 10.2.0.9/32"; norekey="10.1.0.1/32 10.2.0.8/32"
		else
			me=192.168.0.2; peer=192.168.0.1; mynet=10.2; peernet=10.1
			myid=sun.strongswan.org; peerid=moon.strongswan.org
			gcm="10.2.0.9/32 10.1.0.1/32"; norekey="10.2.0.8/32 10.1.0.1/32"
		fi
		cat >"$OUT/$h/strongswan.conf" <<-EOF
		# strongswan.conf of $h (testing/capture/status-capture.sh)
		charon {
		  load = random nonce aes sha1 sha2 hmac kdf openssl pem pkcs1 x509 gmp md5 eap-md5 eap-identity xauth-generic attr stroke kernel-libipsec kernel-netlink socket-default updown
		  multiple_authentication = no
		  retransmit_tries = 5
		  retransmit_timeout = 4.0
		  filelog {
		    status-capture {
		      path = $OUT/$h.charon.log
		      time_format = %b %e %T
		      append = no
		      flush_line = yes
		      default = 1
		      knl = 2
		    }
		  }
		}
		EOF
		{
			echo "# ipsec.conf of $h (testing/capture/status-capture.sh)"
			echo
			echo "config setup"
			echo "	uniqueids=no"
			echo
			echo "conn %default"
			echo "	ikelifetime=60m"
			echo "	keylife=20m"
			echo "	rekeymargin=3m"
			echo "	keyingtries=1"
			echo "	keyexchange=ikev2"
			echo "	mobike=no"
			echo
			echo "conn net-net"
			echo "	authby=secret"
			echo "	left=$me"
			echo "	leftsubnet=$mynet.0.0/16"
			echo "	leftid=@$myid"
			echo "	right=$peer"
			echo "	rightsubnet=$peernet.0.0/16"
			echo "	rightid=@$peerid"
			echo "	auto=add"
			echo
			echo "conn net-gcm"
			echo "	also=net-net"
			echo "	leftsubnet=${gcm% *}"
			echo "	rightsubnet=${gcm#* }"
			echo "	esp=aes128gcm16-ecp256!"
			echo
			echo "conn norekey"
			echo "	also=net-net"
			echo "	leftsubnet=${norekey% *}"
			echo "	rightsubnet=${norekey#* }"
			echo "	rekey=no"
			if [ "$h" = moon ]; then
				echo
				echo "conn trap-http"
				echo "	also=net-net"
				echo "	leftsubnet=10.1.0.0/16[tcp]"
				echo "	rightsubnet=10.2.0.0/16[tcp/http]"
				echo "	auto=route"
				echo
				echo "conn dpd"
				echo "	authby=secret"
				echo "	left=$me"
				echo "	leftsubnet=10.1.0.0/24"
				echo "	leftid=@$myid"
				echo "	right=192.168.0.3"
				echo "	rightsubnet=10.3.0.0/24"
				echo "	rightid=@dpd.strongswan.org"
				echo "	dpddelay=30s"
				echo "	dpdaction=restart"
				echo "	auto=add"
				echo
				echo "conn rw-eap"
				echo "	left=%any"
				echo "	leftauth=pubkey"
				echo "	leftid=@$myid"
				echo "	leftsubnet=10.1.0.0/16"
				echo "	right=%any"
				echo "	rightauth=eap-md5"
				echo "	eap_identity=%identity"
				echo "	rightgroups=sales,finance"
				echo "	rightsourceip=10.3.0.0/28"
				echo "	auto=add"
				echo
				echo "conn rw-eap-any"
				echo "	left=192.168.0.1"
				echo "	leftauth=psk"
				echo "	right=%any"
				echo "	rightid=%any"
				echo "	rightauth=eap"
				echo "	auto=add"
				echo
				echo "conn rw-eap-vendor"
				echo "	left=192.168.0.1"
				echo "	leftauth=psk"
				echo "	leftid=@$myid"
				echo "	right=10.9.0.0/16"
				echo "	rightauth=eap-192-12345"
				echo "	eap_identity=carol@strongswan.org"
				echo "	auto=add"
				echo
				echo "conn v1-xauth"
				echo "	keyexchange=ikev1"
				echo "	aggressive=yes"
				echo "	authby=xauthpsk"
				echo "	xauth=server"
				echo "	left=$me"
				echo "	leftid=@$myid"
				echo "	right=192.168.0.4"
				echo "	rightid=@v1.strongswan.org"
				echo "	auto=add"
				echo
				echo "conn pass-lan-long-name"
				# kernel-libipsec routes shunted subnets into its TUN
				# device, so keep the IKE peers out of it
				echo "	left=$me"
				echo "	leftsubnet=10.1.0.0/24"
				echo "	right=%any"
				echo "	rightsubnet=192.168.10.0/24"
				echo "	type=passthrough"
				echo "	auto=route"
			fi
		} >"$OUT/$h/ipsec.conf"
		{
			echo "# ipsec.secrets of $h (testing/capture/status-capture.sh)"
			echo "@moon.strongswan.org @sun.strongswan.org : PSK \"gsu capture Lq7-Tz2-Wn5\""
		} >"$OUT/$h/ipsec.secrets"
		chmod 600 "$OUT/$h/ipsec.secrets"
	done
}

# cap HOST WHAT CMD...: run CMD in HOST, its stdout to NN_HOST_WHAT.txt.
cap() {
	local h=$1 what=$2 f rc=0
	shift 2
	N=$((N + 1))
	f=$(printf '%s/%02d_%s_%s.txt' "$OUT" "$N" "$h" "$what")
	hx "$h" "$@" >"$f" 2>/dev/null || rc=$?
	printf '%s rc=%d: %s\n' "$(basename "$f")" "$rc" "$*" >>"$OUT/rc.txt"
}

# child_id HOST NAME: the unique id of the newest INSTALLED CHILD_SA NAME.
child_id() {
	hx "$1" ipsec status "$2" | sed -n "s/^ *$2{\([0-9]*\)}:  INSTALLED.*/\1/p" | tail -n 1
}

rm -rf "$OUT"
mkdir -p "$OUT"
write_configs
start_hosts
hx moon sh -c 'ip link set lo up; ip link set gsu-moon0 up;
	ip addr add 192.168.0.1/24 dev gsu-moon0; ip addr add 10.1.0.1/16 dev lo'
hx sun sh -c 'ip link set lo up; ip link set gsu-sun0 up;
	ip addr add 192.168.0.2/24 dev gsu-sun0; ip addr add 10.2.0.1/16 dev lo;
	ip addr add 10.2.0.8/32 dev lo; ip addr add 10.2.0.9/32 dev lo'

hx sun ipsec start >/dev/null
hx moon ipsec start >/dev/null
wait_for "$OUT/sun.charon.log" "added configuration 'norekey'" 1
wait_for "$OUT/moon.charon.log" "added configuration 'pass-lan-long-name'" 1
sleep 1

cap moon statusall_before ipsec statusall
cap moon status_before ipsec status
cap moon leases ipsec leases
cap moon leases_pool_addr ipsec leases 10.3.0.0/28 10.3.0.5
cap moon leases_nosuch ipsec leases nosuch
cap moon statusall_pool_name ipsec statusall 10.3.0.0/28
cap moon statusall_rw-eap ipsec statusall rw-eap

# an IKE_SA that never gets an answer stays CONNECTING
hx moon ipsec stroke up-nb dpd >/dev/null
wait_for "$OUT/moon.charon.log" "sending packet: from 192.168.0.1\[500\] to 192.168.0.3\[500\]" 1
cap moon status_connecting ipsec status
cap moon statusall_connecting ipsec statusall dpd

hx moon ipsec up net-net >/dev/null
hx moon ipsec up net-gcm >/dev/null
hx moon ipsec up norekey >/dev/null
# three echo requests and replies through net-net, one through net-gcm
hx moon ping -c 3 -i 0.2 -W 2 -I 10.1.0.1 10.2.0.1 >/dev/null || true
hx moon ping -c 1 -W 2 -I 10.1.0.1 10.2.0.9 >/dev/null || true
sleep 2
cap moon statusall_established ipsec statusall
cap moon status_established ipsec status
cap sun statusall_established ipsec statusall
cap moon status_net-gcm ipsec status net-gcm
cap moon statusall-nb ipsec stroke statusall-nb norekey

id=$(child_id moon net-gcm)
[ -n "$id" ] || die "no net-gcm CHILD_SA"
hx moon ipsec stroke rekey "net-gcm{$id}" >/dev/null
wait_for "$OUT/moon.charon.log" "CHILD_SA net-gcm\{[0-9]+\} established with SPIs" 2
sleep 0.5
cap moon statusall_rekeyed ipsec statusall net-gcm

cap moon listalgs ipsec listalgs
cap moon listcerts ipsec listcerts
cap moon listcacerts ipsec listcacerts

hx moon ipsec down net-net >/dev/null
hx moon ipsec stop >/dev/null
hx sun ipsec stop >/dev/null
cleanup || true
trap - EXIT
echo "status-capture: done, data in $OUT"
