#!/bin/sh
# Runs inside the VM (busybox sh) booted with --edu: QEMU's edu device is
# bound to uio_pci_generic. Checks the kernel side (/dev/uio0, sysfs) and
# runs uio-edu, which drives the device through dmabufd's UIO layer
# (backend/stm32-uio/uio.c). Prints one line "vm-uio: N passed, M failed"
# (shell checks plus uio-edu's checks) and exits non-zero on any failure.
cd /payload || exit 125
passed=0
failed=0
check() { # check NAME COMMAND...
	name=$1; shift
	if "$@"; then
		passed=$((passed + 1)); echo "ok - $name"
	else
		failed=$((failed + 1)); echo "not ok - $name"
	fi
}

check "booted with the edu device" test "$DMABUFD_VM_EDU" = 1
check "/dev/uio0 is a character device" test -c /dev/uio0
check "uio0 is named uio_pci_generic" test "$(cat /sys/class/uio/uio0/name)" = uio_pci_generic
check "uio0 has one map" test -d /sys/class/uio/uio0/maps/map0 -a ! -e /sys/class/uio/uio0/maps/map1
check "map0 size is 1 MiB in %pa format" \
	test "$(cat /sys/class/uio/uio0/maps/map0/size)" = 0x0000000000100000

./uio-edu >/tmp/uio-edu.log 2>&1
status=$?
cat /tmp/uio-edu.log
p=$(grep -c '^ok - ' /tmp/uio-edu.log)
f=$(grep -c '^not ok - ' /tmp/uio-edu.log)
passed=$((passed + p))
failed=$((failed + f))
check "uio-edu exits 0" test $status -eq 0
check "uio-edu ran its checks" test "$p" -gt 20

echo "vm-uio: $passed passed, $failed failed"
[ $failed -eq 0 ]
