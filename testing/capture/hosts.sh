# hosts.sh - the two-host harness (moon and sun) that the charon capture
# scripts share; sourced, not run. One copy, so that how the hosts are built
# and torn down (by PID, every namespace removed) cannot drift between them.
#
# The sourcing script sets, before calling any of these:
#   CUR      the directory of the hosts' files: CUR/HOST/{ipsec.conf,
#            ipsec.secrets,strongswan.conf}, CUR/HOST.charon.log and the
#            anchors' pid files CUR/.HOST.pid ("" while no hosts exist)
#   TAG      a short tag naming the veth pair (TAG-moon0, TAG-sun0), the tmpfs
#            and the ready marker
#   NS_MOON, NS_SUN  the network namespaces
#   PIDS=()  the processes cleanup ends by PID (anchors, and the script's own)
#   die()    its error exit
# and installs `trap cleanup EXIT` itself.

# hx HOST CMD... runs CMD inside the host's network and mount namespace.
hx() {
	local pid
	pid=$(cat "$CUR/.$1.pid")
	shift
	nsenter -t "$pid" -m -n -- "$@"
}

# cleanup stops both charons, ends every process in PIDS by its PID, removes
# the namespaces and keeps the exit code it was called with.
cleanup() {
	local rc=$?
	set +e
	if [ -n "$CUR" ]; then
		for h in moon sun; do
			[ -f "$CUR/.$h.pid" ] || continue
			# ipsec stop signals the starter by the pid in its own /run
			hx "$h" ipsec stop >/dev/null 2>&1
			for f in charon.pid starter.charon.pid; do
				p=$(hx "$h" cat "/run/$f" 2>/dev/null) && kill "$p" 2>/dev/null
			done
		done
	fi
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	PIDS=()
	ip netns del "$NS_MOON" 2>/dev/null
	ip netns del "$NS_SUN" 2>/dev/null
	[ -n "$CUR" ] && rm -f "$CUR"/.*.pid
	return $rc
}

# wait_for FILE REGEX COUNT: poll until FILE has COUNT lines matching REGEX.
wait_for() {
	local i n
	for i in $(seq 1 300); do
		n=$(grep -cE "$2" "$1" 2>/dev/null || true)
		[ "${n:-0}" -ge "$3" ] && return 0
		sleep 0.1
	done
	die "timeout waiting for $3 x '$2' in $1"
}

# start_host HOST: an anchor process holding the host's namespaces, with a
# tmpfs on /run and the host's configuration bind-mounted over /etc.
start_host() {
	local h=$1 ns pid
	if [ "$h" = moon ]; then ns=$NS_MOON; else ns=$NS_SUN; fi
	: >"$CUR/$h.charon.log"
	ip netns exec "$ns" unshare -m --propagation private sh -c "
		mount -t tmpfs -o mode=0755 $TAG-run /run &&
		mount --bind '$CUR/$h/ipsec.conf' /etc/ipsec.conf &&
		mount --bind '$CUR/$h/ipsec.secrets' /etc/ipsec.secrets &&
		mount --bind '$CUR/$h/strongswan.conf' /etc/strongswan.conf &&
		touch /run/.$TAG-ready && exec sleep infinity" &
	pid=$!
	PIDS+=("$pid")
	echo "$pid" >"$CUR/.$h.pid"
	for _ in $(seq 1 50); do
		hx "$h" test -e "/run/.$TAG-ready" 2>/dev/null && return 0
		sleep 0.1
	done
	die "namespace of $h did not come up"
}

# start_hosts: both namespaces, the veth pair TAG-moon0/TAG-sun0 between them
# and both anchors; the caller brings the links up and adds the addresses.
start_hosts() {
	ip netns add "$NS_MOON"
	ip netns add "$NS_SUN"
	ip link add "$TAG-moon0" netns "$NS_MOON" type veth peer name "$TAG-sun0" netns "$NS_SUN"
	start_host moon
	start_host sun
}
