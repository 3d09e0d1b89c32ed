#!/usr/bin/env bash
# Build dmabufd and run every test suite: the README's test command.
#
#   1. a -Werror build; the unit suite, then the integration suite against
#      a daemon on the FUSE fallback, and the service suite (sd_notify,
#      the installed unit, udev rules, tmpfiles and file list), and the
#      lint suite (layering, the daemon's USDT probes)
#   1b. the slow suite: the stress run (tests/stress), STRESS_SECONDS
#      (60 by default) of clients killed at random against one daemon
#   2. the unit suite under valgrind (a leak or memory error fails it)
#   3. an AddressSanitizer + UndefinedBehaviorSanitizer build of
#      everything (daemon included); unit and integration suites
#   3b. a ThreadSanitizer build; the unit suite (the mock's worker, the
#      dmaengine conformance suite on the mock and the STM32 simulator,
#      the control-socket client, every other test with a second thread)
#   4. an armhf cross build (tools/cross-test.sh: a private armhf sysroot,
#      no multiarch); the unit suite under qemu-user
#   5. the VM suite: the integration programs against the daemon on real
#      CUSE nodes, in QEMU booting Debian's kernel; and (compat-vm, one
#      boot) the compatibility suite and the kernel's own selftests
#      against the kernel's drivers and against dmabufd on CUSE; and
#      (systemd-vm, one boot) the installed service under a booted
#      Debian 12 with systemd and udevd (tests/vm/run-systemd.sh)
#   6. the fuzz suite: a clang build with ASan + UBSan and libFuzzer
#      (-Dfuzz=enabled), each target (tests/fuzz) run from its seed
#      corpus for FUZZ_SECONDS (60 by default); any crash, leak or UB
#      fails it
#
# After steps 1 and 5, the compatibility suite's and the kernel
# selftests' own lines, one per place they ran ("compat (kernel): N
# passed, M failed", "kselftests (dmabufd FUSE): ...", ...).
# Then one "SUITE: N passed, M failed" line per suite of the plain build,
# from meson's own logs (tools/test-summary.py): a cmocka program counts
# as its cases, each a TAP subtest in meson's testlog.junit.xml ("slow":
# the stress run's checks),
# "armhf-unit" for the unit suite under qemu-user, "tsan" for the unit
# suite under ThreadSanitizer, and "fuzz" (with each target's executions).
# Build directories go under build-test/ (override with BUILD_ROOT).
# SKIP_VM=1 leaves out step 5 (for quick local runs; CI runs it).
# FUZZ_SECONDS=N runs each fuzz target N seconds instead of 60.
# STRESS_SECONDS=N runs the stress run N seconds instead of 60.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
root=${BUILD_ROOT:-$top/build-test}
cd "$top"
rm -f "$root"/testlog-*.json "$root"/testlog-*.junit.xml

# keep_log BUILD_DIR NAME: the logs of the last `meson test` in BUILD_DIR
# as $root/testlog-NAME.json and testlog-NAME.junit.xml: the summary
# reads both (the JUnit file holds each cmocka case, as meson read it).
keep_log() {
	cp "$1/meson-logs/testlog.json" "$root/testlog-$2.json"
	cp "$1/meson-logs/testlog.junit.xml" "$root/testlog-$2.junit.xml"
}

step() { printf '\n=== %s ===\n' "$*"; }

# compat_lines TESTLOG: the compatibility suite's and the kernel
# selftests' own "N passed, M failed" lines from a meson test log (tests
# compat, kselftests and compat-vm), labelled with where they ran.
compat_lines() {
	python3 - "$1" <<'PY'
import json, re, sys
line_re = re.compile(r"^(?:(\S.*\)): )?(\d+ passed, \d+ failed)$")
for row in open(sys.argv[1]):
    t = json.loads(row)
    name = t["name"].split(" / ")[-1]
    if name not in ("compat", "kselftests", "compat-vm"):
        continue
    for out in (t.get("stdout") or "").splitlines():
        m = line_re.match(out)
        # compat-test's own line is unlabelled: on the host, the FUSE run.
        if m and (m.group(1) or name == "compat"):
            label = m.group(1) or "compat (dmabufd FUSE)"
            print(f"{label}: {m.group(2)}")
PY
}

configure() {
	local dir=$1; shift
	if [ -d "$dir/meson-private" ]; then
		meson configure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
}

step "build (-Werror)"
configure "$root/plain" -Dwerror=true -Dtests=enabled
meson compile -C "$root/plain"

step "unit, integration, service and lint suites"
meson test -C "$root/plain" --suite unit --suite integration --suite service --suite lint \
	--print-errorlogs
keep_log "$root/plain" host
compat_lines "$root/testlog-host.json"

step "slow suite: the stress run, ${STRESS_SECONDS:-60} s"
# tests/stress: a daemon of its own, dozens of clients of four uids that
# are SIGKILLed at random; the daemon must come back to its baseline.
# --verbose shows its figures (operations, kills, probe latency). A
# failure does not stop the steps below; the summary counts it.
meson test -C "$root/plain" --suite slow --verbose || true
keep_log "$root/plain" slow

step "unit suite under valgrind"
meson test -C "$root/plain" --suite unit --setup valgrind --print-errorlogs

step "build with ASan + UBSan"
configure "$root/asan" -Dwerror=true -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C "$root/asan"

step "unit and integration suites under ASan + UBSan"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$root/asan" --suite unit --suite integration --print-errorlogs

step "build with TSan"
configure "$root/tsan" -Dwerror=true -Dtests=enabled -Db_sanitize=thread
meson compile -C "$root/tsan"

step "unit suite under TSan"
# TSan maps its shadow memory at fixed addresses and refuses to run
# ("unexpected memory mapping", "FATAL: ThreadSanitizer: ...") when the
# kernel's mmap randomisation puts a mapping there: kernels with high
# mmap ASLR entropy (vm.mmap_rnd_bits = 32; 6.x on some distributions)
# break it. setarch -R runs the suite with address randomisation off for
# those processes only, which TSan always accepts. Every race report
# fails its test (halt_on_error); there is no suppression file: a report
# is a bug to fix, not to hide. "|| true": the summary below counts the
# failures, and the script fails then.
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
	setarch "$(uname -m)" -R meson test -C "$root/tsan" --suite unit --print-errorlogs || true
keep_log "$root/tsan" tsan

step "armhf cross build, unit suite under qemu-user"
bash tools/cross-test.sh "$root/armhf"
keep_log "$root/armhf" armhf

if [ "${SKIP_VM:-0}" != 1 ]; then
	step "VM suite: real CUSE under QEMU with Debian's kernel"
	meson test -C "$root/plain" --suite vm --print-errorlogs
	keep_log "$root/plain" vm
	compat_lines "$root/testlog-vm.json"
fi

step "fuzz suite: libFuzzer targets under ASan + UBSan, ${FUZZ_SECONDS:-60} s each"
CC=clang configure "$root/fuzz" -Dwerror=true -Dtests=disabled -Dfuzz=enabled \
	-Db_sanitize=address,undefined -Db_lundef=false
meson compile -C "$root/fuzz" fuzz-dev fuzz-control fuzz-config
# One target at a time (the machine is shared); a failing target does not
# stop the others, and the summary counts it.
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	meson test -C "$root/fuzz" --suite fuzz --no-rebuild --num-processes 1 \
	--print-errorlogs || true
keep_log "$root/fuzz" fuzz

step "summary (plain build, slow, tsan, armhf-unit and fuzz; the valgrind, ASan and UBSan runs above passed too)"
logs=("$root/testlog-host.json" "$root/testlog-slow.json" "armhf=$root/testlog-armhf.json" --merge "tsan=$root/testlog-tsan.json" "$root/testlog-fuzz.json")
[ -f "$root/testlog-vm.json" ] && [ "${SKIP_VM:-0}" != 1 ] && logs+=("$root/testlog-vm.json")
python3 tools/test-summary.py "${logs[@]}"
