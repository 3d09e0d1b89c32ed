#!/usr/bin/env bash
# The real kernel as the oracle, in one VM boot (guest-compat.sh): the
# compatibility suite (tests/compat/compat-test, uapi headers only) and the
# kernel's own selftests (sync_test, dmabuf-heap; built unmodified from
# Debian's linux-source by fetch-kernel-src.sh) run against the kernel's
# drivers with no preload, then against dmabufd on CUSE under dmabufd-run.
# The kernel's udmabuf selftest runs on the kernel's side only;
# dmabuf-heap imports into vgem on both sides (on dmabufd's, the preload
# gives vgem a udmabuf export of the buffer: compat/kernel_import.c).
#
#   run-compat.sh BUILD_DIR [run-vm.sh options...]
#
# BUILD_DIR is a meson build of this project (dmabufd, tests/compat/
# compat-test, compat/libdmabufd-compat.so, compat/dmabufd-run,
# tools/dmabufctl). Prints
# each program's output, then one line per part, the last lines of the
# output:
#   compat (kernel): N passed, M failed
#   compat (dmabufd CUSE): N passed, M failed
#   kselftests (kernel): N passed, M failed
#   kselftests (dmabufd CUSE): N passed, M failed
# (a selftest counts as one: passed when it exits 0). Exits 0 when every
# part has 0 failed and the boot went well; 77 (a skip, with the reason
# printed) when the kernel's source packages cannot be downloaded. The
# kernel cache is $DMABUFD_VM_CACHE, else ~/.cache/dmabufd-vm, as
# run-vm.sh's. This is the VM suite's "compat-vm" (tests/vm/meson.build).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-compat.sh BUILD_DIR [run-vm.sh options]}
shift
build=$(cd "$build" && pwd)
for f in dmabufd tests/compat/compat-test compat/libdmabufd-compat.so compat/dmabufd-run \
	tools/dmabufctl tests/vm/kinterop tests/vm/kimport-preload; do
	[ -e "$build/$f" ] || { echo "run-compat: $build/$f is missing (meson compile?)" >&2; exit 2; }
done
cache=${DMABUFD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dmabufd-vm}

fetch_status=0
fetch_out=$("$here/fetch-kernel-src.sh" "$cache") || fetch_status=$?
if [ "$fetch_status" -eq 3 ]; then
	echo "run-compat: SKIP: the kernel's source packages cannot be downloaded" \
		"(no kernel oracle, no kernel selftests)"
	exit 77
fi
kmod=$(echo "$fetch_out" | sed -n 's/^kmod=//p')
selftests=$(echo "$fetch_out" | sed -n 's/^selftests=//p')
if [ "$fetch_status" -ne 0 ] || [ -z "$kmod" ] || [ -z "$selftests" ]; then
	echo "run-compat: fetch-kernel-src.sh failed" >&2
	exit 2
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-vm-compat.XXXXXX")
trap 'rm -rf "$work"' EXIT
payload=$work/payload
mkdir "$payload"
cp "$build/dmabufd" "$build/tests/compat/compat-test" "$build/compat/libdmabufd-compat.so" \
	"$build/compat/dmabufd-run" "$build/tools/dmabufctl" "$build/tests/vm/kinterop" \
	"$build/tests/vm/kimport-preload" "$here/guest-compat.sh" "$payload/"
cp "$selftests/sync_test" "$selftests/dmabuf-heap" "$selftests/udmabuf" "$payload/"
cp "$kmod"/*.ko "$payload/"
# vgem and what it needs (fetch-kernel.sh's modules-extra, beside kmod/).
extra=$(dirname "$kmod")/modules-extra
[ -f "$extra/load-order" ] || { echo "run-compat: no $extra (fetch-kernel.sh)" >&2; exit 2; }
cp "$extra"/*.ko "$payload/"
cp "$extra/load-order" "$payload/extra-load-order"

# dmabufctl's libdmabufd comes from the build tree; run-vm.sh copies what
# ldd finds.
export LD_LIBRARY_PATH=$build/libclient${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
status=0
t0=$(date +%s)
"$here/run-vm.sh" --cache "$cache" --payload "$payload" --timeout 900 --quiet \
	--log "$work/console.log" "$@" -- ./guest-compat.sh || status=$?
t1=$(date +%s)
touch "$work/console.log"   # run-vm.sh may fail before the boot
tr -d '\r' < "$work/console.log" > "$work/out"

# The programs' output, framed by "== SIDE: PROGRAM" and "...: exit N".
sed -n '/^== \(kernel\|dmabufd\): /,$p' "$work/out" | grep -v '^vm-init:' || true
echo "run-compat: the boot took $((t1 - t0)) s; run-vm.sh exit $status"

# exit_of SIDE PROGRAM: the program's exit status, or "none" if it never ended.
exit_of() {
	local e
	e=$(sed -n "s|^== $1: .*$2: exit \([0-9]*\)\$|\1|p" "$work/out" | tail -n 1)
	echo "${e:-none}"
}

# compat-test's own summary line, for SIDE (kernel or dmabufd).
compat_line() {
	sed -n "/^== $1: .*compat-test\$/,/^== $1: .*compat-test: exit/p" "$work/out" |
		grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1
}

failed_any=0
# compat SIDE LABEL
compat() {
	local line st
	line=$(compat_line "$1")
	st=$(exit_of "$1" compat-test)
	if [ -z "$line" ]; then
		line="0 passed, 1 failed"
		echo "run-compat: compat-test on $1 printed no summary (exit $st)"
	elif [ "$st" != 0 ] && [ "${line#* passed, }" = "0 failed" ]; then
		line="${line%%,*}, 1 failed"
		echo "run-compat: compat-test on $1 exited $st"
	fi
	[ "${line#* passed, }" = "0 failed" ] || failed_any=1
	echo "compat ($2): $line" >> "$work/summary"
}

# Whether dmabuf-heap on SIDE skipped its vgem import.
vgem_skipped() {
	sed -n "/^== $1: .*dmabuf-heap\$/,/^== $1: .*dmabuf-heap: exit/p" "$work/out" |
		grep -q 'Could not open vgem - skipping'
}

# kselftests SIDE LABEL PROGRAM...
# dmabuf-heap passes only if it imported into vgem (loaded on both
# sides).
kselftests() {
	local side=$1 label=$2 p st passed=0 failed=0
	shift 2
	for p in "$@"; do
		st=$(exit_of "$side" "$p")
		if [ "$p" = dmabuf-heap ] && [ "$st" = 0 ]; then
			if vgem_skipped "$side"; then
				st="0 but it did not import into vgem"
			fi
		fi
		if [ "$st" = 0 ]; then
			echo "ok - $p on $label"
			passed=$((passed + 1))
		else
			echo "not ok - $p on $label: exit $st"
			failed=$((failed + 1))
		fi
	done
	[ "$failed" = 0 ] || failed_any=1
	echo "kselftests ($label): $passed passed, $failed failed" >> "$work/summary"
}

: > "$work/summary"
compat kernel kernel
compat dmabufd "dmabufd CUSE"
kselftests kernel kernel sync_test dmabuf-heap udmabuf
kselftests dmabufd "dmabufd CUSE" sync_test dmabuf-heap
# kinterop: dmabufd's fences to and from the kernel's own sw_sync, and
# its buffers out through udmabuf into vgem (both are loaded here: a skip
# of that part is a failure).
st=$(exit_of dmabufd kinterop)
kout=$(sed -n '/^== dmabufd: .*kinterop$/,/^== dmabufd: .*kinterop: exit/p' "$work/out")
line=$(printf '%s\n' "$kout" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if printf '%s\n' "$kout" | grep -q '^SKIP: buffers out'; then
	echo "kinterop (dmabufd CUSE <-> kernel sw_sync, udmabuf, vgem): buffers out skipped" >> "$work/summary"
	failed_any=1
elif [ "$st" = 0 ] && [ -n "$line" ]; then
	echo "kinterop (dmabufd CUSE <-> kernel sw_sync): $line" >> "$work/summary"
else
	echo "kinterop (dmabufd CUSE <-> kernel sw_sync): ${line:-no summary}, exit $st" >> "$work/summary"
	failed_any=1
fi
# kimport-preload: the same two directions for a kernel-ABI program
# under dmabufd-run (vgem and udmabuf are loaded: a skip is a failure).
st=$(exit_of dmabufd kimport-preload)
kout=$(sed -n '/^== dmabufd: .*kimport-preload$/,/^== dmabufd: .*kimport-preload: exit/p' "$work/out")
line=$(printf '%s\n' "$kout" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
if [ "$st" = 0 ] && [ -n "$line" ]; then
	echo "kimport-preload (dmabufd-run: buffer into vgem, vgem fence in): $line" >> "$work/summary"
else
	echo "kimport-preload (dmabufd-run: buffer into vgem, vgem fence in): ${line:-no summary}, exit $st" >> "$work/summary"
	failed_any=1
fi
if [ "$status" -ne 0 ]; then
	echo "run-compat: the VM run failed (run-vm.sh exit $status)"
	failed_any=1
fi
cat "$work/summary"
exit "$failed_any"
