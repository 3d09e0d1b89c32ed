#!/usr/bin/env bash
# The preload's cost on fds that are not dmabufd's: dmabufd-compat-overhead
# under libdmabufd-compat.so (interposed calls against libc's own, in one
# process), then without it (the method's noise: both sides libc's).
#
#   bench/compat-overhead.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: compat-overhead.sh BUILD_DIR}
prog=$build/bench/dmabufd-compat-overhead
echo "under the preload:"
LD_PRELOAD=$build/compat/libdmabufd-compat.so "$prog"
echo "without it (noise):"
"$prog"
