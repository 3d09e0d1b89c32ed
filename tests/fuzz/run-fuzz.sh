#!/bin/sh
# Run one fuzz target as a meson test (tests/fuzz/meson.build):
#
#   run-fuzz.sh EXE NAME SEED_DIR WORK_DIR
#
# for FUZZ_SECONDS (default 60) from the seed corpus in the tree. New
# inputs go to WORK_DIR/corpus/NAME (the seeds are never written), a
# crashing, leaking or hanging input to WORK_DIR/crashes/NAME/. libFuzzer's
# final statistics (executions, executions per second) end the output,
# where tools/test-summary.py reads them.
set -eu
exe=$1 name=$2 seeds=$3 work=$4
secs=${FUZZ_SECONDS:-60}
mkdir -p "$work/corpus/$name" "$work/crashes/$name"
# The whole run, start-up and the final merge included, is bounded too.
exec timeout --kill-after=30 $((secs * 2 + 120)) "$exe" \
	-max_total_time="$secs" -timeout=30 -rss_limit_mb=2048 \
	-error_exitcode=1 -timeout_exitcode=1 \
	-print_final_stats=1 -artifact_prefix="$work/crashes/$name/" \
	"$work/corpus/$name" "$seeds"
