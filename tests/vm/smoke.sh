#!/bin/sh
# Smoke payload for the VM harness, run by busybox sh inside the guest:
#   run-vm.sh --payload DIR [--edu] -- ./smoke.sh
# Checks the CUSE/FUSE device nodes, the modules, the edu device bound to
# uio_pci_generic (when DMABUFD_VM_EDU=1, i.e. run-vm.sh --edu), and, when
# cuse-probe sits next to this script, a real CUSE device round trip.
# Ends with "N passed, M failed" and exits non-zero if anything failed.

pass=0
fail=0
ok()  { pass=$((pass + 1)); echo "ok   - $*"; }
bad() { fail=$((fail + 1)); echo "FAIL - $*"; }
check() { # description command...
    d=$1; shift
    if "$@"; then ok "$d"; else bad "$d"; fi
}

# chardev PATH MAJOR MINOR
chardev() {
    [ -c "$1" ] || { echo "  $1: not a character device"; return 1; }
    # shellcheck disable=SC2046 # split "MAJ MIN" on purpose
    set -- "$1" "$2" "$3" $(stat -c '%t %T' "$1")
    [ "$(printf %d "0x$4")" = "$2" ] && [ "$(printf %d "0x$5")" = "$3" ] ||
        { echo "  $1: is $(printf %d "0x$4"):$(printf %d "0x$5"), want $2:$3"; return 1; }
}

module_loaded() { grep -q "^$1 " /proc/modules; }

readable_nonempty() { # file: prints it, fails when unreadable or empty
    v=$(cat "$1" 2>/dev/null) && [ -n "$v" ] && echo "  $1 = $v"
}

echo "smoke: kernel $(uname -r), edu=${DMABUFD_VM_EDU:-0}"

check "/dev/fuse is char 10:229" chardev /dev/fuse 10 229
check "/dev/cuse is char 10:203" chardev /dev/cuse 10 203
for m in fuse cuse uio uio_pci_generic; do
    check "module $m loaded" module_loaded $m
done

if [ "${DMABUFD_VM_EDU:-0}" = 1 ]; then
    check "/sys/class/uio/uio0 exists" test -d /sys/class/uio/uio0
    check "uio0 name readable" readable_nonempty /sys/class/uio/uio0/name
    check "uio0 name is uio_pci_generic" test "$(cat /sys/class/uio/uio0/name 2>/dev/null)" = uio_pci_generic
    check "uio0 maps/map0/size readable" readable_nonempty /sys/class/uio/uio0/maps/map0/size
    check "uio0 maps/map0/size non-zero" test "$(($(cat /sys/class/uio/uio0/maps/map0/size 2>/dev/null || echo 0)))" -gt 0
    uio_dev=$(cat /sys/class/uio/uio0/dev 2>/dev/null)
    check "/dev/uio0 is char $uio_dev" chardev /dev/uio0 "${uio_dev%%:*}" "${uio_dev##*:}"
fi

probe=$(dirname "$0")/cuse-probe
if [ -x "$probe" ]; then
    "$probe" -f -s &
    srv=$!
    check "cuse-probe client: ioctl round trips" "$probe" --client 200
    check "/dev/dmabufd_probe is a char device" test -c /dev/dmabufd_probe
    check "/sys/class/cuse/dmabufd_probe exists" test -e /sys/class/cuse/dmabufd_probe
    kill $srv 2>/dev/null
    wait $srv
    rc=$?
    check "cuse-probe server exits cleanly on SIGTERM (status $rc)" test $rc = 0
    i=0
    while [ -e /dev/dmabufd_probe ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
    check "/dev/dmabufd_probe gone after server exit" test ! -e /dev/dmabufd_probe
else
    echo "smoke: no cuse-probe next to $0, skipping the CUSE round trip"
fi

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
