#!/bin/sh
# dmabufctl against the daemon run.sh started (DMABUFD_CONTROL set): every
# listing is valid JSON with the expected content, faults are accepted or
# refused with the right status, and a missing daemon is exit status 2.
set -eu
ctl=${DMABUFCTL:?DMABUFCTL: the dmabufctl to test}
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
trap 'rm -rf "$tmp"' EXIT

json 'data["dma_channels"] == 0 and data["heaps"] == 1 and "fences" in data' stats
json 'len(data) == 1 and data[0]["name"] == "mock0" and data[0]["channels"] == 4 and "memcpy" in data[0]["capabilities"]' dma devices
json '[c["name"] for c in data] == ["dma0chan%d" % i for i in range(4)] and all(c["in_use"] == 0 for c in data)' dma channels
json 'data == []' dma transfers
# Options after the command, and the text form.
"$ctl" dma channels --json >/dev/null || fail "--json after the command"
"$ctl" dma channels | grep -q '^dma0chan3 ' || fail "text listing"
"$ctl" stats | grep -q '^dma_transfers ' || fail "text stats"

# Faults: accepted on the mock's channels, refused elsewhere.
"$ctl" dma fault dma0chan0 stall || fail "stall"
"$ctl" dma fault dma0chan0 fail-nth 2 || fail "fail-nth"
"$ctl" dma fault dma0chan0 clear || fail "clear"
status=0; "$ctl" dma fault dma0chan9 stall 2>/dev/null || status=$?
[ $status = 1 ] || fail "fault on a missing channel: status $status"
status=0; "$ctl" dma fault dma0chan0 fail-nth 0 2>/dev/null || status=$?
[ $status = 1 ] || fail "fail-nth 0: status $status"
status=0; "$ctl" dma bogus 2>/dev/null || status=$?
[ $status = 1 ] || fail "unknown command: status $status"

# No daemon: a clear message and status 2.
status=0
"$ctl" --control "$tmp/nothing" stats 2>"$tmp/err" || status=$?
[ $status = 2 ] || fail "no daemon: status $status"
grep -q 'not running' "$tmp/err" || fail "no daemon: message: $(cat "$tmp/err")"
echo "dmabufctl-json: ok"
