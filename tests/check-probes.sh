#!/bin/sh
# The daemon carries every USDT probe of daemon/util/trace.h under the
# provider "dmabufd" (readelf -n lists its .note.stapsdt notes), each
# with a semaphore (a nonzero address: unused probes cost a branch).
#
#   check-probes.sh DAEMON
#
# $DMABUFD_HAVE_SDT is what meson found: 0 (no <sys/sdt.h>, the probes
# compile to nothing) skips with status 77, saying so. Exits 1 naming any
# probe that is missing.
set -u
daemon=${1:?usage: check-probes.sh DAEMON}
probes='fence_init fence_enable_signal fence_signaled fence_destroy
dma_buf_export dma_buf_release dma_submit dma_complete'

if [ "${DMABUFD_HAVE_SDT:-1}" = 0 ]; then
	echo "SKIP: built without <sys/sdt.h> (install systemtap-sdt-dev): no probes to check"
	exit 77
fi
if ! command -v readelf >/dev/null; then
	echo "SKIP: no readelf (binutils)"
	exit 77
fi
notes=$(readelf -n "$daemon") || exit 1
# "Provider: dmabufd" and "Name: X" come on consecutive lines of one note.
# "Semaphore:" is on the "Location:" line that follows.
found=$(echo "$notes" | awk '
	$1 == "Provider:" { p = $2 }
	$1 == "Name:" && p == "dmabufd" { n = $2; p = "" }
	$1 == "Location:" && n != "" {
		if ($NF !~ /^0x0*$/) print n
		n = ""
	}' | sort -u)
status=0
for p in $probes; do
	if ! echo "$found" | grep -qx "$p"; then
		echo "missing USDT probe dmabufd:$p (or its semaphore) in $daemon" >&2
		status=1
	fi
done
[ $status = 0 ] && echo "probes ok: $(echo $found)"
exit $status
