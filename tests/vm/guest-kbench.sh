#!/bin/sh
# Runs inside the VM (busybox sh), from run-kbench.sh: load the kernel's own
# dma-heap + system heap and sw_sync (modules built by fetch-kernel-src.sh,
# in the payload), start dmabufd on CUSE beside them, and run dmabufd-kbench
# against both in this one boot.
#
#   guest-kbench.sh ITERATIONS
#
# The kernel's heap takes /dev/dma_heap, so dmabufd's heaps go to
# /dev/dmabufd/dma_heap (--heap-dir). The kernel's sw_sync is in debugfs,
# dmabufd's at /dev/sw_sync: no clash. The table goes between the lines
# "kbench-table-begin" and "kbench-table-end"; the exit status is kbench's
# (non-zero also when a setup step or the daemon's exit fails).
cd /payload || exit 125
n=${1:-300}
ctl=/run/dmabufd/control
fail() { echo "kbench-guest: $*"; [ -f /tmp/daemon.log ] && cat /tmp/daemon.log; exit 1; }

for m in dmabufd_kheap dmabufd_sw_sync; do
	insmod ./$m.ko || fail "insmod $m.ko"
done
mount -t debugfs debugfs /sys/kernel/debug || fail "mount debugfs"
[ -c /dev/dma_heap/system ] || fail "no /dev/dma_heap/system from the kernel's heap"
[ -f /sys/kernel/debug/sync/sw_sync ] || fail "no /sys/kernel/debug/sync/sw_sync"

: >/tmp/daemon.log
./dmabufd --transport=cuse --control=$ctl --heap-dir=dmabufd/dma_heap >/tmp/daemon.log 2>&1 &
pid=$!
i=0
until grep -q 'dmabufd: ready' /tmp/daemon.log; do
	i=$((i + 1))
	{ [ $i -gt 150 ] || ! kill -0 $pid 2>/dev/null; } && fail "the daemon did not become ready"
	sleep 0.1
done
[ -c /dev/dmabufd/dma_heap/system ] || fail "no /dev/dmabufd/dma_heap/system from dmabufd"

echo kbench-table-begin
DMABUFD_DEV_ROOT=/dev DMABUFD_CONTROL=$ctl \
	./dmabufd-kbench -n "$n" --dmabufd-heap=dmabufd/dma_heap/system
status=$?
echo kbench-table-end

kill -TERM $pid
wait $pid || fail "dmabufd exited with status $? on SIGTERM"
exit $status
