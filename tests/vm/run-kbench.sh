#!/usr/bin/env bash
# dmabufd against the kernel's own drivers, in one VM boot: builds (once,
# cached) the kernel's dma-heap + system heap and sw_sync as modules
# (fetch-kernel-src.sh), boots Debian's kernel with them loaded and dmabufd
# on CUSE beside them (guest-kbench.sh), runs bench/dmabufd-kbench and
# prints its table on stdout.
#
#   run-kbench.sh [--smoke] [-n N] BUILD_DIR [run-vm.sh options...]
#
# BUILD_DIR is a meson build of this project (dmabufd, libdmabufd and
# bench/dmabufd-kbench). -n is kbench's iterations per operation and side
# (default 1000: about 15 s in the guest). --smoke is the VM suite's
# check (meson test --suite vm, "kbench-smoke"): -n 10, and it passes when
# both sides ran every operation; it never judges a time (exit 77, a skip,
# when the kernel's source packages cannot be downloaded). The kernel cache
# is $DMABUFD_VM_CACHE, else ~/.cache/dmabufd-vm, as run-vm.sh's.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
smoke=0
n=1000
while [ $# -gt 0 ]; do
	case $1 in
	--smoke) smoke=1; n=10; shift ;;
	-n) n=${2:?-n needs a number}; shift 2 ;;
	*) break ;;
	esac
done
build=${1:?usage: run-kbench.sh [--smoke] [-n N] BUILD_DIR [run-vm.sh options]}
shift
build=$(cd "$build" && pwd)
for f in dmabufd bench/dmabufd-kbench; do
	[ -x "$build/$f" ] || { echo "run-kbench: $build/$f is missing (meson compile?)" >&2; exit 2; }
done
cache=${DMABUFD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dmabufd-vm}

fetch_status=0
fetch_out=$("$here/fetch-kernel-src.sh" "$cache") || fetch_status=$?
if [ "$fetch_status" -eq 3 ] && [ "$smoke" = 1 ]; then
	echo "run-kbench: SKIP: the kernel's source packages cannot be downloaded" >&2
	exit 77
fi
kmod=$(echo "$fetch_out" | sed -n 's/^kmod=//p')
if [ "$fetch_status" -ne 0 ] || [ -z "$kmod" ]; then
	echo "run-kbench: fetch-kernel-src.sh failed" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-vm-kbench.XXXXXX")
trap 'rm -rf "$work"' EXIT
payload=$work/payload
mkdir "$payload"
cp "$build/dmabufd" "$build/bench/dmabufd-kbench" "$here/guest-kbench.sh" "$payload/"
cp "$kmod"/*.ko "$payload/"

# libdmabufd comes from the build tree; run-vm.sh copies what ldd finds.
export LD_LIBRARY_PATH=$build/libclient${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
status=0
"$here/run-vm.sh" --cache "$cache" --payload "$payload" --timeout 600 --quiet \
	--log "$work/console.log" "$@" -- ./guest-kbench.sh "$n" || status=$?

tr -d '\r' < "$work/console.log" | sed -n '/^kbench-table-begin$/,/^kbench-table-end$/p' |
	sed '1d;$d'
[ "$status" -eq 0 ] || exit "$status"
if [ "$smoke" = 1 ]; then
	grep -q '^kbench: all 7 operations ran on kernel and dmabufd' "$work/console.log" || {
		echo "run-kbench: FAIL: kbench did not run every operation on both sides" >&2
		exit 1
	}
	echo "run-kbench: PASS: every operation ran on the kernel's drivers and on dmabufd"
fi
