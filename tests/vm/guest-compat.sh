#!/bin/sh
# Runs inside the VM (busybox sh), from run-compat.sh: the same unmodified
# kernel-ABI programs against the kernel's own drivers and against dmabufd
# on CUSE, in this one boot.
#
#   1. load the kernel's dma-heap + system heap, sw_sync and udmabuf
#      (modules built by fetch-kernel-src.sh, in the payload) and mount
#      debugfs: /dev/dma_heap/system, /sys/kernel/debug/sync/sw_sync and
#      /dev/udmabuf are the kernel's
#   2. the oracle, no preload: compat-test, then the kernel's selftests
#      udmabuf (selftests/drivers/dma-buf), sync_test and dmabuf-heap, the
#      last with vgem loaded (drm, drm_shmem_helper, vgem from Debian's
#      kernel; payload file extra-load-order), which stays loaded
#   3. dmabufd on CUSE beside them, its heaps under /dev/dmabufd/dma_heap
#      (--heap-dir; the kernel's hold /dev/dma_heap); then compat-test,
#      sync_test and dmabuf-heap again under dmabufd-run --force with
#      DMABUFD_HEAP_DIR=dmabufd/dma_heap, so the programs' own paths
#      (/dev/dma_heap/system, /sys/kernel/debug/sync/sw_sync) reach the
#      daemon (checked first: a program holding objects made through
#      those paths shows them in dmabufctl); dmabuf-heap imports the
#      dmabufd buffer into vgem as on the kernel (the preload gives vgem a
#      udmabuf export of it). dmabufd has no udmabuf device of its own:
#      that selftest runs on the kernel only. Then kinterop, not
#      preloaded: dmabufd's fences to and from the kernel's own sw_sync,
#      and kimport-preload under the preload.
#
# Each program's output is shown as it runs, between "== SIDE: PROGRAM"
# and "== SIDE: PROGRAM: exit N" lines, which run-compat.sh reads. The exit
# status is 0 when the setup and the daemon's exit worked (the programs'
# own verdicts are judged on the host).
cd /payload || exit 125
ctl=/run/dmabufd/control
fail() { echo "compat-guest: $*"; [ -f /tmp/daemon.log ] && cat /tmp/daemon.log; exit 1; }

# run SIDE PROGRAM [ARG...]: one program, framed for run-compat.sh.
run() {
	side=$1
	shift
	echo "== $side: $*"
	start=$(cut -d' ' -f1 /proc/uptime)
	"$@" </dev/null 2>&1
	st=$?
	echo "compat-guest: $side: $* took $start-$(cut -d' ' -f1 /proc/uptime) s (uptime)"
	echo "== $side: $*: exit $st"
}

for m in dmabufd_kheap dmabufd_sw_sync dmabufd_udmabuf; do
	insmod ./$m.ko || fail "insmod $m.ko"
done
mount -t debugfs debugfs /sys/kernel/debug || fail "mount debugfs"
[ -c /dev/dma_heap/system ] || fail "no /dev/dma_heap/system from the kernel's heap"
[ -f /sys/kernel/debug/sync/sw_sync ] || fail "no /sys/kernel/debug/sync/sw_sync"
[ -c /dev/udmabuf ] || fail "no /dev/udmabuf from the kernel's udmabuf"

t0=$(cut -d' ' -f1 /proc/uptime)
run kernel ./compat-test
run kernel ./udmabuf
run kernel ./sync_test
# vgem (drm's dma-buf importer, from Debian's kernel: modules-extra):
# dmabuf-heap imports its buffer into it, the kernel's here and, under
# the preload, dmabufd's later (a udmabuf export of it: the kernel's
# udmabuf is loaded).
while read -r m; do
	insmod "./$m.ko" || fail "insmod $m.ko"
done <./extra-load-order
[ -c /dev/dri/card0 ] || fail "no /dev/dri/card0 from vgem"
run kernel ./dmabuf-heap
t1=$(cut -d' ' -f1 /proc/uptime)

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

export DMABUFD_DEV_ROOT=/dev DMABUFD_CONTROL=$ctl DMABUFD_HEAP_DIR=dmabufd/dma_heap
export DMABUFD_COMPAT_LIB=/payload/libdmabufd-compat.so

# The dmabufd side means something only if the kernel's paths reached the
# daemon (beside the kernel's own heap and sw_sync, a wrong redirection
# would quietly test the kernel again): a program holding a buffer named
# "held" and two timelines, made through /dev/dma_heap/system and
# /sys/kernel/debug/sync/sw_sync, shows them in the daemon; killed, they
# go away.
sh ./dmabufd-run --force ./compat-test --hold >/tmp/hold.log 2>&1 &
hold=$!
i=0
until grep -q '^ready$' /tmp/hold.log; do
	i=$((i + 1))
	{ [ $i -gt 300 ] || ! kill -0 $hold 2>/dev/null; } && { cat /tmp/hold.log; fail "compat-test --hold did not get ready"; }
	sleep 0.1
done
./dmabufctl --control=$ctl buffers >/tmp/buffers.log 2>&1
./dmabufctl --control=$ctl timelines >/tmp/timelines.log 2>&1
cat /tmp/buffers.log /tmp/timelines.log
grep -q ' held$' /tmp/buffers.log || fail "the preload did not reach dmabufd's heap"
[ "$(grep -c '^compat-test ' /tmp/timelines.log)" = 2 ] || fail "the preload did not reach dmabufd's sw_sync"
kill -KILL $hold
wait $hold
i=0
while ./dmabufctl --control=$ctl buffers | grep -q ' held$'; do
	i=$((i + 1))
	[ $i -gt 200 ] && fail "the killed program's buffer stayed in the daemon"
	sleep 0.1
done
echo "compat-guest: the kernel's paths reach dmabufd under dmabufd-run --force"
run dmabufd sh ./dmabufd-run --force ./compat-test
run dmabufd sh ./dmabufd-run --force ./sync_test
run dmabufd sh ./dmabufd-run --force ./dmabuf-heap
# Not preloaded: dmabufd's fences to and from the kernel's own sw_sync
# (tests/vm/kinterop.c), a kernel fence gating a dmabufd DMA copy, and a
# dmabufd buffer exported through the kernel's udmabuf into vgem.
run dmabufd ./kinterop
# Under the preload: a kernel-ABI program's dmabufd buffer into vgem as
# it is, a vgem fence into its buffer (tests/vm/kimport-preload.c).
run dmabufd sh ./dmabufd-run --force ./kimport-preload
t2=$(cut -d' ' -f1 /proc/uptime)
echo "compat-guest: kernel side $t0-$t1 s, dmabufd side $t1-$t2 s (uptime)"

kill -TERM $pid
wait $pid || fail "dmabufd exited with status $? on SIGTERM"
exit 0
