#!/usr/bin/env bash
# dmabufd with backend = stm32-uio on a board made of files: a UIO tree
# in the kernel's sysfs formats (class/uioN/name, maps/map0/{addr,size,
# offset,name}) and regular files for /dev/uioN, which the daemon maps as
# it maps the real nodes. The registers are dead memory and the files have
# no interrupt, so this checks the wiring, not transfers:
#   - the configuration file describes the board ([dma], [stm32],
#     [stm32:dma1], [stm32:dma2], [heap:contig], [consumer:uart4]);
#   - the contiguous heap's node dma_heap/contig exists;
#   - dmabufctl lists dma1 with 8 channels, and the heap; dma1 has an
#     interrupt node for stream 0 that has no interrupt (as a UIO node
#     without an interrupts property), as the register node has none;
#   - a request by name for a channel of dma1 is served at once;
#   - dma2, absent at start, is registered once its files appear (the
#     rescan), which completes a request by name that was waiting for it,
#     and removed when they go;
#   - SIGTERM: exit status 0, no leak or open handle reported, mount gone.
#
#   stm32-board.sh [BUILD_DIR]
#
# The daemon, dmabufctl and tests/integration/dma-request are $DMABUFD,
# $DMABUFCTL and $DMA_REQUEST, else those of BUILD_DIR. Exit 77 (skipped)
# without a usable /dev/fuse.
set -uo pipefail

build=${1:-}
daemon=${DMABUFD:-$build/dmabufd}
ctl_tool=${DMABUFCTL:-$build/tools/dmabufctl}
request=${DMA_REQUEST:-$build/tests/integration/dma-request}
. "$(dirname "$0")/lib.sh"
itest_init stm32-board stm32

[ -x "$daemon" ] || fail "no daemon at '$daemon' (set DMABUFD or pass the build dir)"
[ -x "$ctl_tool" ] || fail "no dmabufctl at '$ctl_tool' (set DMABUFCTL)"
[ -x "$request" ] || fail "no dma-request at '$request' (set DMA_REQUEST)"
command -v python3 >/dev/null || { echo "stm32-board: no python3: skipped" >&2; exit 77; }

ctl=$tmp/control
trap 'exit 130' INT TERM

page=$(getconf PAGESIZE)

# uio_add NUM NAME ADDR SIZE: uioN called NAME, one map of SIZE bytes at
# physical ADDR (hex); the "node" covers the pages the kernel would map.
# Each part appears whole (made aside, then renamed into place), the node
# before its class directory: the daemon may rescan at any moment, and a
# node seen before it has its size would be mapped past its end (a real
# UIO node never changes size).
uio_add() {
	local d=$tmp/uio/stage/uio$1 span
	mkdir -p "$d/maps/map0"
	echo "$2" >"$d/name"
	printf '0x%08x\n' "$3" >"$d/maps/map0/addr"
	printf '0x%08x\n' "$4" >"$d/maps/map0/size"
	echo 0x0 >"$d/maps/map0/offset"
	echo "$2" >"$d/maps/map0/name"
	span=$(( ($3 % page + $4 + page - 1) / page * page ))
	truncate -s "$span" "$tmp/uio/stage/dev-uio$1"
	mv "$tmp/uio/stage/dev-uio$1" "$tmp/uio/dev/uio$1"
	mv "$d" "$tmp/uio/class/uio$1"
}

uio_remove() {
	rm -rf "$tmp/uio/class/uio$1" "$tmp/uio/dev/uio$1"
}

mkdir -p "$tmp/uio/class" "$tmp/uio/dev" "$tmp/uio/stage"
# STM32MP1 addresses (RM0436): DMA1 0x48000000, DMA2 0x48001000, DMAMUX1
# 0x48002000; the pool in DDR.
uio_add 0 dma1 0x48000000 0x400
uio_add 1 dmamux1 0x48002000 0x400
uio_add 2 dma-pool 0xd0000000 0x100000
uio_add 5 dma1-s0 0x48000000 0x400

cat >"$tmp/dmabufd.conf" <<EOF
[dma]
backend = stm32-uio

[stm32]
uio-class-dir = $tmp/uio/class
uio-dev-dir = $tmp/uio/dev
rescan-ms = 100

[stm32:dma1]
index = 0
uio = dma1
map = 0
dmamux-uio = dmamux1
dmamux-map = 0
irq-uio = dma1-s0 - - - - - - -
mem2mem = yes
descriptors = 64
requests = 128

[stm32:dma2]
index = 1
uio = dma2
dmamux-uio = dmamux1

[heap:contig]
type = stm32-contig
uio = dma-pool
map = 0

[consumer:uart4]
rx = dma1:any:63

[consumer:spi2]
tx = dma2:any:40
EOF

itest_start "$tmp/daemon.log" "$daemon" --transport=fuse --dev-root="$root" \
	--control="$ctl" --config="$tmp/dmabufd.conf"
pid=$itest_pid
itest_wait_ready "$tmp/daemon.log" "$pid" "$ctl"

[ -e "$root/dma_heap/contig" ] || fail "no heap node dma_heap/contig"

# json CHECK COMMAND...: dmabufctl --json COMMAND, checked by python.
json() {
	local check=$1; shift
	"$ctl_tool" --control "$ctl" --json "$@" >"$tmp/out" ||
		fail "dmabufctl --json $* failed"
	python3 - "$tmp/out" "$check" <<'PY'
import json, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
sys.exit(0 if eval(sys.argv[2], {"data": data}) else 1)
PY
}

# wait_for CHECK COMMAND...: until the check holds, 5 s at most.
wait_for() {
	for _ in $(seq 100); do
		json "$@" && return 0
		sleep 0.05
	done
	fail "never true: $1 (dmabufctl $2 $3: $(cat "$tmp/out"))"
}

json '[d["name"] for d in data["dma_devices"]] == ["dma1"] and data["dma_devices"][0]["channels"] == 8' dma devices ||
	fail "dma devices: $(cat "$tmp/out")"
json 'any(h["name"] == "contig" for h in data["heaps"])' heaps ||
	fail "heaps: $(cat "$tmp/out")"

export DMABUFD_DEV_ROOT=$root DMABUFD_CONTROL=$ctl
out=$("$request" uart4 rx 0) || fail "uart4:rx on dma1 refused"
[ "${out%% *}" = dma1 ] || fail "uart4:rx gave '$out', not a channel of dma1"

# dma2 arrives: the rescan registers it, and the request that was waiting
# for it completes; it goes: removed. The request must be waiting in the
# daemon (a deferred reply) before dma2 appears, or nothing is tested.
"$request" spi2 tx 20000 >"$tmp/request.out" 2>&1 &
req=$!
wait_for 'data["pending_requests"] == 1' stats
kill -0 "$req" 2>/dev/null || { cat "$tmp/request.out" >&2; fail "spi2:tx did not wait for dma2"; }
uio_add 3 dma2 0x48001000 0x400
wait "$req" || { cat "$tmp/request.out" >&2; fail "spi2:tx failed"; }
out=$(cat "$tmp/request.out")
[ "${out%% *}" = dma2 ] || fail "spi2:tx gave '$out', not a channel of dma2"
wait_for 'sorted(d["name"] for d in data["dma_devices"]) == ["dma1", "dma2"]' dma devices
grep -q 'stm32 controller dma2 registered (uio3)' "$tmp/daemon.log" ||
	fail "no registration line for dma2"
# dma2 goes while a client holds one of its channels with a transfer
# submitted and not issued: the controller is removed, that transfer's
# fence signals -ENODEV (it can never run), the client's calls that would
# start or change work fail with ENODEV, and reading a status still works.
mkfifo "$tmp/hold.in"
"$request" spi2 tx 0 hold <"$tmp/hold.in" >"$tmp/hold.out" 2>&1 &
holder=$!
exec 3>"$tmp/hold.in"
for _ in $(seq 100); do
	grep -q '^submitted ' "$tmp/hold.out" && break
	sleep 0.05
done
grep -q '^submitted 2$' "$tmp/hold.out" ||
	{ cat "$tmp/hold.out" >&2; fail "spi2:tx not held with a transfer submitted"; }
uio_remove 3
wait_for '[d["name"] for d in data["dma_devices"]] == ["dma1"]' dma devices
echo go >&3
exec 3>&-
wait "$holder" || { cat "$tmp/hold.out" >&2; fail "the holder failed"; }
# ENODEV (19) for the fence and for what would start work; TX_STATUS
# still reads: cookie 1 was never handed out, so it is complete
# (DMABUFD_DMA_COMPLETE, 0).
printf 'dma2 %s\nsubmitted 2\nfence -19\ncaps -19\nattach -19\nissue_pending -19\ntx_status 0\n' \
	"$(sed -n '1s/^dma2 //p' "$tmp/hold.out")" >"$tmp/hold.want"
cmp -s "$tmp/hold.out" "$tmp/hold.want" ||
	fail "a held channel of a removed controller: $(cat "$tmp/hold.out")"

itest_stop "$pid"
grep -q 'leak at exit\|handles left open' "$tmp/daemon.log" &&
	fail "the daemon left something behind"
itest_mounted && fail "the FUSE mount is still there"
echo "stm32-board: ok"
