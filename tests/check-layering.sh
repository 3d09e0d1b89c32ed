#!/bin/sh
# The object model (daemon/model) must not know about libfuse or libuv,
# nor must the dev layer (daemon/dev; only daemon/transport adapts libfuse),
# the dmaengine core must not reach above the object model, and libclient
# must not include daemon or backend headers (DESIGN.md §1).
# Exits non-zero, naming the offending lines, if any rule is broken.
top=${1:-.}
status=0

inc='^[[:space:]]*#[[:space:]]*include[[:space:]]*'
fuse_uv='fuse|fuse3/|cuse_lowlevel|uv\.h|uv/'

# forbid DIR PATTERN WHAT: no include in DIR's sources may match PATTERN
# (an extended regex of what follows "#include"). A missing DIR passes.
forbid() {
	[ -d "$top/$1" ] || return 0
	bad=$(grep -rnE --include='*.[ch]' "$inc$2" "$top/$1" 2>/dev/null)
	if [ -n "$bad" ]; then
		echo "$1 includes $3:" >&2
		echo "$bad" >&2
		status=1
	fi
}

forbid daemon/model "[<\"]($fuse_uv)" "a transport or event-loop header"
# The dev layer is transport-neutral; the loop glue lives in daemon/loop.c
# and the backends' wiring in daemon/wiring/, above it.
forbid daemon/dev "[<\"]($fuse_uv|(\\.\\./)*(transport|wiring)/)" \
	"a libfuse, libuv, transport or wiring header"
# The dmaengine core gets a wake-up function from the daemon, not libuv.
forbid daemon/dmaengine "[<\"]($fuse_uv|(\\.\\./)*(dev|transport|ctl|wiring)/)" \
	"a libfuse, libuv or upper-layer header"
# The debug views render the model for the control socket and the FUSE
# files alike: they know neither.
forbid daemon/debug "[<\"]($fuse_uv|(\\.\\./)*(transport|ctl)/)" \
	"a libfuse, libuv, transport or control-socket header"
forbid libclient "\"(\\.\\./)*(daemon|backend)/" "a daemon or backend header"

[ $status -eq 0 ] && echo "layering ok"
exit $status
