#!/bin/sh
# libdmabufd(3) documents every function the library exports: each global
# symbol of libclient/libdmabufd.sym appears in man/libdmabufd.3.scd twice
# at least as "name(" or "*name*(": in the synopsis and in a description.
#
#   man-symbols.sh SOURCE_ROOT
set -eu

top=${1:-}
sym=$top/libclient/libdmabufd.sym
page=$top/man/libdmabufd.3.scd
[ -f "$sym" ] && [ -f "$page" ] || { echo "usage: $0 SOURCE_ROOT" >&2; exit 2; }

missing=
count=0
for s in $(sed -n 's/^[[:space:]]*\(dmabufd_[a-z0-9_]*\);.*/\1/p' "$sym"); do
	count=$((count + 1))
	n=$(grep -o "\<$s\**(" "$page" | wc -l)
	if [ "$n" -lt 2 ]; then
		missing="$missing $s"
	fi
done
if [ -n "$missing" ]; then
	echo "FAIL: not in both the synopsis and a description of libdmabufd(3):$missing"
	exit 1
fi
echo "ok: all $count exported functions documented"
