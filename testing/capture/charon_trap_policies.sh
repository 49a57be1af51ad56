#!/bin/sh
# Captures what Debian's charon (strongSwan 5.9.8, kernel-netlink) installs
# for routed conns (auto=route: trap policies, no SAs) in a private network
# namespace: `ip xfrm policy`, the IPsec routing table and rules, and
# charon's KNL log. The kernel_netlink tests install the same policies
# through goswan's backend and compare with this output.
#
# Usage (root): testing/capture/charon_trap_policies.sh OUTDIR
set -eu
out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
ns=gsn-cap$$
work=$(mktemp -d)
cleanup() {
	if [ -f "$work/charon.pid" ]; then kill "$(cat "$work/charon.pid")" 2>/dev/null || true; fi
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT INT TERM

ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" link add eth0 type veth peer name gsn-peer0
ip -n "$ns" link set gsn-peer0 up
ip -n "$ns" addr add 192.168.0.1/24 dev eth0
ip -n "$ns" addr add 10.1.0.1/16 dev eth0
ip -n "$ns" addr add fec0::1/64 dev eth0 nodad
ip -n "$ns" link set eth0 up

cat > "$work/ipsec.conf" <<'CONF'
config setup

conn %default
	keyexchange=ikev2
	authby=psk
	left=192.168.0.1
	right=192.168.0.2
	auto=route

conn net-net
	leftsubnet=10.1.0.0/16
	rightsubnet=10.2.0.0/16

conn net-net-port
	leftsubnet=10.1.0.0/16[tcp]
	rightsubnet=10.3.0.0/24[tcp/443]

conn host-host
	type=transport
	right=192.168.0.3

conn v6
	left=fec0::1
	right=fec0::2
	leftsubnet=fec1::/16
	rightsubnet=fec2::/16
CONF
cat > "$work/ipsec.secrets" <<'CONF'
: PSK "capture-only"
CONF
cat > "$work/strongswan.conf" <<CONF
charon {
	load = random nonce aes sha1 sha2 hmac pem pkcs1 gmp curve25519 kernel-netlink socket-default stroke
	filelog {
		capture {
			path = $work/charon.log
			default = 1
			knl = 2
			time_format = %b %e %T
		}
	}
}
starter {
	load_warning = no
}
CONF

ip netns exec "$ns" unshare -m --propagation private sh -eu -c '
	work=$1
	mount -t tmpfs tmpfs /run
	mount --bind "$work/ipsec.conf" /etc/ipsec.conf
	mount --bind "$work/ipsec.secrets" /etc/ipsec.secrets
	mount --bind "$work/strongswan.conf" /etc/strongswan.conf
	# starter runs charon and routes the auto=route conns
	/usr/lib/ipsec/starter --nofork >"$work/starter.log" 2>&1 &
	sp=$!
	echo $sp > "$work/charon.pid"
	i=0
	while [ $i -lt 150 ]; do
		n=$(ip xfrm policy | grep -c "^src" || true)
		[ "$n" -ge 12 ] && break
		sleep 0.1; i=$((i+1))
	done
	sleep 0.5
	ip xfrm policy > "$work/xfrm_policy.txt"
	ip route show table 220 > "$work/route_table_220.txt" 2>&1 || true
	ip -6 route show table 220 >> "$work/route_table_220.txt" 2>&1 || true
	ip rule > "$work/rules.txt"
	ip -6 rule >> "$work/rules.txt"
	kill $sp || true
	wait $sp 2>/dev/null || true
' sh "$work"
rm -f "$work/charon.pid"

cp "$work/xfrm_policy.txt" "$work/route_table_220.txt" "$work/rules.txt" "$out/"
# keep the KNL lines without timestamps
sed -E 's/^[A-Z][a-z]{2} [ 0-9]{2} [0-9:]{8} //' "$work/charon.log" | grep '\[KNL\]' > "$out/charon_knl.log" || true
