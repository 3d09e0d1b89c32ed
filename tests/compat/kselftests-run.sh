#!/usr/bin/env bash
# The kernel's own selftests of dma-heap and sync_file, unmodified, on
# dmabufd's FUSE fallback under dmabufd-run (run by tests/integration/run.sh,
# which starts a private daemon and sets DMABUFD_DEV_ROOT and
# DMABUFD_CONTROL). The programs come from Debian's linux-source of the VM
# suite's kernel, built by tests/vm/fetch-kernel-src.sh into its cache
# ($DMABUFD_VM_CACHE, else ~/.cache/dmabufd-vm), never from this tree:
#   sync_test     tools/testing/selftests/sync
#   dmabuf-heap   tools/testing/selftests/dmabuf-heaps (no vgem here: it
#                 prints "Could not open vgem - skipping" for the import,
#                 as on a kernel without vgem)
# dmabufd-run --force: the programs' own paths (/dev/dma_heap,
# /sys/kernel/debug/sync/sw_sync) reach the daemon even on a host whose
# kernel has such nodes.
# Ends with "kselftests (dmabufd FUSE): N passed, M failed" (a selftest
# counts as one: passed when it exits 0); exits 77 (a skip, with the
# reason printed) when the source packages cannot be downloaded.
# Needs DMABUFD_RUN and DMABUFD_COMPAT_LIB.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${DMABUFD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dmabufd-vm}
mkdir -p "$cache"

fetch_status=0
fetch_out=$("$here/../vm/fetch-kernel-src.sh" "$cache") || fetch_status=$?
if [ "$fetch_status" -eq 3 ]; then
	echo "kselftests: SKIP: the kernel's source packages cannot be downloaded"
	exit 77
fi
selftests=$(echo "$fetch_out" | sed -n 's/^selftests=//p')
if [ "$fetch_status" -ne 0 ] || [ -z "$selftests" ]; then
	echo "kselftests: fetch-kernel-src.sh failed (status $fetch_status)"
	exit 1
fi

passed=0 failed=0
for p in sync_test dmabuf-heap; do
	echo "== dmabufd-run --force $p"
	# The selftests print their own results; bounded by a generous limit.
	timeout 600 sh "$DMABUFD_RUN" --force "$selftests/$p" </dev/null 2>&1
	st=$?
	if [ "$st" = 0 ]; then
		echo "ok - $p on dmabufd FUSE"
		passed=$((passed + 1))
	else
		echo "not ok - $p on dmabufd FUSE: exit $st"
		failed=$((failed + 1))
	fi
done
echo "kselftests (dmabufd FUSE): $passed passed, $failed failed"
[ "$failed" = 0 ]
