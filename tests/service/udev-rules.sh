#!/bin/sh
# The generated udev rules parse: udevd's own rules parser (`udevadm test`,
# systemd 252 has no `udevadm verify`) reads them and reports no invalid
# key, operator or value in them.
#
#   udev-rules.sh RULES_FILE
#
# `udevadm test` reads every rules directory, so the file is put in
# /etc/udev/rules.d inside a private mount namespace (unshare -m with a
# bind mount over that directory): nothing outside this test sees it.
# Needs root and udevadm (Debian: udev); without either it exits 77
# (skip), which is not a pass.
set -eu

rules=${1:-}
[ -f "$rules" ] || { echo "usage: $0 RULES_FILE" >&2; exit 2; }
if ! command -v udevadm >/dev/null; then
	echo "SKIP: udevadm not found (Debian: udev): the rules are not checked"
	exit 77
fi
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	echo "SKIP: needs root and unshare for a private /etc/udev/rules.d"
	exit 77
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-udev.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/rules.d"
name=$(basename "$rules")
cp "$rules" "$tmp/rules.d/$name"

# The parser logs "FILE:LINE Invalid ..." (or another complaint naming the
# file) for every rule it cannot take; the device only gives it a reason
# to run.
unshare -m sh -c 'mount --bind "$1" /etc/udev/rules.d &&
	udevadm test --action=add /sys/class/mem/null' sh "$tmp/rules.d" \
	>"$tmp/out" 2>&1 || true
if ! grep -q "Reading rules file: /etc/udev/rules.d/$name" "$tmp/out"; then
	echo "FAIL: udevadm did not read $name; its output:"
	sed 's/^/  | /' "$tmp/out"
	exit 1
fi
if grep "/etc/udev/rules.d/$name:" "$tmp/out"; then
	echo "FAIL: udevadm complains about $rules (above)"
	exit 1
fi
echo "ok: udevadm's rules parser accepts $rules"
