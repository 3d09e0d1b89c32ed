#!/usr/bin/env bash
# The control socket when the daemon runs out of file descriptors: accept()
# fails with EMFILE while a connection waits, which leaves the listening
# socket readable; the daemon must rest the listener (saying so once)
# rather than spin, and serve again once descriptors are free.
#
#   control-emfile.sh DMABUFD DMABUFCTL
#
# A private daemon on FUSE with a file-descriptor limit of 48 (prlimit);
# a python3 client opens 60 connections without sending anything. Run
# directly by meson (suite 'integration').
set -uo pipefail

daemon=${1:?usage: control-emfile.sh DMABUFD DMABUFCTL}
ctl_tool=${2:?usage: control-emfile.sh DMABUFD DMABUFCTL}
. "$(dirname "$0")/lib.sh"
itest_init control-emfile.sh emfile 3
ctl=$tmp/control

itest_start "$tmp/daemon.log" prlimit --nofile=48:48 "$daemon" --no-config \
	--transport=fuse --dev-root="$root" --control="$ctl"
pid=$itest_pid
itest_wait_ready "$tmp/daemon.log" "$pid" "$ctl"

# 60 idle connections: more than the daemon has descriptors left.
python3 - "$ctl" "$tmp/held" <<'EOF' &
import socket, sys, time
socks = []
for _ in range(60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    s.connect(sys.argv[1])
    socks.append(s)
open(sys.argv[2], "w").close()
time.sleep(60)
EOF
holder=$!
itest_own "$holder"
for _ in $(seq 200); do
	[ -e "$tmp/held" ] && grep -q 'control: cannot accept a connection' "$tmp/daemon.log" && break
	sleep 0.05
done
grep -q 'control: cannot accept a connection (Too many open files): resting' "$tmp/daemon.log" ||
	fail "no word of the listener resting while accept() fails"
[ "$(grep -c 'control: cannot accept a connection' "$tmp/daemon.log")" = 1 ] ||
	fail "the resting listener is reported more than once"
kill -0 "$pid" 2>/dev/null || fail "the daemon died"
echo "ok - out of descriptors, the listener rests and says so once"

kill "$holder"
wait "$holder" 2>/dev/null
itest_disown "$holder"
ok=0
for _ in $(seq 100); do
	if DMABUFD_CONTROL=$ctl "$ctl_tool" stats >/dev/null 2>&1; then
		ok=1
		break
	fi
	sleep 0.05
done
[ $ok = 1 ] || fail "dmabufctl stats does not work once the descriptors are free"
grep -q 'control: accepting connections again' "$tmp/daemon.log" ||
	fail "no word of accepting again"
echo "ok - with descriptors free again, the control socket serves"

itest_stop "$pid"
echo "ok - SIGTERM: exit 0"
