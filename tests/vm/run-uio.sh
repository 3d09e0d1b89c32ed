#!/usr/bin/env bash
# The VM suite's UIO test: run uio-edu (dmabufd's UIO layer against the
# kernel's uio_pci_generic driving QEMU's edu device) inside a VM booting
# Debian's kernel (run-vm.sh --edu).
#
#   run-uio.sh UIO_EDU_BINARY [run-vm.sh options...]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
bin=${1:?usage: run-uio.sh UIO_EDU_BINARY [run-vm.sh options]}
shift
[ -x "$bin" ] || { echo "run-uio: $bin is not executable" >&2; exit 2; }

payload=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-vm-uio.XXXXXX")
trap 'rm -rf "$payload"' EXIT

cp "$bin" "$payload/uio-edu"
cp "$here/guest-uio.sh" "$payload/"
chmod 755 "$payload/guest-uio.sh"
exec "$here/run-vm.sh" --payload "$payload" --edu --timeout 120 "$@" -- ./guest-uio.sh
