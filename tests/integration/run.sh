#!/usr/bin/env bash
# Run integration test programs against a private dmabufd on the FUSE
# fallback: a temporary device root and control socket, so a system daemon
# (if any) is never touched.
#
#   run.sh [--daemon PATH] [--build-dir DIR] [PROGRAM [ARG...]]...
#
# Without a PROGRAM, runs every tests/integration/test-* of the build dir,
# one after the other, against one daemon. With PROGRAMs (absolute paths,
# or names in the build dir), runs those. The daemon is --daemon, or
# <build-dir>/dmabufd; the build dir defaults to the newest build*/ next
# to this script's project. Extra daemon arguments come from
# $DMABUFD_DAEMON_ARGS, and per program from NAME.args next to this script
# (tests/integration/test-dma.args): such a program gets a daemon of its
# own, started afresh with those arguments; likewise a NAME.nofile next to
# it (one number) runs that program's daemon under prlimit with that soft
# and hard RLIMIT_NOFILE. $DMABUFD_TEST_WRAPPER prefixes
# every program (e.g. "valgrind --error-exitcode=99 --leak-check=full").
#
# The runner starts the daemon, waits until its nodes and control socket
# answer, runs the programs with DMABUFD_DEV_ROOT and DMABUFD_CONTROL set,
# stops the daemon with SIGTERM, and fails if any program failed, the
# daemon did not exit 0, or its mount was left behind. A program named
# test-stop* stops its daemon itself (it gets one of its own, and its pid
# in DMABUFD_DAEMON_PID): the runner then waits for that daemon to exit
# and checks the same. Every program finds its daemon's log (stdout and
# stderr) in the file DMABUFD_DAEMON_LOG.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
daemon=
build=
progs=()

while [ $# -gt 0 ]; do
	case $1 in
	--daemon) daemon=$2; shift 2 ;;
	--build-dir) build=$2; shift 2 ;;
	--) shift; progs+=("$@"); break ;;
	-h|--help) sed -n '2,20p' "$0"; exit 0 ;;
	*) progs+=("$1"); shift ;;
	esac
done

if [ -z "$build" ]; then
	build=$(ls -dt "$top"/build*/ 2>/dev/null | while read -r d; do
		[ -x "$d/dmabufd" ] && { echo "${d%/}"; break; }; done)
fi
[ -n "$daemon" ] || daemon=$build/dmabufd
if [ ! -x "$daemon" ]; then
	echo "run.sh: no daemon at '$daemon' (use --daemon or --build-dir)" >&2
	exit 1
fi
if [ ${#progs[@]} -eq 0 ]; then
	for p in "$build"/tests/integration/test-*; do
		[ -f "$p" ] && [ -x "$p" ] && progs+=("$p")
	done
fi
for i in "${!progs[@]}"; do
	p=${progs[$i]}
	[ -x "$p" ] || p=$build/tests/integration/$p
	[ -x "$p" ] || { echo "run.sh: no test program '${progs[$i]}'" >&2; exit 1; }
	progs[$i]=$p
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-it.XXXXXX")
# Reachable by the unprivileged clients of test-limits (nodes 0666 there).
chmod 755 "$tmp"
root=$tmp/dev
ctl=$tmp/control
mkdir -p "$root"
pid=

is_mounted() { grep -q " $root fuse" /proc/self/mounts; }

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	if is_mounted; then
		fusermount3 -u -z "$root" 2>/dev/null || umount -l "$root" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A short token lifetime keeps the expiry test quick; the tests read it
# from DMABUFD_TEST_TOKEN_TTL_MS.
ttl_ms=${DMABUFD_TEST_TOKEN_TTL_MS:-2000}
# A short cap on blocking ioctls lets the tests check that libdmabufd's
# unbounded waits outlast it (DMABUFD_TEST_MAX_WAIT_MS).
max_wait_ms=${DMABUFD_TEST_MAX_WAIT_MS:-1500}
failed=0
daemon_args=none  # the extra arguments of the running daemon

# start_daemon EXTRA_ARGS [NOFILE]: start it (under prlimit with NOFILE
# descriptors, if given) and wait until it is ready.
start_daemon() {
	local limit=()
	: >"$tmp/daemon.log"
	[ -z "${2:-}" ] || limit=(prlimit "--nofile=$2:$2")
	# --no-config: an installed /etc/dmabufd/dmabufd.conf stays out of it
	# (DMABUFD_DAEMON_ARGS may still give a --config).
	# shellcheck disable=SC2086
	"${limit[@]}" "$daemon" --foreground --no-config --transport=fuse --dev-root="$root" --control="$ctl" \
		--token-ttl-ms="$ttl_ms" --max-wait-ms="$max_wait_ms" ${DMABUFD_DAEMON_ARGS:-} $1 \
		>>"$tmp/daemon.log" 2>&1 &
	pid=$!
	daemon_args="$1${2:+ nofile=$2}"
	# Ready when it says so, its nodes exist and the control socket is there.
	for _ in $(seq 200); do
		if ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if grep -q 'dmabufd: ready' "$tmp/daemon.log" && [ -e "$root/dmabufd/dma_buf" ] &&
		   [ -S "$ctl" ]; then
			return 0
		fi
		sleep 0.05
	done
	echo "run.sh: daemon did not become ready; its log:" >&2
	sed 's/^/  | /' "$tmp/daemon.log" >&2
	exit 1
}

# where_is PID: what each thread of PID is blocked in (kernel stack,
# wait channel, system call), for a daemon that does not stop.
where_is() {
	local t
	for t in /proc/"$1"/task/*; do
		echo "  thread $(basename "$t") ($(cat "$t/comm" 2>/dev/null)):" \
			"wchan $(cat "$t/wchan" 2>/dev/null), syscall $(cat "$t/syscall" 2>/dev/null)"
		sed 's/^/    /' "$t/stack" 2>/dev/null
	done
}

# Stop: SIGTERM, exit status 0, mount gone. A stop takes milliseconds;
# the bound is for a wedged daemon, not a speed check, so it is long
# enough for a loaded machine (30 s), and what it is blocked in is shown.
stop_daemon() {
	local status waited=0
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid"
		while kill -0 "$pid" 2>/dev/null && [ $waited -lt 600 ]; do
			sleep 0.05
			waited=$((waited + 1))
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "run.sh: daemon still running 30 s after SIGTERM; killing it" >&2
			where_is "$pid" >&2
			failed=1
			# A wedged daemon ignores SIGTERM: do not wait for ever.
			kill -KILL "$pid" 2>/dev/null
		elif [ $waited -ge 100 ]; then
			echo "run.sh: note: the daemon took $((waited / 20)) s to stop" >&2
		fi
	fi
	wait "$pid"
	status=$?
	pid=
	if [ $status != 0 ]; then
		echo "run.sh: daemon exited with status $status" >&2
		failed=1
	fi
	if is_mounted; then
		echo "run.sh: daemon left $root mounted" >&2
		failed=1
	fi
	if [ -e "$ctl" ]; then
		echo "run.sh: daemon left its control socket $ctl" >&2
		failed=1
	fi
	if [ $failed != 0 ] || [ -n "${DMABUFD_SHOW_DAEMON_LOG:-}" ]; then
		echo "--- daemon log" >&2
		sed 's/^/  | /' "$tmp/daemon.log" >&2
	fi
	daemon_args=none
}

export DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$ctl DMABUFD_TEST_TOKEN_TTL_MS=$ttl_ms
export DMABUFD_TEST_MAX_WAIT_MS=$max_wait_ms DMABUFD_TEST_DAEMON=$daemon
export CMOCKA_MESSAGE_OUTPUT=${CMOCKA_MESSAGE_OUTPUT:-stdout}
for p in "${progs[@]}"; do
	args_file=$here/$(basename "$p").args
	nofile_file=$here/$(basename "$p").nofile
	want=
	nofile=
	own=0
	if [ -f "$args_file" ]; then
		want=$(tr '\n' ' ' <"$args_file")
		own=1
	fi
	if [ -f "$nofile_file" ]; then
		nofile=$(tr -d ' \n' <"$nofile_file")
		own=1
	fi
	# A program with its own arguments gets a fresh daemon; the others
	# share one.
	stops=0
	case $(basename "$p") in test-stop*) stops=1 own=1 ;; esac
	if [ -n "$pid" ] && { [ $own = 1 ] || [ "$daemon_args" != "$want" ]; }; then
		stop_daemon
	fi
	[ -n "$pid" ] || start_daemon "$want" "$nofile"
	# On stderr: a program's stdout is its TAP stream under meson.
	echo "=== $(basename "$p")" >&2
	# shellcheck disable=SC2086
	if ! DMABUFD_DAEMON_PID=$pid DMABUFD_DAEMON_LOG=$tmp/daemon.log \
	     ${DMABUFD_TEST_WRAPPER:-} "$p"; then
		echo "run.sh: $(basename "$p") FAILED" >&2
		failed=1
	fi
	if [ $stops = 1 ]; then
		# It stopped the daemon: stop_daemon waits for the exit and
		# checks the status and the mount (SIGTERM only if it still runs).
		for _ in $(seq 200); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.05
		done
		if kill -0 "$pid" 2>/dev/null; then
			echo "run.sh: daemon still running 10 s after $(basename "$p")" >&2
			failed=1
		fi
		stop_daemon
		continue
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "run.sh: the daemon died during $(basename "$p")" >&2
		failed=1
		break
	fi
	[ $own = 1 ] && stop_daemon
done
[ -n "$pid" ] && stop_daemon
exit $failed
