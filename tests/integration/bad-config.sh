#!/usr/bin/env bash
# Bad configuration files are refused before anything is created. For
# each file below, dmabufd must exit with status 2, say "dmabufd:
# FILE:LINE: reason" on stderr for every error, and leave no FUSE mount,
# no control socket and no lock behind (the directory they would be in
# is not even created). The same for an option with a bad value, or one
# that conflicts with the file: its message names the option.
#
#   bad-config.sh [DMABUFD]
#
# The daemon is DMABUFD (default: $DMABUFD). $HAVE_STM32=1 says it was
# built with the STM32 backend (the messages about stm32-uio differ).
# Run directly by meson (suite 'integration'), not through run.sh: there
# is no daemon to share. Its output is TAP: "ok - NAME" or "not ok - NAME"
# per file, what went wrong as "#" lines, the plan at the end.
set -uo pipefail

daemon=${1:-${DMABUFD:-}}
if [ -z "$daemon" ] || [ ! -x "$daemon" ]; then
	echo "bad-config.sh: no daemon (pass it, or set DMABUFD)" >&2
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-badconf.XXXXXX")
failed=0
cases=0

# result OK NAME: one TAP line for case NAME (OK 1 or 0).
result() {
	cases=$((cases + 1))
	if [ "$1" = 1 ]; then
		echo "ok - $2"
	else
		echo "not ok - $2"
		failed=1
	fi
}

cleanup() {
	# A daemon that wrongly started was stopped by timeout; a mount it
	# left would keep rm from working.
	grep -o " $tmp/[^ ]* fuse" /proc/self/mounts 2>/dev/null |
		while read -r m _; do fusermount3 -u -z "$m" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# refuse NAME 'LINE: REASON'... < FILE: run dmabufd on FILE (stdin) and
# check the exit status, one stderr line per expected message (in
# order), and that nothing was created.
refuse() {
	local name=$1
	shift
	refuse_with "$name" "" "${@/#/@CONF@:}"
}

# refuse_with NAME OPTION 'MESSAGE'... < FILE: the same with OPTION (""
# for none) after the others, and whole messages, "@CONF@" standing for
# FILE.
refuse_with() {
	local name=$1 opt=$2 conf=$tmp/$1.conf dev=$tmp/$1.dev run=$tmp/$1.run
	local status ok=1 want got
	shift 2
	cat >"$conf"
	mkdir -p "$dev"
	timeout -s TERM 10 "$daemon" --transport=fuse --dev-root="$dev" \
		--control="$run/control" --config="$conf" ${opt:+"$opt"} \
		>"$tmp/$name.out" 2>"$tmp/$name.err"
	status=$?
	if [ $status != 2 ]; then
		echo "# exit status $status, not 2"
		ok=0
	fi
	got=$(grep -c '' "$tmp/$name.err")
	if [ "$got" != $# ]; then
		echo "# $got lines on stderr, not $#"
		ok=0
	fi
	local i=1
	for want in "$@"; do
		want="dmabufd: ${want//@CONF@/$conf}"
		got=$(sed -n "${i}p" "$tmp/$name.err")
		if [ "$got" != "$want" ]; then
			echo "# line $i: '$got'"
			echo "#    want: '$want'"
			ok=0
		fi
		i=$((i + 1))
	done
	if grep -q " $dev fuse" /proc/self/mounts; then
		echo "# $dev is mounted"
		ok=0
	fi
	if [ -e "$run" ]; then
		echo "# $run was created"
		ok=0
	fi
	[ $ok = 1 ] || sed 's/^/# | /' "$tmp/$name.err"
	result $ok "$name"
}

refuse unknown-key '4: unknown key log-levle in [daemon]' <<'EOF'
[dma]
backend = none
[daemon]
log-levle = debug
EOF

refuse unknown-section '3: unknown section [deamon]' <<'EOF'
[dma]
backend = none
[deamon]
log-level = debug
EOF

refuse bad-number '2: bad value "10s" for token-ttl-ms: expected a number of milliseconds from 1 to 86400000' <<'EOF'
[daemon]
token-ttl-ms = 10s
[dma]
backend = none
EOF

refuse bad-size-suffix '5: bad value "64MB" for limit: expected a byte count with an optional K, M or G suffix, or a percentage of RAM from 1% to 100% (0: no limit)' <<'EOF'
[dma]
backend = none

[heap:system]
limit = 64MB
EOF

refuse bad-enum '2: bad value "cuse2" for transport: expected auto, cuse or fuse' <<'EOF'
[daemon]
transport = cuse2
[dma]
backend = none
EOF

refuse missing-backend '3: missing backend: [dma] needs backend = mock, stm32-uio or none' <<'EOF'
[daemon]
log-level = info
[dma]
timeout-ms = 100
EOF

refuse missing-backend-no-dma '3: missing backend: add [dma] with backend = mock, stm32-uio or none' <<'EOF'
[daemon]
log-level = info
# no [dma] at all
EOF

refuse duplicate-heap '6: duplicate heap system (first at line 3)' <<'EOF'
[dma]
backend = none
[heap:system]
limit = 1M

[heap:system]
limit = 2M
EOF

refuse duplicate-key '4: duplicate key control in [daemon] (first at line 2)' <<'EOF'
[daemon]
control = /run/a/control
log-level = info
control = /run/b/control
[dma]
backend = none
EOF

if [ "${HAVE_STM32:-0}" = 1 ]; then
	refuse stm32-without-controller '2: backend = stm32-uio needs a [stm32:NAME] controller' <<-'EOF'
	[dma]
	backend = stm32-uio
	EOF
else
	refuse stm32-without-controller '2: backend = stm32-uio: this dmabufd was built without it (-Dstm32_uio=disabled)' <<-'EOF'
	[dma]
	backend = stm32-uio
	EOF
fi

refuse bad-consumer-map '4: bad value "mock0:rx" for rx: expected CONTROLLER[:CHAN[:LINE]] (CHAN a number, "any" or empty; LINE a number)' <<'EOF'
[dma]
backend = none
[consumer:uart0]
rx = mock0:rx
EOF

refuse every-error-reported \
	'2: bad value "loud" for log-level: expected err, warning, notice, info or debug' \
	'3: unknown key foo in [daemon]' \
	'4: unknown section [bar]' \
	'6: expected KEY = VALUE, [SECTION] or a comment' \
	'6: missing backend: add [dma] with backend = mock, stm32-uio or none' <<'EOF'
[daemon]
log-level = loud
foo = 1
[bar]
[nodes]
mode 0660
EOF

# An option gets the reason its key in the file gets.
refuse_with option-token-ttl-over-one-day --token-ttl-ms=86400001 \
	'invalid value "86400001" for --token-ttl-ms: expected a number of milliseconds from 1 to 86400000' <<'EOF'
[dma]
backend = none
EOF

# The checks between backend, controllers and heaps come after the
# command line: an option cannot bring in what the file alone refuses.
# (--backend=mock --help exits 0 when the mock is built in.)
if [ "${HAVE_STM32:-0}" = 1 ] && "$daemon" --backend=mock --help >/dev/null 2>&1; then
	refuse_with option-backend-mock-over-contiguous-heap --backend=mock \
		'--backend=mock: heap contig (stm32-contig, @CONF@:5) needs backend = stm32-uio or none: the mock controller cannot reach physical memory' <<-'EOF'
	[dma]
	backend = stm32-uio
	[stm32:dma1]
	uio = dma1
	[heap:contig]
	type = stm32-contig
	uio = dma-pool
	EOF
fi

# An explicit --config that does not exist: status 2, no line number.
dev=$tmp/missing.dev
mkdir -p "$dev"
timeout -s TERM 10 "$daemon" --transport=fuse --dev-root="$dev" \
	--control="$tmp/missing.run/control" --config="$tmp/nonexistent.conf" \
	>"$tmp/missing.out" 2>"$tmp/missing.err"
status=$?
if [ $status = 2 ] &&
   [ "$(cat "$tmp/missing.err")" = "dmabufd: $tmp/nonexistent.conf: cannot open: No such file or directory" ] &&
   [ ! -e "$tmp/missing.run" ]; then
	result 1 missing-explicit-config
else
	echo "# exit status $status"
	sed 's/^/# | /' "$tmp/missing.err"
	result 0 missing-explicit-config
fi

echo "1..$cases"
exit $failed
