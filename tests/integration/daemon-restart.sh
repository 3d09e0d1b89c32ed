#!/usr/bin/env bash
# A client that outlives its daemon works with the next one: the client
# starts against daemon A, A stops, B starts on the same device root and
# control socket, and the client goes on.
#
#   daemon-restart.sh kept DMABUFD KEPT_RESTART
#       libdmabufd's kept control connection: the client's next mapping
#       works, through a new connection, with no fd more than before
#       (the dead one was closed)
#   daemon-restart.sh compat DMABUFD DMABUFD_RUN COMPAT_TEST
#       the preload library (compat-test --across-restart under
#       dmabufd-run): B's new mount is taken for the daemon's, so the
#       kernel's ioctls, mmap and lseek work on B's fds
#
# Run directly by meson (suite 'integration'), with daemons of its own;
# a TAP test (lib.sh).
set -uo pipefail

usage="usage: daemon-restart.sh kept DMABUFD KEPT_RESTART | compat DMABUFD DMABUFD_RUN COMPAT_TEST"
mode=${1:?$usage}
daemon=${2:?$usage}
. "$(dirname "$0")/lib.sh"
itest_init "daemon-restart.sh $mode" "restart-$mode" 1

# start NAME: a daemon on $root and $tmp/control; its pid in $dpid.
start() {
	itest_start "$tmp/$1.log" "$daemon" --no-config --transport=fuse \
		--dev-root="$root" --control="$tmp/control"
	dpid=$itest_pid
	itest_wait_ready "$tmp/$1.log" "$dpid"
}

# across_restart CMD...: start daemon a, then CMD (stdin a fifo, output
# $tmp/out); once CMD has said its first line, stop a, start b, send CMD
# a line, and require it to exit 0. Its first line in $first.
across_restart() {
	start a
	mkfifo "$tmp/in"
	DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/control "$@" <"$tmp/in" >"$tmp/out" 2>&1 &
	cpid=$!
	itest_own "$cpid"
	exec 3>"$tmp/in"
	for _ in $(seq 200); do
		[ -s "$tmp/out" ] && break
		sleep 0.05
	done
	read -r first <"$tmp/out" || true

	itest_stop "$dpid"
	start b

	echo go >&3
	exec 3>&-
	wait "$cpid"
	status=$?
	itest_disown "$cpid"
	[ $status = 0 ] || fail "the client failed after the restart: $(cat "$tmp/out")"
}

case $mode in
kept)
	client=${3:?$usage}
	across_restart "$client"
	[ "${first%% *}" = mapped ] || fail "first mapping: $(cat "$tmp/out")"
	fds1=${first#mapped }
	fds2=$(sed -n '2s/^mapped //p' "$tmp/out")
	[ "$fds2" = "$fds1" ] || fail "the client had $fds1 fds after the first mapping, $fds2 after the second"
	echo "ok - the kept control connection is made again after a daemon restart"
	;;
compat)
	run=${3:?$usage}
	compat_test=${4:?$usage}
	across_restart sh "$run" "$compat_test" --across-restart
	[ "$(cat "$tmp/out")" = "ready
again" ] || fail "compat-test said: $(cat "$tmp/out")"
	echo "ok - the preload finds a restarted daemon's new mount"
	;;
*)
	echo "$usage" >&2
	exit 2
	;;
esac
