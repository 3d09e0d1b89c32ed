#!/bin/sh
# A client builds against the installed library alone: installed into a
# temporary DESTDIR, `pkg-config --cflags --libs libdmabufd` (the .pc
# found there, its paths moved into DESTDIR by PKG_CONFIG_SYSROOT_DIR)
# compiles a program that includes <dmabufd/dmabufd.h> -- and through it
# every installed wire header -- links it, and the program runs.
#
#   installed-client.sh BUILD_DIR
#
# Exits 77 (skip) without pkg-config or a C compiler ($CC, default cc).
# $MESON is the meson to install with (default: meson).
set -eu

build=${1:-}
[ -d "$build" ] || { echo "usage: $0 BUILD_DIR" >&2; exit 2; }
cc=${CC:-cc}
for tool in pkg-config "$cc"; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: $tool not found"
		exit 77
	fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-client.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
${MESON:-meson} install -C "$build" --destdir "$dest" --no-rebuild --quiet \
	>"$tmp/install.log" 2>&1 || {
	echo "FAIL: meson install into $dest:"; cat "$tmp/install.log"; exit 1; }

pc=$(find "$dest" -name libdmabufd.pc)
if [ "$(printf '%s\n' "$pc" | grep -c .)" != 1 ]; then
	echo "FAIL: want one installed libdmabufd.pc, found: ${pc:-none}"
	exit 1
fi
PKG_CONFIG_PATH=$(dirname "$pc")
PKG_CONFIG_SYSROOT_DIR=$dest
export PKG_CONFIG_PATH PKG_CONFIG_SYSROOT_DIR
flags=$(pkg-config --cflags --libs libdmabufd)
echo "pkg-config --cflags --libs libdmabufd: $flags"

cat >"$tmp/client.c" <<'EOF'
#include <stdio.h>
#include <string.h>

#include <dmabufd/dmabufd.h>

int main(void)
{
	char root[256];
	const char *name = dmabufd_stat_name(0);

	if (!name || dmabufd_get_dev_root(root, sizeof(root)) < 0)
		return 1;
	printf("stat 0 is \"%s\"; device root %s; node %s\n", name, root,
	       DMABUFD_NODE_DMA_BUF);
	return 0;
}
EOF
# shellcheck disable=SC2086
if ! "$cc" -std=gnu11 -Wall -Werror -o "$tmp/client" "$tmp/client.c" $flags; then
	echo "FAIL: the client does not build with the installed files"
	exit 1
fi
# The sysroot is in the variable already.
libdir=$(pkg-config --variable=libdir libdmabufd)
LD_LIBRARY_PATH=$libdir "$tmp/client" || {
	echo "FAIL: the client does not run against the installed library"; exit 1; }
echo "ok: a client builds and runs with the installed headers, .pc and library"
