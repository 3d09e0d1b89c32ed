#!/bin/sh
# The tmpfiles.d entry creates dmabufd's runtime directory: applied with
# `systemd-tmpfiles --create --root=TMP`, it leaves TMP/run/dmabufd, a
# directory of mode 0755.
#
#   tmpfiles.sh TMPFILES_FILE
#
# Exits 77 (skip) without systemd-tmpfiles.
set -eu

conf=${1:-}
[ -f "$conf" ] || { echo "usage: $0 TMPFILES_FILE" >&2; exit 2; }
# A relative path would be taken inside --root.
conf=$(cd "$(dirname "$conf")" && pwd)/$(basename "$conf")
if ! command -v systemd-tmpfiles >/dev/null; then
	echo "SKIP: systemd-tmpfiles not found (Debian: systemd)"
	exit 77
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-tmpfiles.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

systemd-tmpfiles --create --root="$tmp" "$conf"
if [ ! -d "$tmp/run/dmabufd" ]; then
	echo "FAIL: no directory run/dmabufd after systemd-tmpfiles --create"
	exit 1
fi
mode=$(stat -c %a "$tmp/run/dmabufd")
if [ "$mode" != 755 ]; then
	echo "FAIL: run/dmabufd has mode $mode, want 755"
	exit 1
fi
echo "ok: run/dmabufd, mode 755"
