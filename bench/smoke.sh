#!/usr/bin/env bash
# The benchmark as a smoke run (integration suite, test "bench-smoke"): a
# tiny scale, both CPU placements, the CSV. Run by
# tests/integration/run.sh, which gives the daemon (DMABUFD_DEV_ROOT,
# DMABUFD_CONTROL, DMABUFD_DAEMON_PID); meson gives DMABUFD_BENCH and
# DMABUFD_NULL_SERVER. No time is asserted: only that the bench ran to
# the end, that the CSV has every row, and the round trips the daemon
# counted for the operations whose count the transport fixes (a null
# ioctl: one ioctl; open + close: one open, one release) and for those at
# the floor of issue #11 (an open and one ioctl to make an object, one
# request to import or map by handle, two to copy and wait).
set -euo pipefail

bench=${DMABUFD_BENCH:?set DMABUFD_BENCH to dmabufd-bench}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

"$bench" -s 0.01 --csv "$tmp/bench.csv" >"$tmp/out.txt"
fail=0
expect() {
	local what=$1 got=$2 want=$3
	if [ "$got" != "$want" ]; then
		echo "bench-smoke: $what: got '$got', want '$want'" >&2
		fail=1
	fi
}
# The same-CPU run always happens; split needs a second CPU.
rows() { grep -c "^$1,same," "$tmp/bench.csv" || true; }
expect "latency rows" "$(rows latency)" 23
expect "dma rows" "$(rows dma)" 5
expect "throughput rows" "$(rows throughput)" 12
field() { awk -F, -v op="$1" -v f="$2" '$1 == "latency" && $2 == "same" && $3 == op { print $f }' "$tmp/bench.csv"; }
expect "null ioctl round trips" "$(field 'null ioctl (ENOTTY)' 4)" 1.000
expect "null ioctl releases" "$(field 'null ioctl (ENOTTY)' 5)" 0.000
expect "open + close round trips" "$(field 'node open + close' 4)" 1.000
expect "open + close releases" "$(field 'node open + close' 5)" 1.000
for op in 'heap alloc + free (handle)' 'fence create + close (handle)' \
	'sync_file merge + close (handles)' 'export sync_file + close (handle)' \
	'dma 4 KiB memcpy + wait'; do
	expect "$op round trips" "$(field "$op" 4)" 2.000
done
for op in 'import sync_file (handle)' 'mmap + munmap 64 KiB (handle)'; do
	expect "$op round trips" "$(field "$op" 4)" 1.000
done
# Every row of a kind has its number of fields (no comma in a name).
bad=$(awk -F, '/^#/ { next }
	($1 == "latency" && NF != 10) || ($1 == "dma" && NF != 6) ||
	($1 == "throughput" && NF != 6) { n++ } END { print n + 0 }' "$tmp/bench.csv")
expect "malformed CSV rows" "$bad" 0
if [ $fail != 0 ]; then
	cat "$tmp/out.txt" "$tmp/bench.csv" >&2
	exit 1
fi
echo "bench-smoke: ok ($(grep -vc '^#' "$tmp/bench.csv") CSV rows)"
