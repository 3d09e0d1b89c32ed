#!/bin/sh
# dmabufctl trace against the daemon run.sh started (DMABUFD_CONTROL
# set), while trace-pipeline runs: the file is trace-event JSON as
# Perfetto and chrome://tracing read it (python3's json loads it; every
# event well formed; every X event's lane has its events in time order,
# each nested in or apart from the one before, which is what a B/E
# pairing needs; durations >= 0), every track the pipeline made is there
# and named, and the pipeline's events are on them with their names and
# args: the timeline's points 1..N signaled without error, one memcpy
# per frame on its channel with its bytes, a write window on the source
# and a read window on the destination per frame, and a parked wait per
# frame of the pipeline's process. Also: --duration alone ends a trace
# with nothing recorded (valid, empty), and usage errors exit 1.
set -eu
ctl=${DMABUFCTL:?DMABUFCTL: the dmabufctl to test}
pipeline=${TRACE_PIPELINE:?TRACE_PIPELINE: the trace-pipeline program}
fail() { echo "trace: $*" >&2; exit 1; }

tmp=$(mktemp -d)
tpid=
trap '[ -z "$tpid" ] || kill "$tpid" 2>/dev/null; rm -rf "$tmp"' EXIT

# Usage errors: no -o, a bad duration, a stray argument.
for args in "" "-o $tmp/x --duration 0" "-o $tmp/x --duration x" "-o $tmp/x extra"; do
	st=0
	# shellcheck disable=SC2086
	"$ctl" trace $args 2>"$tmp/err" || st=$?
	[ "$st" -eq 1 ] || fail "trace '$args': exit status $st, not 1"
	grep -q "Usage: dmabufctl trace" "$tmp/err" || fail "trace $args: no usage line"
done

# A trace while the pipeline runs, ended by SIGINT once it is done (the
# pipeline's length does not matter).
"$ctl" trace -o "$tmp/trace.json" --duration 120 2>"$tmp/trace.err" &
tpid=$!
for _ in $(seq 200); do
	grep -q "recording" "$tmp/trace.err" && break
	sleep 0.05
done
grep -q "recording" "$tmp/trace.err" || fail "no 'recording': $(cat "$tmp/trace.err")"
frames=3
"$pipeline" "$frames" 5 >"$tmp/pipeline.out" || fail "trace-pipeline failed"
kill -INT "$tpid"
wait "$tpid" || fail "dmabufctl trace exited $?: $(cat "$tmp/trace.err")"
tpid=

python3 - "$tmp/trace.json" $(cat "$tmp/pipeline.out") <<'PY' || fail "the trace: see above"
import json, sys
path, word, src, dst, chan, pid, frames = sys.argv[1:8]
assert word == "pipeline"
src, dst, pid, frames = int(src), int(dst), int(pid), int(frames)
with open(path) as f:
    data = json.load(f)

# The trace-event structure.
assert isinstance(data, dict) and isinstance(data["traceEvents"], list)
assert data["displayTimeUnit"] in ("ms", "ns")
assert data["otherData"]["lost"] == 0, data["otherData"]
names, threads, lanes = {}, set(), {}
for e in data["traceEvents"]:
    assert e["ph"] in ("X", "M"), e
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
    if e["ph"] == "M":
        assert e["name"] in ("process_name", "process_sort_index", "thread_name"), e
        if e["name"] == "process_name":
            assert e["pid"] not in names, ("two names", e)
            names[e["pid"]] = e["args"]["name"]
        elif e["name"] == "thread_name":
            threads.add((e["pid"], e["tid"]))
        continue
    assert isinstance(e["name"], str) and isinstance(e["cat"], str), e
    assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
    assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
    assert isinstance(e["args"], dict), e
    lanes.setdefault((e["pid"], e["tid"]), []).append(e)

# Every lane named, its track named; per lane, time order and proper
# nesting (each begin closed before the one around it ends).
for (p, t), evs in lanes.items():
    assert p in names and (p, t) in threads, (p, t)
    ts = [e["ts"] for e in evs]
    assert ts == sorted(ts), ("not in time order", names[p], t)
    stack = []
    for e in evs:
        b, end = e["ts"], e["ts"] + e["dur"]
        while stack and stack[-1] <= b:
            stack.pop()
        assert not stack or end <= stack[-1] + 1e-6, ("overlap", names[p], e)
        stack.append(end)

def track(name):
    found = [p for p, n in names.items() if n == name or n.startswith(name)]
    assert len(found) == 1, ("track", name, sorted(names.values()))
    return [e for (p, t), evs in lanes.items() if p == found[0] for e in evs]

def only(evs, name):
    return sorted((e for e in evs if e["name"] == name), key=lambda e: e["ts"])

# The timeline: points 1..frames, each signaled without error.
tl = track("timeline trace-tl (sw_sync, context ")
for n in range(1, frames + 1):
    (e,) = only(tl, "seqno %d" % n)
    assert e["cat"] == "fence" and e["args"]["seqno"] == n, e
    assert e["args"]["error"] == 0 and e["args"]["driver"] == "sw_sync", e
    assert e["args"]["timeline"] == "trace-tl", e
    assert "unfinished" not in e["args"] and "before_trace" not in e["args"], e

# The channel: one memcpy per frame, all of it moved.
dma = sorted((e for e in track("DMA " + chan)), key=lambda e: e["ts"])
assert len(dma) == frames, dma
for e in dma:
    assert e["cat"] == "dma" and e["args"]["channel"] == chan, e
    assert e["args"]["result"] == "ok", e
    assert e["args"]["length"] == 65536 and e["args"]["bytes"] == 65536, e
assert len({e["args"]["cookie"] for e in dma}) == frames, dma

# The buffers: a write window on the source, a read window on the
# destination, per frame, by the pipeline's process.
for buf, bname, what, flags in ((src, "trace-src", "write", 2), (dst, "trace-dst", "read", 1)):
    evs = track("buffer %d (%s)" % (buf, bname))
    assert len(evs) == frames and all(e["name"] == what for e in evs), evs
    for e in evs:
        assert e["cat"] == "cpu" and e["args"]["buffer"] == buf, e
        assert e["args"]["pid"] == pid and e["args"]["flags"] == flags, e
        assert "unfinished" not in e["args"] and "before_trace" not in e["args"], e

# The process: a parked wait on each frame's render fence, answered 0.
waits = only(track("process %d" % pid), "DMABUFD_SYNC_IOC_WAIT")
assert len(waits) == frames, waits
assert all(e["cat"] == "wait" and e["args"]["result"] == 0 and
           e["args"]["pid"] == pid for e in waits), waits

# Order within a frame: the render wait ends before that frame's copy
# starts; the copy ends before the destination's read window begins.
reads = sorted(track("buffer %d (trace-dst)" % dst), key=lambda e: e["ts"])
for w, d, r in zip(waits, dma, reads):
    assert w["ts"] + w["dur"] <= d["ts"] + 1e-3, (w, d)
    assert d["ts"] + d["dur"] <= r["ts"] + 1e-3, (d, r)
print("trace: ok: %d events on %d tracks" % (sum(map(len, lanes.values())), len(names)))
PY

# --duration alone ends the trace; nothing happened: valid and empty.
"$ctl" trace -o "$tmp/empty.json" --duration 0.5 2>"$tmp/empty.err" ||
	fail "trace --duration 0.5: $(cat "$tmp/empty.err")"
python3 - "$tmp/empty.json" <<'PY' || fail "the empty trace"
import json, sys
data = json.load(open(sys.argv[1]))
assert data["traceEvents"] == [] and data["otherData"]["records"] == 0, data
PY
echo "trace: ok"
