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
#
# Its stdout is TAP: the plan, then "ok - " per step; a failure ends the
# run with its reason on stderr (fewer steps than planned, exit status 1).
set -uo pipefail

daemon=${1:?usage: second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER}
ctl_tool=${2:?usage: second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER}
holder=${3:?usage: second-daemon.sh DMABUFD DMABUFCTL CTL_HOLDER}
if [ ! -w /dev/fuse ]; then
	echo "1..0 # SKIP /dev/fuse is not usable"
	exit 0
fi
echo "1..3"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-second.XXXXXX")
root=$tmp/dev
apid=
bpid=

stop_pid() {
	local p=$1
	[ -n "$p" ] || return 0
	kill -CONT "$p" 2>/dev/null
	kill -KILL "$p" 2>/dev/null
	wait "$p" 2>/dev/null
}
cleanup() {
	stop_pid "$bpid"
	stop_pid "$apid"
	while grep -q " $root fuse" /proc/self/mounts; do
		fusermount3 -u -z "$root" 2>/dev/null || umount -l "$root" 2>/dev/null || break
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	{
		echo "second-daemon.sh: FAIL: $*"
		for f in "$tmp"/*.log; do
			[ -e "$f" ] || continue
			echo "  $f:"
			sed 's/^/  | /' "$f"
		done
	} >&2
	exit 1
}

# start NAME: a daemon on $root with the control socket $tmp/NAME/control,
# in the background; its pid in $started.
start() {
	"$daemon" --no-config --transport=fuse --dev-root="$root" \
		--control="$tmp/$1/control" >"$tmp/$1.log" 2>&1 &
	started=$!
}

# wait_ready NAME PID: until NAME says it is ready; fails if it exits.
wait_ready() {
	for _ in $(seq 400); do
		grep -q 'dmabufd: ready' "$tmp/$1.log" && return 0
		kill -0 "$2" 2>/dev/null || fail "daemon $1 did not start"
		sleep 0.05
	done
	fail "daemon $1 did not get ready"
}

# refused NAME: daemon NAME (started, pid $bpid) exits 1 without getting
# ready, and says why, naming the device root.
refused() {
	local status=
	for _ in $(seq 600); do
		if ! kill -0 "$bpid" 2>/dev/null; then
			wait "$bpid"
			status=$?
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
	grep -q " $root fuse" /proc/self/mounts || fail "A's mount at $root is gone"
	out=$(DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/a/control "$holder" </dev/null) ||
		fail "ctl-holder through A's mount failed: $out"
	[ "${out%% *}" = ready ] || fail "ctl-holder said '$out'"
	DMABUFD_CONTROL=$tmp/a/control "$ctl_tool" stats >/dev/null ||
		fail "dmabufctl stats on A failed"
	kill -0 "$apid" 2>/dev/null || fail "A is gone"
}

mkdir -p "$root"

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

kill -TERM "$apid"
wait "$apid"
status=$?
apid=
[ $status = 0 ] || fail "A exited $status after SIGTERM"
grep -q " $root fuse" /proc/self/mounts && fail "A left its mount after SIGTERM"

# 3. A killed: its mount is stale.
start a
apid=$started
wait_ready a "$apid"
kill -KILL "$apid"
wait "$apid" 2>/dev/null
apid=
grep -q " $root fuse" /proc/self/mounts || fail "no stale mount after SIGKILL"
start b3
bpid=$started
wait_ready b3 "$bpid"
grep -q "fuse: detaching the stale mount at $root" "$tmp/b3.log" ||
	fail "b3 does not say it detached the stale mount"
out=$(DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/b3/control "$holder" </dev/null) ||
	fail "ctl-holder through b3's mount failed: $out"
kill -TERM "$bpid"
wait "$bpid"
status=$?
bpid=
[ $status = 0 ] || fail "b3 exited $status after SIGTERM"
echo "ok - a killed daemon's stale mount is detached and the second daemon starts"
