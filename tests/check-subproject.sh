#!/bin/sh
# libdmabufd as a meson subproject, the way README.md ("Building against
# libdmabufd") tells a consumer to take it: a tiny project in a temporary
# directory with subprojects/dmabufd (a symlink to this tree) and the wrap
# file README.md shows, whose [provide] maps dependency('libdmabufd') to
# the subproject's meson.override_dependency(). It is configured with
# -Ddmabufd:library_only=true (through the dependency's default_options)
# and forced onto the subproject, built, and run:
#   - the consumer compiles against <dmabufd/dmabufd.h> and links;
#   - the subproject looked up none of the daemon's dependencies (libfuse3,
#     libuv, libudev, cmocka) and built no daemon;
#   - the consumer runs against the subproject's library and gets -ENXIO
#     (no daemon) from dmabufd_heap_open() under an empty device root.
#
#   check-subproject.sh SRCDIR
src=$(cd "${1:?usage: check-subproject.sh SRCDIR}" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/subproject.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' "$2"; failed=$((failed + 1)); }

mkdir -p "$tmp/consumer/subprojects" "$tmp/empty-root"
ln -s "$src" "$tmp/consumer/subprojects/dmabufd"
# README.md's wrap file, as written there.
awk '/^<!-- subproject-wrap -->/ { s = 1; next } s && /^```/ { if (c) exit; c = 1; next }
     c { print }' "$src/README.md" >"$tmp/consumer/subprojects/dmabufd.wrap"
if ! grep -q '^dependency_names = libdmabufd' "$tmp/consumer/subprojects/dmabufd.wrap"; then
	fail "README.md shows the wrap file" "$tmp/consumer/subprojects/dmabufd.wrap"
fi
cat >"$tmp/consumer/meson.build" <<'EOF'
project('consumer', 'c')
dmabufd = dependency('libdmabufd', default_options: ['library_only=true'])
executable('consumer', 'consumer.c', dependencies: dmabufd)
EOF
cat >"$tmp/consumer/consumer.c" <<'EOF'
#include <errno.h>
#include <stdio.h>
#include <dmabufd/dmabufd.h>

int main(void)
{
	int r = dmabufd_heap_open("system");

	printf("%d\n", r);
	return r == -ENXIO ? 0 : 1;
}
EOF

if meson setup --force-fallback-for=libdmabufd "$tmp/consumer/build" "$tmp/consumer" \
	>"$tmp/setup.log" 2>&1; then
	pass "a consumer configures with dmabufd as its subproject"
else
	fail "a consumer configures with dmabufd as its subproject" "$tmp/setup.log"
	echo "$passed passed, $failed failed"
	exit 1
fi
log=$tmp/consumer/build/meson-logs/meson-log.txt
if grep -Eiq 'dependency (fuse3|libuv|libudev|cmocka)' "$log"; then
	fail "library_only looks up none of the daemon's dependencies" "$log"
else
	pass "library_only looks up none of the daemon's dependencies"
fi
if meson compile -C "$tmp/consumer/build" >"$tmp/build.log" 2>&1; then
	pass "the consumer builds against the subproject's libdmabufd"
else
	fail "the consumer builds against the subproject's libdmabufd" "$tmp/build.log"
fi
if [ -e "$tmp/consumer/build/subprojects/dmabufd/dmabufd" ] ||
	[ -e "$tmp/consumer/build/subprojects/dmabufd/tools/dmabufctl" ]; then
	fail "library_only builds no daemon and no tool"
else
	pass "library_only builds no daemon and no tool"
fi
out=$(DMABUFD_DEV_ROOT=$tmp/empty-root "$tmp/consumer/build/consumer" 2>&1)
if [ "$out" = -6 ]; then   # -ENXIO
	pass "the consumer runs: no daemon is -ENXIO"
else
	echo "$out" >"$tmp/run.log"
	fail "the consumer runs: no daemon is -ENXIO" "$tmp/run.log"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
