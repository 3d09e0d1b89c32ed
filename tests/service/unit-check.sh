#!/bin/sh
# The installed systemd unit, checked by systemd itself.
#
#   unit-check.sh verify|security BUILD_DIR
#
# Installs the build into a temporary DESTDIR (meson install --destdir)
# and checks the dmabufd.service found there:
#
#   verify    `systemd-analyze verify` says nothing about the unit: no
#             unknown key, no bad value, ExecStart= executable (checked on
#             a copy whose ExecStart= points into DESTDIR), and the man
#             pages of Documentation= exist (those installed in DESTDIR;
#             not checked when the build has no man pages). Lines about
#             other units (the system's own) are shown but do not count.
#   security  `systemd-analyze security --offline` rates the sandbox's
#             exposure at 3.0 or better (2.1 when it was written): a
#             hardening option lost by mistake shows up here.
#
# Exits 77 (skip) without systemd-analyze (or, for security, one older
# than systemd 250). $MESON is the meson to install with (default: meson).
set -eu

mode=${1:-}
build=${2:-}
case $mode in verify|security) ;; *)
	echo "usage: $0 verify|security BUILD_DIR" >&2; exit 2 ;;
esac
[ -d "$build" ] || { echo "$0: no build directory '$build'" >&2; exit 2; }
if ! command -v systemd-analyze >/dev/null; then
	echo "SKIP: systemd-analyze not found (Debian: systemd)"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-unit.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
dest=$tmp/root
${MESON:-meson} install -C "$build" --destdir "$dest" --no-rebuild --quiet \
	>"$tmp/install.log" 2>&1 || {
	echo "FAIL: meson install into $dest:"; cat "$tmp/install.log"; exit 1; }

units=$(find "$dest" -name dmabufd.service)
if [ "$(printf '%s\n' "$units" | grep -c .)" != 1 ]; then
	echo "FAIL: want one installed dmabufd.service, found: ${units:-none}"
	exit 1
fi
echo "unit: ${units#"$dest"}"

mkdir "$tmp/verify"
unit=$tmp/verify/dmabufd.service

if [ "$mode" = security ]; then
	if ! systemd-analyze --help | grep -q -- --offline; then
		echo "SKIP: this systemd-analyze has no --offline (systemd 250+)"
		exit 77
	fi
	cp "$units" "$unit"
	systemd-analyze security --offline=yes --threshold=30 --no-pager "$unit" ||
		{ echo "FAIL: exposure above 3.0"; exit 1; }
	echo "ok: exposure at most 3.0"
	exit 0
fi

# ExecStart=/usr/local/sbin/dmabufd ... -> $dest/usr/local/sbin/dmabufd.
bin=$(sed -n 's/^ExecStart=\([^ ]*\).*/\1/p' "$units")
if [ ! -x "$dest$bin" ]; then
	echo "FAIL: ExecStart= names $bin, which was not installed"
	exit 1
fi
sed "s#^ExecStart=$bin#ExecStart=$dest$bin#" "$units" >"$unit"

man_opt=--man=yes
mandir=$(find "$dest" -type d -name man8 | head -n 1)
if [ -n "$mandir" ]; then
	MANPATH=$(dirname "$mandir")
	export MANPATH
else
	echo "note: no man pages installed (no scdoc): Documentation= not checked"
	man_opt=--man=no
fi

status=0
systemd-analyze verify "$man_opt" "$unit" >"$tmp/out" 2>&1 || status=$?
sed 's/^/  | /' "$tmp/out"
if [ $status != 0 ]; then
	echo "FAIL: systemd-analyze verify exited $status"
	exit 1
fi
if grep -q 'dmabufd\.service' "$tmp/out"; then
	echo "FAIL: systemd-analyze verify complains about dmabufd.service"
	exit 1
fi
echo "ok: systemd-analyze verify has nothing to say about the unit"
