#!/bin/sh
# Runs inside the VM (busybox sh): start dmabufd on real CUSE nodes, check
# that they are character devices under /dev, run every integration test
# program of the payload against them (a program with NAME.args next to it
# gets a daemon of its own, started with those extra arguments, as
# tests/integration/run.sh does), stop the daemon with SIGTERM and check
# that it exits 0 and its nodes are gone. Prints one line
# "vm: N passed, M failed" (programs and checks) and exits non-zero on any
# failure.
cd /payload || exit 125
passed=0
failed=0
check() { # check NAME COMMAND...
	name=$1; shift
	if "$@"; then
		passed=$((passed + 1)); echo "vm check ok: $name"
	else
		failed=$((failed + 1)); echo "vm check FAILED: $name"
	fi
}

# The same short limits as tests/integration/run.sh, so the tests that
# read them stay quick.
ttl_ms=2000
max_wait_ms=1500
ctl=/run/dmabufd/control
pid=

# start_daemon EXTRA_ARGS: start dmabufd on CUSE and wait until it is ready.
start_daemon() {
	# Empty first: "ready" in the last daemon's log must not count.
	: >/tmp/daemon.log
	# shellcheck disable=SC2086
	./dmabufd --transport=cuse --control=$ctl --token-ttl-ms=$ttl_ms \
		--max-wait-ms=$max_wait_ms $1 >>/tmp/daemon.log 2>&1 &
	pid=$!
	i=0
	until grep -q 'dmabufd: ready' /tmp/daemon.log; do
		i=$((i + 1))
		if [ $i -gt 150 ] || ! kill -0 $pid 2>/dev/null; then
			echo "vm: daemon did not become ready"; cat /tmp/daemon.log
			echo "vm: $passed passed, $((failed + 1)) failed"; exit 1
		fi
		sleep 0.1
	done
}

# stop_daemon: SIGTERM; it must exit 0 and take its nodes with it.
stop_daemon() {
	kill -TERM $pid
	wait $pid
	status=$?
	check "daemon exits 0 on SIGTERM" test $status -eq 0
	check "nodes removed on exit" test ! -e /dev/dmabufd/dma_buf
	pid=
}

start_daemon ""
cat /tmp/daemon.log

check "CUSE transport chosen" grep -q 'transport cuse' /tmp/daemon.log
check "/dev/dma_heap/system is a character device" test -c /dev/dma_heap/system
check "/dev/sw_sync is a character device" test -c /dev/sw_sync
check "/dev/dmabufd/dma_buf is a character device" test -c /dev/dmabufd/dma_buf
check "/dev/dmabufd/sync_file is a character device" test -c /dev/dmabufd/sync_file
check "/dev/dmabufd/dmaengine is a character device" test -c /dev/dmabufd/dmaengine
check "the nodes are CUSE devices" test -e /sys/class/cuse/dmabufd!dma_buf
# No "video" group in this initramfs: the configured group falls back to
# root, the mode stays the configured 0660 (the daemon applies both).
check "CUSE nodes get mode 0660" test "$(stat -c %a /dev/dmabufd/dma_buf)" = 660
check "CUSE nodes get group root when video is missing" \
	test "$(stat -c %g /dev/dma_heap/system)" = 0

export DMABUFD_DEV_ROOT=/dev DMABUFD_CONTROL=$ctl
export DMABUFD_TEST_TOKEN_TTL_MS=$ttl_ms DMABUFD_TEST_MAX_WAIT_MS=$max_wait_ms
export CMOCKA_MESSAGE_OUTPUT=stdout
# As tests/integration/run.sh gives them: test-who runs dmabufctl and
# reads the daemon's log.
export DMABUFCTL=/payload/dmabufctl DMABUFD_DAEMON_LOG=/tmp/daemon.log
for t in ./test-*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	# A program with NAME.args gets a daemon of its own with them.
	own=
	if [ -f "$t.args" ]; then
		own=$(cat "$t.args")
		stop_daemon
		start_daemon "$own"
	fi
	echo "=== ${t#./} (CUSE)"
	case ${t#./} in
	test-stop*)
		# It stops its daemon itself (tests/integration/run.sh).
		check "${t#./} passes on CUSE" env DMABUFD_DAEMON_PID=$pid "$t"
		wait $pid
		status=$?
		check "daemon exits 0 on the SIGTERM of ${t#./}" test $status -eq 0
		check "nodes removed after ${t#./}" test ! -e /dev/dmabufd/dma_buf
		pid=
		[ $failed -ne 0 ] && { echo "--- daemon log (${t#./})"; cat /tmp/daemon.log; }
		start_daemon ""
		continue
		;;
	esac
	check "${t#./} passes on CUSE" "$t"
	check "daemon alive after ${t#./}" kill -0 $pid
	if [ -n "$own" ]; then
		[ $failed -ne 0 ] && { echo "--- daemon log (${t#./})"; cat /tmp/daemon.log; }
		stop_daemon
		start_daemon ""
	fi
done

stop_daemon
if [ $failed -ne 0 ]; then
	echo "--- daemon log"; cat /tmp/daemon.log
fi

# A node name another file already holds in /dev (as the kernel's own
# /dev/dma_heap/system would): devtmpfs leaves that file, and the daemon
# must not chown or chmod what is not its device.
: >/dev/shadowed_sw_sync
chmod 0644 /dev/shadowed_sw_sync
start_daemon "--sw-sync-node=shadowed_sw_sync"
check "a node shadowed by another file is reported" \
	grep -q "/dev/shadowed_sw_sync is not the device dmabufd made" /tmp/daemon.log
check "a node shadowed by another file keeps its mode" \
	test "$(stat -c %a /dev/shadowed_sw_sync)" = 644
check "the other nodes still get their mode" \
	test "$(stat -c %a /dev/dmabufd/dma_buf)" = 660
stop_daemon
rm -f /dev/shadowed_sw_sync

echo "vm: $passed passed, $failed failed"
[ $failed -eq 0 ]
