#!/bin/sh
# Every C block of README.md (```c ... ```) compiles as written, against
# this build tree the way README.md ("Building against libdmabufd") tells
# a reader to: inside `meson devenv`, with the flags of pkg-config's
# uninstalled libdmabufd.pc. A block with a main() is compiled and linked
# into a program; any other block is a translation unit of functions,
# linked into a shared object with -Wl,--no-undefined so that every call
# it makes must resolve in libdmabufd. Warnings are errors. The same
# devenv builds and runs a program that calls libdmabufd, so the devenv's
# library path is checked too.
#
#   check-readme-examples.sh SRCDIR BUILDDIR      (CC: default cc)
src=${1:?usage: check-readme-examples.sh SRCDIR BUILDDIR}
build=$(cd "${2:?usage: check-readme-examples.sh SRCDIR BUILDDIR}" && pwd)
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/readme-examples.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; [ -n "${2:-}" ] && sed 's/^/#   /' "$2"; failed=$((failed + 1)); }

# One file per block: block-1.c, block-2.c, ...
awk -v dir="$tmp" '/^```c$/ { n++; f = sprintf("%s/block-%d.c", dir, n); next }
     f && /^```$/ { close(f); f = ""; next }
     f { print > f }' "$src/README.md"
set -- "$tmp"/block-*.c
if [ ! -e "$1" ]; then
	echo "not ok - README.md has no C block"
	exit 1
fi

# The flags, as the reader gets them.
if ! meson devenv -C "$build" pkg-config --cflags --libs libdmabufd >"$tmp/flags" 2>"$tmp/flags.log"; then
	fail "pkg-config finds libdmabufd in meson devenv" "$tmp/flags.log"
	echo "$passed passed, $failed failed"
	exit 1
fi
flags=$(cat "$tmp/flags")
case "$flags" in
*"$(cd "$build" && pwd)"*) pass "pkg-config in meson devenv gives the build tree's libdmabufd" ;;
*) echo "$flags" >"$tmp/flags.log"; fail "pkg-config in meson devenv gives the build tree's libdmabufd" "$tmp/flags.log" ;;
esac

for c in "$@"; do
	name=$(basename "$c" .c)
	first=$(sed -n '1,3p' "$c" | tr '\n' ' ' | cut -c1-60)
	what="README.md's C $name compiles as written ($first...)"
	# shellcheck disable=SC2086 # $flags: pkg-config's words
	if grep -q '^int main(' "$c"; then
		$cc -std=gnu11 -Wall -Wextra -Werror -o "$tmp/$name" "$c" $flags >"$tmp/$name.log" 2>&1
	else
		$cc -std=gnu11 -Wall -Wextra -Werror -fPIC -shared -Wl,--no-undefined \
			-o "$tmp/$name.so" "$c" $flags >"$tmp/$name.log" 2>&1
	fi
	if [ $? = 0 ]; then
		pass "$what"
	else
		fail "$what" "$tmp/$name.log"
	fi
done

# Built and run in the devenv: the library is found at run time.
cat >"$tmp/where.c" <<'EOF'
#include <stdio.h>
#include <dmabufd/dmabufd.h>

int main(void)
{
	char root[4096];

	if (dmabufd_get_dev_root(root, sizeof(root)) < 0)
		return 1;
	puts(root);
	return 0;
}
EOF
# shellcheck disable=SC2016 # expanded by the devenv's shell
if out=$(cd "$tmp" && DMABUFD_DEV_ROOT=/from/env meson devenv -C "$build" \
	sh -c 'cd "$0" && '"$cc"' -o where where.c $(pkg-config --cflags --libs libdmabufd) && ./where' \
	"$tmp" 2>"$tmp/devenv.log") && [ "$out" = /from/env ]; then
	pass "a program built in meson devenv runs against the build tree's libdmabufd"
else
	echo "output: $out" >>"$tmp/devenv.log"
	fail "a program built in meson devenv runs against the build tree's libdmabufd" "$tmp/devenv.log"
fi

echo "$passed passed, $failed failed"
[ $failed = 0 ]
