#!/usr/bin/env bash
# The VM suite: run the integration test programs against dmabufd on real
# CUSE nodes, inside a VM booting Debian's kernel (run-vm.sh).
#
#   run-integration.sh BUILD_DIR [run-vm.sh options...]
#
# BUILD_DIR is a meson build of this project with the tests enabled.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-integration.sh BUILD_DIR [run-vm.sh options]}
shift
build=$(cd "$build" && pwd)

payload=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-vm-payload.XXXXXX")
trap 'rm -rf "$payload"' EXIT

cp "$build/dmabufd" "$payload/"
# test-who reads listings through dmabufctl.
cp "$build/tools/dmabufctl" "$payload/"
for t in "$build"/tests/integration/test-*; do
	[ -f "$t" ] && [ -x "$t" ] && cp "$t" "$payload/"
done
# Programs that need a daemon of their own, with these extra arguments.
for a in "$here"/../integration/*.args; do
	[ -f "$a" ] && cp "$a" "$payload/"
done
cp "$here/guest-integration.sh" "$payload/"

# libdmabufd comes from the build tree; run-vm.sh copies what ldd finds.
export LD_LIBRARY_PATH=$build/libclient${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
exec "$here/run-vm.sh" --payload "$payload" --timeout 600 "$@" -- ./guest-integration.sh
