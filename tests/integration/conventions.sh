#!/bin/sh
# The command-line conventions, against the daemon run.sh started
# (DMABUFD_CONTROL, DMABUFD_DEV_ROOT set), each checked for its exact
# output:
#   - --version on every installed program prints "NAME VERSION";
#   - dmabufctl status: the daemon's version, pid, transport, device
#     root, configuration, nodes, limits and live counts, as text and JSON
#     (uptime_ns a string of digits);
#   - -o picks and orders columns, +COL adds to the defaults, -n drops the
#     headings, -r prints raw cells, --list-columns names them;
#   - an unknown column, an unknown command (with "did you mean" when one
#     is near), a missing daemon: the message and exit status, and under
#     -J one {"error", "errno"} object on stderr and nothing on stdout
#     (also for a bad option value given before -J).
set -eu
ctl=${DMABUFCTL:?DMABUFCTL: the dmabufctl to test}
daemon=${DMABUFD_TEST_DAEMON:?DMABUFD_TEST_DAEMON: the daemon run.sh runs}
run=${DMABUFD_RUN:?DMABUFD_RUN: the dmabufd-run script}
version=${DMABUFD_VERSION:?DMABUFD_VERSION: the project version}
fail() { echo "conventions: $*" >&2; exit 1; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect NAME WANT COMMAND...: COMMAND's stdout is exactly WANT, status 0.
expect() {
	name=$1 want=$2; shift 2
	"$@" >"$tmp/out" 2>"$tmp/err" || fail "$name: status $? ($(cat "$tmp/err"))"
	[ "$(cat "$tmp/out")" = "$want" ] ||
		fail "$name: got
$(cat "$tmp/out")
wanted
$want"
}

# expect_err NAME STATUS STDERR COMMAND...: exit STATUS, stdout empty,
# stderr exactly STDERR.
expect_err() {
	name=$1 want_status=$2 want=$3; shift 3
	status=0
	"$@" >"$tmp/out" 2>"$tmp/err" || status=$?
	[ "$status" = "$want_status" ] || fail "$name: status $status, not $want_status"
	[ ! -s "$tmp/out" ] || fail "$name: stdout: $(cat "$tmp/out")"
	[ "$(cat "$tmp/err")" = "$want" ] ||
		fail "$name: stderr
$(cat "$tmp/err")
wanted
$want"
}

# --version
expect "dmabufd --version" "dmabufd $version" "$daemon" --version
expect "dmabufctl --version" "dmabufctl $version" "$ctl" --version
expect "dmabufctl -V" "dmabufctl $version" "$ctl" -V
expect "dmabufd-run --version" "dmabufd-run $version" sh "$run" --version

# status
pid=$(cat "$(dirname "$DMABUFD_CONTROL")/dmabufd.lock")
uid_bytes=$(python3 -c 'import os; print(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 100 * 25)')
heap_limit=$(python3 -c 'import os; print(os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 100 * 50)')
"$ctl" -J status >"$tmp/status" || fail "status -J: status $?"
python3 - "$tmp/status" <<PY || fail "status -J: $(cat "$tmp/status")"
import json, sys
d = json.load(open(sys.argv[1]))
up = d.pop("uptime_ns")
assert isinstance(up, str) and up.isdigit() and int(up) > 0, up
want = {"version": "$version", "pid": $pid, "transport": "fuse",
        "dev_root": "$DMABUFD_DEV_ROOT", "config": None,
        "control": "$DMABUFD_CONTROL", "nodes": 5, "nodes_live": 5,
        "limits": {"uid_bytes": $uid_bytes, "uid_files": 4096,
                   "uid_tokens": 1024, "uid_channels": 2,
                   "uid_connections": 64, "exempt_root": True,
                   "exempt_gid": None},
        "heaps": [{"name": "system", "limit_bytes": $heap_limit}],
        "live": {"buffers": 0, "heap_bytes": 0, "fences": 0,
                 "timelines": 0, "open_files": 0, "dma_channels": 0,
                 "dma_transfers": 0, "accounts": 1, "control_clients": 1}}
assert d == want, (d, want)
PY
"$ctl" status >"$tmp/status" || fail "status: status $?"
sed '/^uptime:/d' "$tmp/status" >"$tmp/got"
cat >"$tmp/want" <<EOT
version:        $version
pid:            $pid
transport:      fuse
dev-root:       $DMABUFD_DEV_ROOT
config:         none
control:        $DMABUFD_CONTROL
nodes:          5 (5 live)
limits:         uid-bytes=$uid_bytes uid-files=4096 uid-tokens=1024 uid-channels=2 uid-connections=64
exempt:         root
heap limits:    system=$heap_limit
live:           buffers=0 heap_bytes=0 fences=0 timelines=0 open_files=0 dma_channels=0 dma_transfers=0 accounts=1 control_clients=1
EOT
cmp -s "$tmp/got" "$tmp/want" || fail "status: $(diff "$tmp/want" "$tmp/got")"
grep -Eqx 'uptime: +[0-9]+(s|m[0-9]{2}s)' "$tmp/status" || fail "status: $(grep uptime "$tmp/status")"

# Columns, headings, raw
expect "-o" "NAME   BYTES
system     0" "$ctl" -o name,bytes heaps
expect "-o, any case and order" "BYTES NAME
    0 system" "$ctl" -o BYTES,Name heaps
expect "-n" "system     0" "$ctl" -n -o name,bytes heaps
expect "-r" "NAME CHANNELS CAPABILITIES
mock0 4 memcpy,slave,cyclic" "$ctl" -r -o name,channels,capabilities dma devices
expect "-rn" "dma0chan0 0
dma0chan1 0
dma0chan2 0
dma0chan3 0" "$ctl" -rn -o name,in_use dma channels
expect "+COL" "system 0 0 $heap_limit 0" "$ctl" -rn -o +buffers heaps
expect "-J -o" '{
   "heaps": [
      {
         "name": "system",
         "buffers": 0
      }
   ]
}' "$ctl" -J -o name,buffers heaps
expect "--list-columns" "Columns of dmabufctl heaps (-o COL,...; * shown by default):
  NAME                 * the heap: the node dma_heap/NAME
  BUFFERS              * buffers allocated and not freed
  BYTES                * bytes they take
  LIMIT_BYTES          * allocations past it fail ENOMEM (text \"-\", JSON 0: none)" \
	"$ctl" heaps --list-columns
"$ctl" -J --list-columns dma channels | python3 -c '
import json, sys
cols = json.load(sys.stdin)["columns"]
assert [c["name"] for c in cols][:3] == ["NAME", "DEVICE", "DEV_ID"], cols
assert cols[0]["default"] is True and cols[2]["default"] is False, cols
' || fail "--list-columns -J"
expect "stats -o" "dma_channels 0 gauge
refused_bytes 0 counter" sh -c "'$ctl' -rn -o name,value,kind stats | grep -E '^(dma_channels|refused_bytes) '"

# Errors: text, then JSON on stderr with stdout empty.
expect_err "unknown column" 1 'dmabufctl: unknown column "bogus" (dmabufctl fences --list-columns)' \
	"$ctl" -o context,bogus fences
expect_err "unknown column -J" 1 '{"error": "unknown column \"bogus\" (dmabufctl fences --list-columns)", "errno": 22}' \
	"$ctl" -J -o context,bogus fences
expect_err "did you mean" 1 'dmabufctl: unknown command "bufers"; did you mean "buffers"? (dmabufctl --help)' \
	"$ctl" bufers
expect_err "did you mean, group" 1 'dmabufctl: unknown command "dma chanels"; did you mean "dma channels"? (dmabufctl --help)' \
	"$ctl" dma chanels
expect_err "did you mean -J" 1 '{"error": "unknown command \"timeline\"; did you mean \"timelines\"? (dmabufctl --help)", "errno": 22}' \
	"$ctl" --json timeline
# fences --older-than DUR: a usage error for what is no duration (NaN
# too), in JSON under -J wherever -J stands.
expect_err "--older-than, no unit" 1 'dmabufctl: --older-than: "5x" is no duration (5s, 200ms) (dmabufctl --help)' \
	"$ctl" fences --pending --older-than 5x
expect_err "--older-than, negative" 1 'dmabufctl: --older-than: "-1s" is no duration (5s, 200ms) (dmabufctl --help)' \
	"$ctl" fences --older-than=-1s
expect_err "--older-than, nan" 1 'dmabufctl: --older-than: "nan" is no duration (5s, 200ms) (dmabufctl --help)' \
	"$ctl" fences --older-than nan
expect_err "--older-than -J" 1 '{"error": "--older-than: \"5x\" is no duration (5s, 200ms) (dmabufctl --help)", "errno": 22}' \
	"$ctl" -J fences --older-than 5x
expect_err "--older-than, -J after it" 1 '{"error": "--older-than: \"5x\" is no duration (5s, 200ms) (dmabufctl --help)", "errno": 22}' \
	"$ctl" fences --older-than 5x -J
expect_err "-p, -J after it" 1 '{"error": "-p: \"x\" is no pid (dmabufctl --help)", "errno": 22}' \
	"$ctl" procs -p x -J
expect_err "--older-than elsewhere" 1 'dmabufctl: --pending and --older-than are options of "fences" (dmabufctl --help)' \
	"$ctl" buffers --older-than 5s
expect_err "nothing near" 1 'dmabufctl: unknown command "xyzzy" (dmabufctl --help)' \
	"$ctl" xyzzy
expect_err "-o on a non-listing" 1 'dmabufctl: "status" is not a listing: -o does not apply (dmabufctl --help)' \
	"$ctl" -o name status
expect_err "no daemon -J" 2 "{\"error\": \"dmabufd is not running (no control socket at $tmp/none); start it with systemctl start dmabufd, or name its socket with --control or \$DMABUFD_CONTROL\", \"errno\": 2}" \
	"$ctl" -J --control "$tmp/none" status
expect_err "no daemon -J, listing" 2 "{\"error\": \"dmabufd is not running (no control socket at $tmp/none); start it with systemctl start dmabufd, or name its socket with --control or \$DMABUFD_CONTROL\", \"errno\": 2}" \
	"$ctl" -J --control "$tmp/none" heaps
echo "conventions: ok"
