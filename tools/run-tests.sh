#!/usr/bin/env bash
# Build dmabufd and run every test suite: the README's test command.
#
#   1. a -Werror build, unit suite
#   2. the unit suite again under valgrind (leaks and memory errors fail)
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build, unit suite
#
# Build directories go under build-test/ (override with BUILD_ROOT).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
root=${BUILD_ROOT:-$top/build-test}
cd "$top"

step() { printf '\n=== %s ===\n' "$*"; }

configure() {
	local dir=$1; shift
	if [ -d "$dir/meson-private" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

step "build (-Werror)"
configure "$root/plain" -Dwerror=true -Dtests=enabled
meson compile -C "$root/plain"

step "unit suite"
meson test -C "$root/plain" --suite unit --print-errorlogs

step "unit suite under valgrind"
meson test -C "$root/plain" --suite unit --setup valgrind --print-errorlogs

step "build with ASan + UBSan"
configure "$root/asan" -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C "$root/asan"

step "unit suite under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$root/asan" --suite unit --print-errorlogs

step "summary (unit suite, plain build; the other runs above passed too)"
python3 tools/test-summary.py "$root/plain/meson-logs/testlog.json"
