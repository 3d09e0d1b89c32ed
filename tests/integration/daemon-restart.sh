#!/usr/bin/env bash
# libdmabufd's kept control connection survives a daemon restart: a client
# maps a buffer (its kept connection to daemon A), A stops, B starts on the
# same device root and control socket, and the client's next mapping
# works, through a new connection, with no fd more than before (the dead
# one was closed).
#
#   daemon-restart.sh DMABUFD KEPT_RESTART
#
# Run directly by meson (suite 'integration'), with daemons of its own.
set -uo pipefail

daemon=${1:?usage: daemon-restart.sh DMABUFD KEPT_RESTART}
client=${2:?usage: daemon-restart.sh DMABUFD KEPT_RESTART}
. "$(dirname "$0")/lib.sh"
itest_init daemon-restart.sh restart

# start NAME: a daemon on $root and $tmp/control; its pid in $dpid.
start() {
	itest_start "$tmp/$1.log" "$daemon" --no-config --transport=fuse \
		--dev-root="$root" --control="$tmp/control"
	dpid=$itest_pid
	itest_wait_ready "$tmp/$1.log" "$dpid"
}

start a
mkfifo "$tmp/in"
DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/control "$client" <"$tmp/in" >"$tmp/out" 2>&1 &
cpid=$!
itest_own "$cpid"
exec 3>"$tmp/in"
for _ in $(seq 200); do
	[ -s "$tmp/out" ] && break
	sleep 0.05
done
read -r word fds1 <"$tmp/out" || true
[ "$word" = mapped ] || fail "first mapping: $(cat "$tmp/out")"

itest_stop "$dpid"
start b

echo go >&3
exec 3>&-
wait "$cpid"
status=$?
itest_disown "$cpid"
[ $status = 0 ] || fail "the mapping after the restart failed: $(cat "$tmp/out")"
fds2=$(sed -n '2s/^mapped //p' "$tmp/out")
[ "$fds2" = "$fds1" ] || fail "the client had $fds1 fds after the first mapping, $fds2 after the second"
echo "ok - the kept control connection is made again after a daemon restart"
