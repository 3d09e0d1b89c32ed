#!/usr/bin/env bash
# Cross-build dmabufd for armhf (cross/armhf.ini) and run the unit suite
# under qemu-user, so that 32-bit and alignment mistakes show up on an
# x86-64 host. tools/setup.sh installs the toolchain and qemu-user (amd64
# packages only); the armhf libraries come from a private sysroot that
# tools/cross-sysroot.sh builds from Debian's archive (cached), so neither
# `dpkg --add-architecture armhf` nor any armhf package in the system is
# needed.
#
#   tools/cross-test.sh [BUILD_DIR]        (default: build-armhf)
#
# Environment:
#   DMABUFD_ARMHF_SYSROOT  the sysroot directory (default: see
#                          tools/cross-sysroot.sh)
#   CROSS_MESON_ARGS  extra `meson setup` arguments (e.g. -Db_sanitize=...)
#   CROSS_TESTS       space-separated unit test names to run (default: the
#                     whole 'unit' suite)
# Exits non-zero when the sysroot, the configuration, the build or a test
# fails. The test logs are BUILD_DIR/meson-logs/testlog.json and
# testlog.junit.xml (each cmocka case a subtest: tools/test-summary.py).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-armhf}
cd "$here"

for tool in arm-linux-gnueabihf-gcc qemu-arm pkg-config; do
	if ! command -v "$tool" >/dev/null; then
		echo "cross-test.sh: $tool not found (run tools/setup.sh)" >&2
		exit 2
	fi
done
if [ ! -e /usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3 ]; then
	echo "cross-test.sh: no /usr/arm-linux-gnueabihf/lib/ld-linux-armhf.so.3 (libc6-armhf-cross; run tools/setup.sh)" >&2
	exit 2
fi

sysroot=$(bash tools/cross-sysroot.sh ${DMABUFD_ARMHF_SYSROOT:+"$DMABUFD_ARMHF_SYSROOT"})

# shellcheck disable=SC2206
setup_args=(--cross-file cross/armhf.ini --cross-file "$sysroot/meson-cross.ini"
	-Dwerror=true ${CROSS_MESON_ARGS:-})
# A build directory configured otherwise (another sysroot, the multiarch
# setup of old, other arguments) is configured afresh.
stamp="${setup_args[*]}"
if [ -f "$build/build.ninja" ] && [ "$(cat "$build/.cross-test-setup" 2>/dev/null)" != "$stamp" ]; then
	if [ -d "$build/meson-private" ]; then
		echo "cross-test.sh: $build was configured otherwise; configuring it afresh" >&2
		rm -rf "$build"
	else
		echo "cross-test.sh: $build is not a meson build directory" >&2
		exit 2
	fi
fi
if [ ! -f "$build/build.ninja" ]; then
	meson setup "${setup_args[@]}" "$build"
	echo "$stamp" > "$build/.cross-test-setup"
fi

# The unit suite's executables (not the whole tree: the daemon itself is
# exercised by the integration and VM suites on the host).
mapfile -t targets < <(meson introspect --tests "$build" | python3 -c '
import json, os, sys
root = os.path.abspath(sys.argv[1])
want = set(sys.argv[2].split())
for t in json.load(sys.stdin):
    unit = any(s == "unit" or s.endswith(":unit") for s in t["suite"])
    if not unit or (want and t["name"] not in want):
        continue
    for arg in t["cmd"]:
        if arg.startswith(root + "/"):
            print(os.path.relpath(arg, root))
            break
' "$build" "${CROSS_TESTS:-}")
if [ "${#targets[@]}" -eq 0 ]; then
	echo "cross-test.sh: no unit tests found in $build" >&2
	exit 1
fi
ninja -C "$build" "${targets[@]}"

# (Not the 'lint' checks in the unit suite: host scripts, run natively.)
args=(--no-rebuild --print-errorlogs --suite unit --no-suite lint)
if [ -n "${CROSS_TESTS:-}" ]; then
	# shellcheck disable=SC2206
	args+=(${CROSS_TESTS})
fi
meson test -C "$build" "${args[@]}"
