#!/bin/sh
# `meson install` installs exactly the files of install-files.txt: the
# daemon, dmabufctl, the library and its headers and pkg-config file, the
# unit, the udev rules, tmpfiles.d, the example configuration and the man
# pages; no test, example or benchmark program.
#
#   install-files.sh BUILD_DIR PREFIX LIBDIR
#
# The list holds paths relative to DESTDIR for the default prefix
# /usr/local, with the library directory written "lib": LIBDIR (meson's
# libdir, "lib/x86_64-linux-gnu" on Debian) is turned into "lib" before
# comparing. Another prefix is a skip (77), and so are the man pages when
# scdoc is missing (they are left out of the list then). $MESON is the meson
# to install with (default: meson).
set -eu

build=${1:-}
prefix=${2:-}
libdir=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -d "$build" ] || [ -z "$prefix" ] || [ -z "$libdir" ]; then
	echo "usage: $0 BUILD_DIR PREFIX LIBDIR" >&2
	exit 2
fi
if [ "$prefix" != /usr/local ]; then
	echo "SKIP: the list is for the default prefix /usr/local, not $prefix"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-install.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
${MESON:-meson} install -C "$build" --destdir "$dest" --no-rebuild --quiet \
	>"$tmp/install.log" 2>&1 || {
	echo "FAIL: meson install into $dest:"; cat "$tmp/install.log"; exit 1; }

# libdir may be absolute or relative to the prefix.
case $libdir in
/*) libdir=${libdir#/} ;;
*) libdir=${prefix#/}/$libdir ;;
esac
(cd "$dest" && find . \( -type f -o -type l \) | sed 's#^\./##') |
	sed "s#^$libdir/#${prefix#/}/lib/#" | LC_ALL=C sort >"$tmp/installed"

grep -v -e '^#' -e '^$' "$here/install-files.txt" >"$tmp/expected.all"
if command -v scdoc >/dev/null; then
	cp "$tmp/expected.all" "$tmp/expected"
else
	echo "note: scdoc not found, so no man pages: not expecting them"
	grep -v '/share/man/' "$tmp/expected.all" >"$tmp/expected" || true
fi
LC_ALL=C sort -o "$tmp/expected" "$tmp/expected"

if ! diff -u "$tmp/expected" "$tmp/installed" >"$tmp/diff"; then
	echo "FAIL: installed files differ from install-files.txt" \
	     "(- expected, + installed):"
	tail -n +3 "$tmp/diff"
	exit 1
fi
echo "ok: $(wc -l <"$tmp/installed") files, as listed"
