#!/usr/bin/env bash
# README.md's first command, `tools/setup.sh --demo && tools/demo.sh`,
# without installing anything:
#   - setup.sh --demo lists none of the test-only packages (QEMU,
#     qemu-user, the armhf toolchain, valgrind, clang, cmocka), and
#     nothing that plain setup.sh (README.md's second command, .ci/run)
#     does not install too;
#   - README.md's first command is that, its second plain setup.sh;
#   - tools/demo.sh builds in a fresh build directory when meson can see
#     only what the demo packages give it (pkg-config limited to their
#     .pc files, no cmake to find others), shows meson's build progress,
#     runs the demo, builds dmabufctl, and ends by telling how to start a
#     daemon and look at it, with programs that are there;
#   - no daemon and no mount are left behind.
#
#   check-demo.sh SRCDIR
set -uo pipefail
src=$(cd "${1:?usage: check-demo.sh SRCDIR}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-demo.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' "$2"; failed=$((failed + 1)); }

bash "$src/tools/setup.sh" --demo --list >"$tmp/demo.list"
bash "$src/tools/setup.sh" --list >"$tmp/test.list"
bad=$(grep -Ex 'qemu-system-x86|qemu-user|gcc-arm-linux-gnueabihf|libc6-dev-armhf-cross|valgrind|clang|libclang-rt-14-dev|libcmocka-dev|busybox-static' \
	"$tmp/demo.list")
if [ -z "$bad" ] && [ -s "$tmp/demo.list" ]; then
	pass "setup.sh --demo installs no test-only package"
else
	echo "$bad" >"$tmp/bad"
	fail "setup.sh --demo installs no test-only package" "$tmp/bad"
fi
missing=$(grep -vxF -f "$tmp/test.list" "$tmp/demo.list")
if [ -z "$missing" ] && grep -qx qemu-system-x86 "$tmp/test.list"; then
	pass "plain setup.sh installs the demo's packages and the tests'"
else
	echo "$missing" >"$tmp/missing"
	fail "plain setup.sh installs the demo's packages and the tests'" "$tmp/missing"
fi
first=$(grep -m1 -E '^    bash tools/setup.sh' "$src/README.md")
second=$(grep -E '^    bash tools/setup.sh' "$src/README.md" | sed -n 2p)
if [[ $first == "    bash tools/setup.sh --demo && bash tools/demo.sh "* ]] &&
	[[ $second == "    bash tools/setup.sh && bash tools/run-tests.sh "* ]]; then
	pass "README.md's first command installs the demo set, its second everything"
else
	printf '%s\n%s\n' "$first" "$second" >"$tmp/readme"
	fail "README.md's first command installs the demo set, its second everything" "$tmp/readme"
fi

# Meson sees only the demo packages' pkg-config files.
mkdir -p "$tmp/pc" "$tmp/bin"
while read -r pkg; do
	dpkg -L "$pkg" 2>/dev/null | grep '\.pc$' | while read -r pc; do
		[ -f "$pc" ] && cp "$pc" "$tmp/pc/"
	done
done <"$tmp/demo.list"
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/cmake"
chmod +x "$tmp/bin/cmake"
if ! ls "$tmp/pc"/fuse3.pc "$tmp/pc"/libuv.pc >/dev/null 2>&1; then
	echo "# SKIP the demo build: the demo packages are not installed here"
	echo "$passed passed, $failed failed"
	[ $failed = 0 ] || exit 1
	exit 77
fi

# TMPDIR: the demo's own temporary device root and socket go under $tmp.
mkdir -p "$tmp/tmp"
PATH=$tmp/bin:$PATH PKG_CONFIG_LIBDIR=$tmp/pc PKG_CONFIG_PATH= BUILD_DIR=$tmp/build \
	TMPDIR=$tmp/tmp bash "$src/tools/demo.sh" >"$tmp/demo.log" 2>&1
status=$?
if [ $status = 0 ] && grep -q '^demo: OK$' "$tmp/demo.log"; then
	pass "demo.sh builds and runs with the demo packages only"
else
	echo "exit status $status" >>"$tmp/demo.log"
	fail "demo.sh builds and runs with the demo packages only" "$tmp/demo.log"
fi
if grep -Eq '^\[[0-9]+/[0-9]+\] (Compiling|Linking)' "$tmp/demo.log"; then
	pass "demo.sh shows meson's build progress"
else
	fail "demo.sh shows meson's build progress" "$tmp/demo.log"
fi
if grep -q "Run-time dependency cmocka found: NO" "$tmp/build/meson-logs/meson-log.txt" 2>/dev/null; then
	pass "the demo build saw no test package (cmocka not found)"
else
	fail "the demo build saw no test package (cmocka not found)"
fi
# The closing lines: a daemon to start and dmabufctl to look at it with,
# each a program the demo built.
start=$(sed -n '/^Next, start a daemon of your own/,$p' "$tmp/demo.log")
ok=1
for prog in dmabufd tools/dmabufctl examples/pipeline; do
	line=$(grep -E "^    $tmp/build/$prog( |$)" <<<"$start" | head -n 1)
	[ -n "$line" ] && [ -x "$tmp/build/$prog" ] || ok=0
done
grep -Eq "^    $tmp/build/dmabufd --foreground" <<<"$start" || ok=0
grep -Eq "^    $tmp/build/tools/dmabufctl stats" <<<"$start" || ok=0
if [ $ok = 1 ] && [ "$(tail -n 1 "$tmp/demo.log" | grep -c dmabufctl)" = 1 ]; then
	pass "demo.sh ends by telling how to start a daemon and look at it"
else
	fail "demo.sh ends by telling how to start a daemon and look at it" "$tmp/demo.log"
fi
left=$(pgrep -f "^$tmp/build/dmabufd ")
if [ -z "$left" ] && ! grep -q "$tmp" /proc/self/mounts &&
	[ -z "$(ls -A "$tmp/tmp")" ]; then
	pass "demo.sh leaves no daemon, mount or file behind"
else
	for pid in $left; do kill -TERM "$pid"; done  # this test's own daemon
	fail "demo.sh leaves no daemon, mount or file behind"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
