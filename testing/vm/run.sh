#!/bin/sh
# The kernel lane (`make vmtest`): runs the kernel_netlink tests and a
# two-daemon tunnel (testing/vm/daemon) on Debian's
# stock kernel, which has ESP (esp4, esp6, xfrm_user, ... as modules), under
# qemu with TCG. The guest is an initramfs with busybox, iproute2 and the
# statically linked test binary; the result comes back over the serial
# console as "GSN-VM-EXIT: <status>".
#
# Needs root-free tools only, but the packages of testing/vm/README.md:
#   qemu-system-x86 linux-image-amd64 busybox-static iproute2 cpio
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

kernel=${GSN_VM_KERNEL:-$(ls -1 /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)}
[ -n "$kernel" ] && [ -r "$kernel" ] || fail "no kernel image (apt-get install linux-image-amd64)"
kver=${kernel##*/vmlinuz-}
moddir=/lib/modules/$kver
[ -d "$moddir" ] || fail "no modules for $kver in $moddir"
command -v qemu-system-x86_64 >/dev/null || fail "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
busybox=$(command -v busybox) || fail "no busybox (apt-get install busybox-static)"
ipbin=$(command -v ip) || fail "no ip (apt-get install iproute2)"
command -v cpio >/dev/null || fail "no cpio (apt-get install cpio)"

work=$(mktemp -d /tmp/gsn-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT INT TERM
root=$work/root
mkdir -p "$root/bin" "$root/sbin" "$root/lib" "$root/lib64" "$root/proc" "$root/sys" "$root/dev" \
	"$root/run" "$root/tmp" "$root/var" "$root/etc" "$root/work" "$root/usr/bin" "$root/usr/sbin"

echo "vmtest: building the test binaries and goswan"
CGO_ENABLED=0 "$GO" test -c -o "$root/work/kernel_netlink.test" ./kernel_netlink
CGO_ENABLED=0 "$GO" test -c -o "$root/work/daemon.test" ./testing/vm/daemon
mkdir -p "$root/work/bin"
CGO_ENABLED=0 "$GO" build -o "$root/work/bin/charon" ./cmd/charon
CGO_ENABLED=0 "$GO" build -o "$root/work/bin/ipsec" ./cmd/ipsec
# mip6d's part in the MIGRATE test: sends XFRM_MSG_MIGRATE
CGO_ENABLED=0 "$GO" build -o "$root/work/bin/xfrm-migrate" ./testing/cmd/xfrm-migrate
cp -r kernel_netlink/testdata "$root/work/"
# seeds/004's home agent configuration and the test PKI's host files, for
# testing/vm/daemon's seed test
cp -r starter/testdata/seed004 "$root/work/seed004"
for h in moon carol dave; do
	mkdir -p "$root/work/pki/$h/etc"
	cp -r "testing/hosts/$h/etc/ipsec.d" "$root/work/pki/$h/etc/"
done
mkdir -p "$root/work/pki/winnetou/etc/ca/www"
cp testing/hosts/winnetou/etc/ca/www/strongswan.crl "$root/work/pki/winnetou/etc/ca/www/"
# charon's algorithm tables, which the tests read as ../crypto/testdata
mkdir -p "$root/crypto/testdata"
cp crypto/testdata/strongswan-5.9.8-tables.txt "$root/crypto/testdata/"
# protocol and service names for iproute2's output: Debian's netbase, as
# the tests have it (testing/netbase), not whatever this machine has
cp testing/netbase/protocols testing/netbase/services "$root/etc/"

# busybox provides the shell, modprobe, ping, mount, cat, poweroff
cp "$busybox" "$root/bin/busybox"
# iproute2 with its shared libraries
cp "$ipbin" "$root/sbin/ip"
ldd "$ipbin" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | while read -r lib; do
	mkdir -p "$root$(dirname "$lib")"
	cp -L "$lib" "$root$lib"
done

# kernel modules: XFRM, ESP/AH/IPComp, the crypto they use, veth, and the
# libraries these depend on
mkdir -p "$root$moddir"
for f in modules.dep modules.alias modules.builtin modules.order modules.symbols; do
	[ -f "$moddir/$f" ] && cp "$moddir/$f" "$root$moddir/"
done
(cd "$moddir" && find kernel/net/xfrm kernel/net/ipv4 kernel/net/ipv6 kernel/crypto kernel/lib \
	kernel/drivers/net/veth.ko kernel/arch/x86/crypto -name '*.ko*' 2>/dev/null) | while read -r m; do
	mkdir -p "$root$moddir/$(dirname "$m")"
	cp "$moddir/$m" "$root$moddir/$m"
done

cat > "$root/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
ln -s /run /var/run
echo /bin/modprobe > /proc/sys/kernel/modprobe
for m in xfrm_user xfrm_algo esp4 esp6 ah4 ah6 ipcomp ipcomp6 xfrm_ipcomp tunnel4 xfrm4_tunnel \
	tunnel6 xfrm6_tunnel veth authenc authencesn echainiv seqiv gcm ghash_generic ccm ctr \
	chacha20poly1305 chacha_generic poly1305_generic sha512_generic xcbc cmac des_generic \
	cast5_generic blowfish_generic camellia_generic serpent_generic twofish_generic; do
	modprobe \$m 2>/dev/null
done
ip link set lo up
cd /work
echo "GSN-VM-START kernel \$(uname -r)"
GOSWAN_VM=1 /work/kernel_netlink.test -test.v -test.count=1 -test.timeout=$((timeout_s - 120))s -test.run '$run'
rc=\$?
# Two goswan daemons with kernel-netlink: the tunnel in the kernel's XFRM.
GOSWAN_VM=1 GOSWAN_BIN=/work/bin GOSWAN_SEED004=/work/seed004 GOSWAN_PKI=/work/pki /work/daemon.test -test.v -test.count=1 -test.timeout=90s -test.run '$run'
rc2=\$?
[ \$rc -eq 0 ] && rc=\$rc2
echo "GSN-VM-EXIT: \$rc"
poweroff -f
INIT
chmod +x "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/initrd.gz"

echo "vmtest: booting $kernel under qemu (TCG)"
# no_timer_check: on a busy machine TCG runs the guest so slowly that the
# kernel's check of the IO-APIC timer times out and panics the boot ("IO-APIC
# + timer doesn't work!"); the check says nothing about what the lane tests.
status=0
timeout "$timeout_s" qemu-system-x86_64 -accel tcg -m 1024 -smp 1 -nodefaults -nographic -no-reboot \
	-kernel "$kernel" -initrd "$work/initrd.gz" -serial stdio \
	-append "console=ttyS0 rdinit=/init panic=-1 quiet loglevel=3 no_timer_check" </dev/null | tee "$work/console.log" || status=$?
rc=$(sed -n 's/^GSN-VM-EXIT: \([0-9]*\).*/\1/p' "$work/console.log" | tail -n 1)
if [ -z "$rc" ]; then
	echo "vmtest: the guest did not report a result (qemu status $status)" >&2
	exit 1
fi
echo "vmtest: guest tests exited with $rc"
exit "$rc"
