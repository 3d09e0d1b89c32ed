#!/bin/sh
# The object model (daemon/model) must not know about libfuse or libuv,
# nor must the dev layer (daemon/dev; only daemon/transport adapts libfuse),
# and libclient must not include daemon or backend headers (DESIGN.md §1).
# Exits non-zero, naming the offending lines, if any rule is broken.
top=${1:-.}
status=0

bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](fuse|fuse3/|cuse_lowlevel|uv\.h|uv/)' \
	"$top"/daemon/model/*.[ch] 2>/dev/null)
if [ -n "$bad" ]; then
	echo "daemon/model includes a transport or event-loop header:" >&2
	echo "$bad" >&2
	status=1
fi

# The dev layer (daemon/dev) is transport-neutral: no libfuse. It may not
# include libuv either: the loop glue lives in daemon/loop.c.
if [ -d "$top/daemon/dev" ]; then
	bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](fuse|fuse3/|cuse_lowlevel|uv\.h|uv/|(\.\./)*transport/)' \
		"$top"/daemon/dev/*.[ch] 2>/dev/null)
	if [ -n "$bad" ]; then
		echo "daemon/dev includes a libfuse, libuv or transport header:" >&2
		echo "$bad" >&2
		status=1
	fi
fi

# The dmaengine core (daemon/dmaengine) depends on the object model only:
# no libfuse, no libuv (the daemon hands it a wake-up function instead),
# and nothing from the dev, transport or ctl layers above it.
if [ -d "$top/daemon/dmaengine" ]; then
	bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"](fuse|fuse3/|cuse_lowlevel|uv\.h|uv/|(\.\./)*(dev|transport|ctl)/)' \
		"$top"/daemon/dmaengine/*.[ch] 2>/dev/null)
	if [ -n "$bad" ]; then
		echo "daemon/dmaengine includes a libfuse, libuv or upper-layer header:" >&2
		echo "$bad" >&2
		status=1
	fi
fi

if [ -d "$top/libclient" ]; then
	bad=$(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(\.\./)*(daemon|backend)/' \
		"$top"/libclient 2>/dev/null)
	if [ -n "$bad" ]; then
		echo "libclient includes a daemon or backend header:" >&2
		echo "$bad" >&2
		status=1
	fi
fi

[ $status -eq 0 ] && echo "layering ok"
exit $status
