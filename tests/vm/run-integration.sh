#!/usr/bin/env bash
# The VM suite: run the integration test programs against dmabufd on real
# CUSE nodes, inside a VM booting Debian's kernel (run-vm.sh).
#
#   run-integration.sh BUILD_DIR [run-vm.sh options...]
#
# BUILD_DIR is a meson build of this project with the tests enabled.
#
# Output: TAP on stdout (meson runs it with protocol 'tap'), one case per
# case of each cmocka program the guest ran (its standard output, "[ RUN
# ] / [ OK ] / [ FAILED ] / [ SKIPPED ]" lines, named "PROGRAM: CASE") and
# per check of guest-integration.sh ("vm check ok/FAILED: NAME"), and one
# failed case for a VM run that did not end with the guest's summary
# line. The VM's console goes to stderr as it comes.
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
set +e
"$here/run-vm.sh" --payload "$payload" --timeout 600 "$@" -- ./guest-integration.sh 2>&1 |
	tee "$payload/console" >&2
status=${PIPESTATUS[0]}
set -e
awk -v status="$status" '
	function tap(ok, name, directive) {
		n++
		fails += !ok
		gsub(/\r/, "", name)
		printf "%s %d - %s%s\n", ok ? "ok" : "not ok", n, name, directive
	}
	# A case that started and never ended (the program died, hung).
	function unfinished() {
		if (running != "")
			tap(0, prog ": " running " (no result: the program ended)", "")
		running = ""
	}
	{ sub(/\r$/, "") }
	/^=== test-.* \(CUSE\)/ { unfinished(); prog = $2; next }
	/^\[ RUN      \] / { unfinished(); running = substr($0, 14); next }
	/^\[       OK \] / && running != "" { tap(1, prog ": " running, ""); running = ""; next }
	/^\[  FAILED  \] / && running != "" { tap(0, prog ": " running, ""); running = ""; next }
	/^\[  ERROR   \] / && running != "" { tap(0, prog ": " running, ""); running = ""; next }
	/^\[  SKIPPED \] / && running != "" { tap(1, prog ": " running, " # SKIP"); running = ""; next }
	/^vm check ok: / { unfinished(); tap(1, substr($0, 14), ""); next }
	/^vm check FAILED: / { unfinished(); tap(0, substr($0, 18), ""); next }
	/^vm: [0-9]+ passed, [0-9]+ failed/ { unfinished(); summary = 1 }
	END {
		unfinished()
		# A VM that died, failed with no case failed, or ran nothing.
		if (!summary || (status != 0 && !fails) || n == 0)
			tap(0, "the VM run ended with the guest summary (run-vm.sh exit " status ")", "")
		printf "1..%d\n", n
	}' "$payload/console"
