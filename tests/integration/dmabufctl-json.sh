#!/bin/sh
# dmabufctl against the daemon run.sh started (DMABUFD_CONTROL set): every
# listing is valid JSON with the expected content (the heap, buffer, fence
# and timeline listings show exactly what ctl-holder made, field by field,
# and nothing once it is gone), a listing larger than the control socket's
# send buffer arrives whole, names that clients chose reach a terminal
# escaped and JSON as the UTF-8 they are, faults are accepted or refused
# with the right status and one message, and a missing daemon is exit
# status 2 with a message that says so.
set -eu
ctl=${DMABUFCTL:?DMABUFCTL: the dmabufctl to test}
holder=${CTL_HOLDER:?CTL_HOLDER: the ctl-holder program}
fail() { echo "dmabufctl-json: $*" >&2; exit 1; }

json() { # json CHECK COMMAND...: run dmabufctl --json COMMAND, check it in python
	check=$1; shift
	"$ctl" --json "$@" >"$tmp/out" || fail "dmabufctl --json $* failed"
	python3 - "$tmp/out" "$check" <<'PY' || fail "dmabufctl --json $*: $(cat "$tmp/out")"
import json, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
assert eval(sys.argv[2], {"data": data}), sys.argv[2]
PY
}

tmp=$(mktemp -d)
hpid=
trap '[ -z "$hpid" ] || kill "$hpid" 2>/dev/null; rm -rf "$tmp"' EXIT

# settle CHECK: wait up to 3 s until the stats pass CHECK (the daemon
# handles a FUSE release after close(2) has returned).
settle() {
	for _ in $(seq 60); do
		"$ctl" --json stats >"$tmp/stats" || fail "stats failed"
		python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2], {"data": d}) else 1)' \
			"$tmp/stats" "$1" && return 0
		sleep 0.05
	done
	fail "stats never reached $1: $(cat "$tmp/stats")"
}

# The system heap's default limit: 50% of RAM (sysinfo's totalram is
# /proc/meminfo's MemTotal).
heap_limit=$(python3 -c 'import re; kb = int(re.search(r"MemTotal:\s+(\d+)", open("/proc/meminfo").read()).group(1)); print(kb * 1024 // 100 * 50)')

json 'data["dma_channels"] == 0 and data["heaps"] == 1 and "fences" in data' stats
json 'len(data["dma_devices"]) == 1 and data["dma_devices"][0]["name"] == "mock0" and data["dma_devices"][0]["channels"] == 4 and data["dma_devices"][0]["capabilities"] == ["memcpy", "slave", "cyclic"]' dma devices
json '[c["name"] for c in data["dma_channels"]] == ["dma0chan%d" % i for i in range(4)] and all(c["in_use"] == 0 and c["client"] is None for c in data["dma_channels"])' dma channels
json 'data == {"dma_transfers": []}' dma transfers

# The object listings: nothing but the system heap before ctl-holder runs.
json "data == {'heaps': [{'name': 'system', 'buffers': 0, 'bytes': 0, 'limit_bytes': $heap_limit}]}" heaps
json 'data == {"buffers": []}' buffers
json 'data == {"fences": []}' fences
json 'data == {"timelines": []}' timelines

# hold [ARG...]: start ctl-holder ARG... holding its objects until
# release; wait until it says "ready" ($tmp/ready).
hold() {
	rm -f "$tmp/hold"
	mkfifo "$tmp/hold"
	"$holder" "$@" <"$tmp/hold" >"$tmp/ready" &
	hpid=$!
	exec 3>"$tmp/hold"
	for _ in $(seq 200); do
		grep -q '^ready' "$tmp/ready" && return 0
		kill -0 "$hpid" 2>/dev/null || fail "ctl-holder $* failed"
		sleep 0.05
	done
	fail "ctl-holder $* never got ready"
}
release() {
	exec 3>&-
	wait "$hpid" || fail "ctl-holder exited with status $?"
	hpid=
}

hold
read -r word id size <"$tmp/ready" || fail "ctl-holder said nothing"
[ "$word" = ready ] || fail "ctl-holder: $word"

json "data == {'heaps': [{'name': 'system', 'buffers': 1, 'bytes': $size, 'limit_bytes': $heap_limit}]}" heaps
json "data == {'buffers': [{'id': $id, 'size': $size, 'mode': 'rw',
	'refcount': 1, 'attachments': 0, 'mapped': 0, 'vmaps': 0,
	'fences_kernel': 0, 'fences_write': 1, 'fences_read': 0,
	'fences_bookkeep': 0, 'exporter': 'system', 'name': 'ctl-buf',
	'orphaned': False, 'opener_pid': $hpid, 'opener_comm': 'ctl-t2',
	'last_pid': $hpid, 'last_comm': 'ctl-t2', 'kernel': False}]}" buffers
json 'data["dma_bufs"] == 1 and data["fences"] == 2 and data["timelines"] == 2' stats
"$ctl" --json timelines >"$tmp/timelines" || fail "dmabufctl --json timelines failed"
"$ctl" --json fences >"$tmp/fences" || fail "dmabufctl --json fences failed"
python3 - "$tmp/timelines" "$tmp/fences" "$hpid" <<'PY' || fail "timelines/fences: $(cat "$tmp/timelines" "$tmp/fences")"
import json, sys
tl = json.load(open(sys.argv[1]))["timelines"]
fe = json.load(open(sys.argv[2]))["fences"]
holder = int(sys.argv[3])
# Timelines, oldest first: ctl-t1 open at 2 with its point 5 pending;
# ctl-t2 closed (its fd is gone), kept by its signaled point.
assert [(t["name"], t["value"], t["pending"], t["closed"]) for t in tl] == \
    [("ctl-t1", 2, 1, False), ("ctl-t2", 0, 0, True)], tl
assert tl[0]["context"] != tl[1]["context"]
# Fences, oldest first: point 5 held by its sync_file and the buffer's
# reservation object; point 1 by its sync_file, ENOENT since ctl-t2 closed.
assert len(fe) == 2, fe
a, b = fe
want_a = {"context": tl[0]["context"], "seqno": 5, "driver": "sw_sync",
          "timeline": "ctl-t1", "status": "pending", "error": 0,
          "error_name": None, "enabled": False, "refcount": 2, "waiters": 0,
          "timestamp_ns": "0", "producer_pid": holder,
          "producer_comm": "ctl-t2"}
want_b = {"context": tl[1]["context"], "seqno": 1, "driver": "sw_sync",
          "timeline": "ctl-t2", "status": "error", "error": -2,
          "error_name": "ENOENT", "enabled": True, "refcount": 1, "waiters": 0,
          "producer_pid": holder, "producer_comm": "ctl-t2"}
assert {k: a[k] for k in want_a} == want_a, a
assert {k: b[k] for k in want_b} == want_b, b
# Nanoseconds are strings of digits (exact past 2^53, even in jq 1.6).
assert all(isinstance(f[k], str) and f[k].isdigit()
           for f in fe for k in ("created_ns", "timestamp_ns", "age_ns"))
assert int(a["age_ns"]) > 0 and int(a["created_ns"]) > 0
assert int(b["created_ns"]) <= int(b["timestamp_ns"]) and int(b["age_ns"]) > 0
assert set(a) == set(b) == set(want_a) | {"created_ns", "age_ns"}
PY

# The text forms show the same.
"$ctl" heaps | grep -Eq "^system +1 +$size +$heap_limit\$" || fail "text heaps: $("$ctl" heaps)"
"$ctl" buffers | grep -Eq "^$id +$size +rw +1 +0 +0 +0 +0/1/0/0 +system +ctl-buf\$" ||
	fail "text buffers: $("$ctl" buffers)"
"$ctl" fences | grep -Eq ' 5 +sw_sync +ctl-t1 +pending ' || fail "text fences: $("$ctl" fences)"
"$ctl" fences | grep -Eq ' 1 +sw_sync +ctl-t2 +error ENOENT ' || fail "text fences: $("$ctl" fences)"
"$ctl" timelines | grep -Eq '^ctl-t2 +[0-9]+ +0 +0 +closed$' || fail "text timelines: $("$ctl" timelines)"

# Once ctl-holder is gone, so is everything it made.
release
settle 'data["dma_bufs"] == 0 and data["fences"] == 0 and data["timelines"] == 0'
json "data == {'heaps': [{'name': 'system', 'buffers': 0, 'bytes': 0, 'limit_bytes': $heap_limit}]}" heaps
json 'data == {"buffers": []}' buffers
json 'data == {"fences": []}' fences
json 'data == {"timelines": []}' timelines

# A listing larger than the control socket's send buffer (4000 fences of
# 120 bytes: 480 KB) arrives whole, in both forms, and the daemon goes on.
hold fences 4000
json '[(f["timeline"], f["seqno"], f["status"]) for f in data["fences"]] == [("ctl-many", i, "pending") for i in range(1, 4001)]' fences
"$ctl" fences >"$tmp/out" || fail "text fences of 4000"
[ "$(grep -c ' sw_sync  *ctl-many  *pending ' "$tmp/out")" = 4000 ] ||
	fail "text fences of 4000: $(grep -c ' ctl-many ' "$tmp/out") lines"
json 'data["fences"] == 4000 and data["timelines"] == 1' stats
release
settle 'data["fences"] == 0 and data["timelines"] == 0'

# Names are the clients' bytes: a terminal gets control characters and
# bytes that are not UTF-8 as \xNN (a backslash doubled), valid UTF-8 as
# it is; JSON gets the UTF-8 as it is, C0 controls as \u00XX, and U+FFFD
# for each byte that is not UTF-8. Raw tables (-r) get libsmartcols'
# escapes: \xNN for a space, a backslash and every byte past ASCII.
esc=$(printf '\033')
hold names "$(printf 'esc\033[2Jred')" "$(printf 'caf\303\251')" "$(printf 'bad\377x')" 'back\slash'
"$ctl" buffers >"$tmp/out" || fail "text buffers with names"
if grep -q "$esc" "$tmp/out"; then fail "text buffers: a raw ESC in the output"; fi
grep -qF ' esc\x1b[2Jred' "$tmp/out" || fail "text buffers: ESC not as \\x1b: $(cat -v "$tmp/out")"
grep -qF " $(printf 'caf\303\251')" "$tmp/out" || fail "text buffers: UTF-8 name: $(cat -v "$tmp/out")"
grep -qF ' bad\xffx' "$tmp/out" || fail "text buffers: 0xff not as \\xff: $(cat -v "$tmp/out")"
grep -qF ' back\\slash' "$tmp/out" || fail "text buffers: backslash: $(cat -v "$tmp/out")"
json "[b['name'] for b in data['buffers']] == ['esc\\x1b[2Jred', 'caf\\u00e9', 'bad\\ufffdx', 'back\\\\slash']" buffers
"$ctl" -r -n -o name buffers >"$tmp/out" || fail "raw buffers with names"
[ "$(cat "$tmp/out")" = "$(printf '%s\n' 'esc\x1b[2Jred' 'caf\xc3\xa9' 'bad\xffx' 'back\x5cslash')" ] ||
	fail "raw buffers: names: $(cat -v "$tmp/out")"
"$ctl" --json buffers | grep -qF '"esc\u001b[2Jred"' || fail "JSON: ESC not as \\u001b"
"$ctl" --json buffers | grep -qF "\"$(printf 'caf\303\251')\"" || fail "JSON: UTF-8 name not as it is"
release
settle 'data["dma_bufs"] == 0'

# Options after the command, and the text form.
"$ctl" dma channels --json >/dev/null || fail "--json after the command"
"$ctl" dma channels | grep -q '^dma0chan3 ' || fail "text listing"
"$ctl" stats | grep -q '^dma_transfers ' || fail "text stats"

# Faults: accepted on the mock's channels, refused elsewhere.
"$ctl" dma fault dma0chan0 stall || fail "stall"
"$ctl" dma fault dma0chan0 fail-nth 2 || fail "fail-nth"
"$ctl" dma fault dma0chan0 clear || fail "clear"
json 'data == {"channel": "dma0chan0", "fault": "clear", "count": 0}' dma fault dma0chan0 clear
status=0; "$ctl" dma fault dma0chan9 stall 2>/dev/null || status=$?
[ $status = 1 ] || fail "fault on a missing channel: status $status"
# A malformed channel name: status 1 and one line that says so.
status=0; "$ctl" dma fault bogus stall 2>"$tmp/err" || status=$?
[ $status = 1 ] || fail "fault on a malformed name: status $status"
[ "$(cat "$tmp/err")" = 'dmabufctl: "bogus" is not a channel name like dma0chan1' ] ||
	fail "fault on a malformed name: message: $(cat "$tmp/err")"
status=0; "$ctl" dma fault dma0chan0 fail-nth 0 2>/dev/null || status=$?
[ $status = 1 ] || fail "fail-nth 0: status $status"
status=0; "$ctl" dma bogus 2>/dev/null || status=$?
[ $status = 1 ] || fail "unknown command: status $status"
status=0; "$ctl" fences 1 2>/dev/null || status=$?
[ $status = 1 ] || fail "an argument too many: status $status"

# No daemon: a message that says so and how to start one, and status 2,
# for every command; no socket file, or one nobody listens on.
for cmd in stats heaps buffers fences timelines "dma channels"; do
	status=0
	# shellcheck disable=SC2086
	"$ctl" --control "$tmp/nothing" $cmd 2>"$tmp/err" || status=$?
	[ $status = 2 ] || fail "no daemon, $cmd: status $status"
	grep -qx "dmabufctl: dmabufd is not running (no control socket at $tmp/nothing); start it with systemctl start dmabufd, or name its socket with --control or \$DMABUFD_CONTROL" \
		"$tmp/err" || fail "no daemon, $cmd: message: $(cat "$tmp/err")"
done
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET).bind(sys.argv[1])' \
	"$tmp/stale"
status=0
DMABUFD_CONTROL=$tmp/stale "$ctl" --json heaps 2>"$tmp/err" || status=$?
[ $status = 2 ] || fail "stale socket: status $status"
grep -q "not running (nothing listens on $tmp/stale)" "$tmp/err" ||
	fail "stale socket: message: $(cat "$tmp/err")"
echo "dmabufctl-json: ok"
