#!/usr/bin/env bash
# A second daemon on the same device root must not take it from a live
# one. The instance lock sits next to the control socket, so daemon B
# with another control directory gets past it; at the FUSE mount it must
# tell a live server (refuse to start, exit 1, name the path, leave A's
# mount alone) from a dead one (a SIGKILLed A: detach the stale mount and
# start).
#
#   second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER
#
# The cases, each with a fresh A:
#   1. A live: B exits 1 with the message; A's mount is still there and
#      A still serves (ctl-holder's ioctls through the mount, dmabufctl
#      through A's socket);
#   2. A stopped (SIGSTOP): B's probe gets no answer, takes A as live
#      and exits 1 the same way (and does not hang); A serves once
#      continued;
#   3. A killed (SIGKILL): its mount is stale; B detaches it and starts.
# Run directly by meson (suite 'integration'), with daemons of its own.
set -uo pipefail

daemon=${1:?usage: second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER}
ctl_tool=${2:?usage: second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER}
holder=${3:?usage: second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER}
. "$(dirname "$0")/lib.sh"
itest_init second-daemon.sh second 3
apid=
bpid=

# start NAME: a daemon on $root with the control socket $tmp/NAME/control,
# in the background; its pid in $started.
start() {
	itest_start "$tmp/$1.log" "$daemon" --no-config --transport=fuse \
		--dev-root="$root" --control="$tmp/$1/control"
	started=$itest_pid
}

# wait_ready NAME PID: until NAME says it is ready; fails if it exits.
wait_ready() {
	itest_wait_ready "$tmp/$1.log" "$2"
}

# refused NAME: daemon NAME (started, pid $bpid) exits 1 without getting
# ready, and says why, naming the device root.
refused() {
	local status=
	for _ in $(seq 600); do
		if ! kill -0 "$bpid" 2>/dev/null; then
			wait "$bpid"
			status=$?
			itest_disown "$bpid"
			break
		fi
		grep -q 'dmabufd: ready' "$tmp/$1.log" &&
			fail "daemon $1 started on a live daemon's device root"
		sleep 0.05
	done
	[ -n "$status" ] || fail "daemon $1 neither started nor exited in 30 s"
	bpid=
	[ "$status" = 1 ] || fail "daemon $1 exited $status, not 1"
	grep -q "fuse: $root is already a FUSE mount with a live server" "$tmp/$1.log" ||
		fail "daemon $1 does not say that $root is a live mount"
}

# serves: daemon A's mount is there and answers ioctls, and its control
# socket answers.
serves() {
	itest_mounted || fail "A's mount at $root is gone"
	out=$(DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/a/control "$holder" </dev/null) ||
		fail "ctl-holder through A's mount failed: $out"
	[ "${out%% *}" = ready ] || fail "ctl-holder said '$out'"
	DMABUFD_CONTROL=$tmp/a/control "$ctl_tool" stats >/dev/null ||
		fail "dmabufctl stats on A failed"
	kill -0 "$apid" 2>/dev/null || fail "A is gone"
}

# 1. A live.
start a
apid=$started
wait_ready a "$apid"
serves
start b
bpid=$started
refused b
serves
echo "ok - a second daemon on a live daemon's device root exits 1 and leaves it serving"

# 2. A stopped: no answer from its server.
kill -STOP "$apid"
start b2
bpid=$started
refused b2
grep -q "did not answer in" "$tmp/b2.log" || fail "b2 does not say the server did not answer"
kill -CONT "$apid"
serves
echo "ok - a stopped daemon's mount counts as live: the second daemon exits 1"

itest_stop "$apid"
apid=
itest_mounted && fail "A left its mount after SIGTERM"

# 3. A killed: its mount is stale.
start a
apid=$started
wait_ready a "$apid"
kill -KILL "$apid"
wait "$apid" 2>/dev/null
itest_disown "$apid"
apid=
itest_mounted || fail "no stale mount after SIGKILL"
start b3
bpid=$started
wait_ready b3 "$bpid"
grep -q "fuse: detaching the stale mount at $root" "$tmp/b3.log" ||
	fail "b3 does not say it detached the stale mount"
out=$(DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/b3/control "$holder" </dev/null) ||
	fail "ctl-holder through b3's mount failed: $out"
itest_stop "$bpid"
bpid=
echo "ok - a killed daemon's stale mount is detached and the second daemon starts"
