#!/bin/bash
# run-smoke.sh [--no-negative] [run-vm.sh options...]
#
# Self-test of the VM harness:
#  1. builds cuse-probe (needs cc, pkg-config, libfuse3-dev), stages it with
#     smoke.sh in a temp payload dir and runs
#       run-vm.sh --payload DIR --edu [options] -- ./smoke.sh
#     which must exit 0;
#  2. unless --no-negative: checks that a failing command's status comes
#     back (exit 3 => 3) and that a hanging command is stopped by the guest
#     timeout with a non-zero status.
# Other options (e.g. --cache DIR, --quiet) are passed to run-vm.sh.
set -eu

die() { echo "run-smoke: error: $*" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
negative=1
if [ "${1:-}" = --no-negative ]; then negative=0; shift; fi

command -v cc >/dev/null || die "cc not found (apt-get install gcc)"
command -v pkg-config >/dev/null || die "pkg-config not found (apt-get install pkg-config)"
pkg-config --exists fuse3 || die "fuse3 development files not found (apt-get install libfuse3-dev)"

work=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/payload"
# shellcheck disable=SC2046
cc -O2 -Wall -Wextra -o "$work/payload/cuse-probe" "$here/cuse-probe.c" \
    $(pkg-config --cflags --libs fuse3) || die "building cuse-probe failed"
cp "$here/smoke.sh" "$work/payload/smoke.sh"
chmod 755 "$work/payload/smoke.sh"

rc=0
echo "run-smoke: [1] smoke payload with --edu and the CUSE probe"
"$here/run-vm.sh" --payload "$work/payload" --edu --timeout 120 "$@" -- ./smoke.sh || rc=$?
if [ "$rc" != 0 ]; then
    echo "run-smoke: FAIL: smoke payload exited $rc" >&2
    exit 1
fi

if [ "$negative" = 1 ]; then
    echo "run-smoke: [2] a failing command must report its status (want 3)"
    rc=0
    "$here/run-vm.sh" --timeout 30 "$@" -- sh -c 'echo failing on purpose; exit 3' || rc=$?
    [ "$rc" = 3 ] || { echo "run-smoke: FAIL: failing payload gave $rc, want 3" >&2; exit 1; }
    echo "run-smoke: failing payload gave 3 (expected)"

    echo "run-smoke: [3] a hanging command must be stopped by the guest timeout"
    rc=0
    "$here/run-vm.sh" --timeout 3 "$@" -- sleep 1000 || rc=$?
    [ "$rc" != 0 ] || { echo "run-smoke: FAIL: hanging payload gave 0" >&2; exit 1; }
    echo "run-smoke: hanging payload gave $rc (expected non-zero)"
fi
echo "run-smoke: all harness checks passed"
