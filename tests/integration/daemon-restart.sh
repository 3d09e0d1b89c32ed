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
#
# Its stdout is TAP: the plan, then "ok - " per step; a failure ends the
# run with its reason on stderr (fewer steps than planned, exit status 1).
set -uo pipefail

daemon=${1:?usage: daemon-restart.sh DMABUFD KEPT_RESTART}
client=${2:?usage: daemon-restart.sh DMABUFD KEPT_RESTART}
if [ ! -w /dev/fuse ]; then
	echo "1..0 # SKIP /dev/fuse is not usable"
	exit 0
fi
echo "1..1"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-restart.XXXXXX")
root=$tmp/dev
dpid=
cpid=
cleanup() {
	[ -n "$cpid" ] && kill -KILL "$cpid" 2>/dev/null
	[ -n "$dpid" ] && kill -KILL "$dpid" 2>/dev/null
	wait 2>/dev/null
	while grep -q " $root fuse" /proc/self/mounts; do
		fusermount3 -u -z "$root" 2>/dev/null || umount -l "$root" 2>/dev/null || break
	done
	rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
	{
		echo "daemon-restart.sh: FAIL: $*"
		for f in "$tmp"/*.log; do
			[ -e "$f" ] || continue
			echo "  $f:"
			sed 's/^/  | /' "$f"
		done
	} >&2
	exit 1
}

# start NAME: a daemon on $root and $tmp/control; its pid in $dpid.
start() {
	"$daemon" --no-config --transport=fuse --dev-root="$root" \
		--control="$tmp/control" >"$tmp/$1.log" 2>&1 &
	dpid=$!
	for _ in $(seq 400); do
		grep -q 'dmabufd: ready' "$tmp/$1.log" && return 0
		kill -0 "$dpid" 2>/dev/null || fail "daemon $1 did not start"
		sleep 0.05
	done
	fail "daemon $1 did not get ready"
}

mkdir -p "$root"
start a
mkfifo "$tmp/in"
DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$tmp/control "$client" <"$tmp/in" >"$tmp/out" 2>&1 &
cpid=$!
exec 3>"$tmp/in"
for _ in $(seq 200); do
	[ -s "$tmp/out" ] && break
	sleep 0.05
done
read -r word fds1 <"$tmp/out" || true
[ "$word" = mapped ] || fail "first mapping: $(cat "$tmp/out")"

kill -TERM "$dpid"
wait "$dpid"
status=$?
[ $status = 0 ] || fail "daemon a exited $status after SIGTERM"
start b

echo go >&3
exec 3>&-
wait "$cpid"
status=$?
cpid=
[ $status = 0 ] || fail "the mapping after the restart failed: $(cat "$tmp/out")"
fds2=$(sed -n '2s/^mapped //p' "$tmp/out")
[ "$fds2" = "$fds1" ] || fail "the client had $fds1 fds after the first mapping, $fds2 after the second"
echo "ok - the kept control connection is made again after a daemon restart"
