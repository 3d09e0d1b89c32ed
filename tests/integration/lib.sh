# shellcheck shell=bash
# What the integration scripts that run daemons of their own share
# (daemon-restart.sh, second-daemon.sh, control-emfile.sh, reload.sh,
# stm32-board.sh): a scratch directory with a FUSE device root in it, the
# processes they start, waiting for a daemon to be ready, stopping it,
# and a cleanup that leaves nothing behind, whatever way the script ends.
#
# Source it from bash ("set -uo pipefail" is fine), then call itest_init:
#
#   . "$(dirname "$0")/lib.sh"
#   itest_init NAME TAG [PLAN]
#       skipped without a usable /dev/fuse (exit 77; with PLAN, the TAP
#       skip "1..0 # SKIP", exit 0); else $tmp, $root ($tmp/dev, made)
#       and the EXIT trap, and with PLAN the TAP plan "1..PLAN"
#
# A script given a PLAN is a TAP test (meson protocol 'tap'): its stdout
# is the plan and one "ok - " line per step; fail() writes to stderr and
# ends the run early (fewer steps than planned, exit status 1).
#
# The scripts' own files go under $tmp; a daemon's log is $tmp/*.log,
# which fail shows.

# itest_init NAME TAG [PLAN]: NAME prefixes the messages; the scratch
# directory is ${TMPDIR:-/tmp}/dmabufd-TAG.XXXXXX.
itest_init() {
	itest_name=$1
	itest_pids=
	if [ ! -r /dev/fuse ] || [ ! -w /dev/fuse ]; then
		if [ -n "${3:-}" ]; then
			echo "1..0 # SKIP /dev/fuse is not usable"
			exit 0
		fi
		echo "$itest_name: SKIP: /dev/fuse is not usable"
		exit 77
	fi
	[ -n "${3:-}" ] && echo "1..$3"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-$2.XXXXXX") || exit 1
	root=$tmp/dev
	mkdir -p "$root"
	trap itest_cleanup EXIT
}

# fail MESSAGE: say so, show every $tmp/*.log, and exit 1.
fail() {
	local f
	{
		echo "$itest_name: FAIL: $*"
		for f in "${tmp:-/nonexistent}"/*.log; do
			[ -e "$f" ] || continue
			echo "  $f:"
			sed 's/^/  | /' "$f"
		done
	} >&2
	exit 1
}

# itest_mounted: something is mounted (FUSE) at $root.
itest_mounted() {
	grep -q " $root fuse" /proc/self/mounts
}

# itest_own PID: kill PID (continued first, if stopped) at cleanup.
# itest_disown PID: it has been waited for; leave it.
itest_own() {
	itest_pids="$itest_pids $1"
}
itest_disown() {
	local p kept=
	for p in $itest_pids; do
		[ "$p" = "$1" ] || kept="$kept $p"
	done
	itest_pids=$kept
}

# itest_start LOG COMMAND...: run COMMAND in the background, its output
# in LOG; its pid in $itest_pid, owned.
itest_start() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	itest_pid=$!
	itest_own "$itest_pid"
}

# itest_wait_ready LOG PID [SOCKET]: until LOG says "dmabufd: ready" (and
# SOCKET, if given, is a socket), at most 20 s; fails if PID exits first.
itest_wait_ready() {
	local _
	for _ in $(seq 400); do
		if grep -q 'dmabufd: ready' "$1" &&
			{ [ -z "${3:-}" ] || [ -S "$3" ]; }; then
			return 0
		fi
		kill -0 "$2" 2>/dev/null || fail "the daemon of $1 did not start"
		sleep 0.05
	done
	fail "the daemon of $1 did not get ready"
}

# itest_stop PID: SIGTERM; it must exit, with status 0, within 30 s (a bound for a wedged daemon, not a speed check).
itest_stop() {
	kill -TERM "$1"
	itest_await_exit "$1"
}

# itest_await_exit PID: PID, told to stop, must exit with status 0 within
# 30 s.
itest_await_exit() {
	local _ status
	for _ in $(seq 600); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -0 "$1" 2>/dev/null && fail "pid $1 still running 30 s after SIGTERM"
	wait "$1"
	status=$?
	itest_disown "$1"
	[ $status = 0 ] || fail "pid $1 exited $status after SIGTERM"
}

# The EXIT trap: every owned process killed, the mount at $root gone,
# $tmp removed.
itest_cleanup() {
	local p
	for p in $itest_pids; do
		kill -CONT "$p" 2>/dev/null
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	while itest_mounted; do
		fusermount3 -u -z "$root" 2>/dev/null ||
			umount -l "$root" 2>/dev/null || break
	done
	rm -rf "$tmp"
}
