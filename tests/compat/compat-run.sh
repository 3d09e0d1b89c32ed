#!/usr/bin/env bash
# dmabufd-run against a live daemon (run by tests/integration/run.sh,
# which sets DMABUFD_DEV_ROOT and DMABUFD_CONTROL):
#   - a program killed (SIGKILL) under the preload, holding one of every
#     object or in the middle of making them, leaves the daemon's counts
#     where they were;
#   - README.md's kernel-ABI example, compiled with no dmabufd header or
#     library, runs under dmabufd-run;
#   - the preload takes the FUSE debug view files for no node (no ioctl
#     of its own reaches the daemon for them);
#   - dmabufd-run's own options and errors.
# Needs DMABUFD_RUN, DMABUFD_COMPAT_LIB, DMABUFCTL, COMPAT_TEST, README.
set -uo pipefail

run=(sh "$DMABUFD_RUN")
tmp=$(mktemp -d "${TMPDIR:-/tmp}/compat-run.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0

pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1: $2"; failed=$((failed + 1)); }

# The counts that must come back: every object a client can hold.
counts() {
	"$DMABUFCTL" --json stats | python3 -c '
import json, sys
s = json.load(sys.stdin)
keys = ["fences", "timelines", "sync_files", "dma_bufs", "attachments", "tokens",
        "open_files", "pending_requests", "heap_bytes", "lingering_buffers"]
print(" ".join("%s=%d" % (k, s[k]) for k in keys))'
}

# Wait (at most 20 s) for the counts to be $1 again.
back_to() {
	local now
	for _ in $(seq 200); do
		now=$(counts)
		[ "$now" = "$1" ] && return 0
		sleep 0.1
	done
	echo "#   baseline: $1" >&2
	echo "#   now:      $now" >&2
	return 1
}

# killed_leaves_daemon_clean MODE LINE: start compat-test MODE under the
# preload, wait for LINE, SIGKILL it, and wait for the baseline.
killed_leaves_daemon_clean() {
	local mode=$1 line=$2 base pid got=
	base=$(counts)
	coproc KID { exec "${run[@]}" "$COMPAT_TEST" "$mode"; }
	pid=$KID_PID
	read -r -t 30 got <&"${KID[0]}"
	if [ "$got" != "$line" ]; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		fail "killed_leaves_daemon_clean $mode" "the program said '$got'"
		return
	fi
	# The held objects show in the counts (so coming back means something).
	if [ "$mode" = --hold ] && [ "$(counts)" = "$base" ]; then
		kill -KILL "$pid"
		wait "$pid" 2>/dev/null
		fail "killed_leaves_daemon_clean $mode" "its objects do not show in the counts"
		return
	fi
	[ "$mode" = --churn ] && sleep 0.3  # somewhere in the middle of a round
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	if back_to "$base"; then
		pass "killed_leaves_daemon_clean $mode"
	else
		fail "killed_leaves_daemon_clean $mode" "the daemon's counts did not come back"
	fi
}

killed_leaves_daemon_clean --hold ready
for _ in 1 2 3; do
	killed_leaves_daemon_clean --churn running
done

# The README's example: the first C block after "## Running an existing program".
awk '/^## Running an existing program/ { s = 1 } s && /^```c$/ { c = 1; next }
     c && /^```$/ { exit } c { print }' "$README" >"$tmp/example.c"
if [ ! -s "$tmp/example.c" ]; then
	fail readme_example "no C block under '## Running an existing program' in $README"
elif grep -q dmabufd "$tmp/example.c"; then
	fail readme_example "the example names dmabufd"
elif ! ${CC:-cc} -Wall -Werror -o "$tmp/example" "$tmp/example.c" 2>"$tmp/cc.log"; then
	fail readme_example "it does not compile: $(cat "$tmp/cc.log")"
elif ldd "$tmp/example" | grep -q dmabufd; then
	fail readme_example "it links a dmabufd library"
else
	out=$("${run[@]}" "$tmp/example" 2>&1)
	status=$?
	if [ $status = 0 ] && [ "$(tail -n 1 <<<"$out")" = "frame done" ]; then
		pass readme_example
	else
		fail readme_example "exit $status, output: $out"
	fi
fi

# The FUSE debug view files are not dmabufd's objects: the preload's
# first look at an fd on the mount (an lseek, an mmap) asks the daemon
# for a handle (an ioctl) only for the nodes, never for these files (by
# their inode numbers, DMABUFD_FUSE_VIEW_INO_MIN and up). The daemon
# counts every ioctl it answers, these files' included.
view="${DMABUFD_DEV_ROOT:-/run/dmabufd/dev}/debug/sync/info"
ioctls() { "$DMABUFCTL" --json stats | python3 -c 'import json, sys; print(json.load(sys.stdin)["requests_ioctl"])'; }
if [ ! -e "$view" ]; then
	echo "ok - preload_leaves_view_files_alone # SKIP no $view (CUSE)"
else
	before=$(ioctls)
	out=$("${run[@]}" python3 -c '
import ctypes, errno, mmap, os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
try:
    os.lseek(fd, 0, os.SEEK_END)
    print("lseek worked")
except OSError as e:
    print("lseek", errno.errorcode[e.errno])
libc = ctypes.CDLL(None, use_errno=True)
libc.mmap.restype = ctypes.c_void_p
libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int,
                      ctypes.c_int, ctypes.c_long]
p = libc.mmap(None, 4096, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
print("mmap", "worked" if p != ctypes.c_void_p(-1).value else errno.errorcode[ctypes.get_errno()])
' "$view" 2>&1)
	after=$(ioctls)
	if [ "$out" = $'lseek ESPIPE\nmmap ENODEV' ] && [ "$before" = "$after" ]; then
		pass preload_leaves_view_files_alone
	else
		fail preload_leaves_view_files_alone "ioctls $before -> $after; $out"
	fi
fi

# dmabufd-run itself.
out=$("${run[@]}" 2>&1); status=$?
if [ $status = 2 ] && grep -q '^usage: dmabufd-run' <<<"$out"; then
	pass run_without_program_is_usage
else
	fail run_without_program_is_usage "exit $status: $out"
fi
out=$(DMABUFD_COMPAT_LIB=$tmp/none "${run[@]}" true 2>&1); status=$?
if [ $status = 127 ] && grep -q 'no compat library' <<<"$out"; then
	pass run_without_library_127
else
	fail run_without_library_127 "exit $status: $out"
fi
out=$(LD_PRELOAD=/nonexistent-first.so "${run[@]}" --force sh -c 'echo "$LD_PRELOAD $DMABUFD_COMPAT"' 2>/dev/null)
if [ "$out" = "$DMABUFD_COMPAT_LIB:/nonexistent-first.so 1" ]; then
	pass run_force_sets_compat_and_keeps_preload
else
	fail run_force_sets_compat_and_keeps_preload "got '$out'"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
