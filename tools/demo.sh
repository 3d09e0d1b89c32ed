#!/usr/bin/env bash
# The demo: build dmabufd, dmabufctl and examples/pipeline (meson's
# progress shown), start the daemon, run examples/pipeline (a producer
# and a consumer process, a DMA copy on the mock controller between them,
# fences all along), stop the daemon, and say how to start one of your
# own and look at it. Uses CUSE when /dev/cuse exists, else the FUSE
# fallback under a temporary device root; the control socket is always
# private, and no daemon is left running, whatever happens.
#
#   tools/demo.sh [--tokens]      (--tokens: share by claim tokens, not SCM_RIGHTS)
#
# BUILD_DIR overrides the build directory (default build-demo).
# DEMO_PREBUILT=1 uses BUILD_DIR as it is, without building.
# Needs only tools/setup.sh --demo's packages.
# DEMO_TRACE=FILE records the pipeline with `dmabufctl trace -o FILE`
# (trace-event JSON: ui.perfetto.dev, or tools/trace-plot.py for a PNG);
# the mock controller then moves 64 MB/s after 500 us, so the copy has a
# width one can see.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$top/build-demo}
cd "$top"

# DEMO_PREBUILT=1: $BUILD_DIR is built already (the meson test of this script).
if [ "${DEMO_PREBUILT:-0}" != 1 ]; then
	if [ ! -d "$build/meson-private" ]; then
		echo "demo: configuring $build (meson setup)"
		setup_log=$(mktemp "${TMPDIR:-/tmp}/dmabufd-demo-setup.XXXXXX")
		if ! meson setup "$build" >"$setup_log" 2>&1; then
			cat "$setup_log" >&2
			rm -f "$setup_log"
			echo "demo: meson setup failed (tools/setup.sh --demo installs what it needs)" >&2
			exit 1
		fi
		rm -f "$setup_log"
	fi
	echo "demo: building dmabufd, dmabufctl and examples/pipeline"
	meson compile -C "$build" dmabufd:executable tools/dmabufctl examples/pipeline
	echo
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-demo.XXXXXX")
ctl=$tmp/control
pid=
if [ -e /dev/cuse ]; then
	transport=cuse
	root=/dev
	args=(--transport=cuse)
else
	transport=fuse
	root=$tmp/dev
	mkdir -p "$root"
	args=(--transport=fuse --dev-root="$root")
fi
trace=${DEMO_TRACE:-}
tpid=
if [ -n "$trace" ]; then
	args+=(--mock-latency-us=500 --mock-bandwidth=64M)
fi

cleanup() {
	if [ -n "$tpid" ]; then
		kill -INT "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
	fi
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	if [ "$transport" = fuse ] && grep -q " $root fuse" /proc/self/mounts; then
		fusermount3 -u -z "$root" 2>/dev/null || umount -l "$root" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "demo: starting dmabufd ($transport, nodes under $root)"
"$build/dmabufd" --foreground "${args[@]}" --control="$ctl" >"$tmp/daemon.log" 2>&1 &
pid=$!
for _ in $(seq 200); do
	grep -q 'dmabufd: ready' "$tmp/daemon.log" && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
if ! grep -q 'dmabufd: ready' "$tmp/daemon.log"; then
	echo "demo: the daemon did not start:" >&2
	cat "$tmp/daemon.log" >&2
	exit 1
fi

if [ -n "$trace" ]; then
	DMABUFD_CONTROL=$ctl "$build/tools/dmabufctl" trace -o "$trace" 2>"$tmp/trace.log" &
	tpid=$!
	for _ in $(seq 200); do
		grep -q recording "$tmp/trace.log" && break
		sleep 0.05
	done
	grep -q recording "$tmp/trace.log" || { cat "$tmp/trace.log" >&2; exit 1; }
fi

echo "demo: running examples/pipeline $*"
echo
status=0
DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$ctl "$build/examples/pipeline" "$@" || status=$?
echo

if [ -n "$tpid" ]; then
	kill -INT "$tpid"
	wait "$tpid" || status=$?
	tpid=
	echo "demo: $(cat "$tmp/trace.log" | tail -n 1) -> $trace"
fi

kill -TERM "$pid"
daemon_status=0
wait "$pid" || daemon_status=$?
pid=
echo "demo: dmabufd stopped (exit status $daemon_status)"
if [ $status -ne 0 ] || [ $daemon_status -ne 0 ]; then
	echo "demo: FAILED" >&2
	exit 1
fi
echo "demo: OK"

# The user's own daemon: where it puts its nodes, by the rule above.
if [ "$transport" = cuse ]; then
	where="CUSE nodes under /dev"
else
	where="FUSE fallback, nodes under /run/dmabufd/dev"
fi
rel=${build#"$top"/}
cat <<EOF

Next, start a daemon of your own (as root; $where,
control socket /run/dmabufd/control; Ctrl-C stops it):

    $rel/dmabufd --foreground

and look at it from another terminal:

    $rel/tools/dmabufctl stats   # live objects, requests served
    $rel/examples/pipeline       # the demo's two processes, against it
    $rel/tools/dmabufctl buffers # also heaps, fences, timelines, dma channels
EOF
