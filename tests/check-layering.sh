#!/bin/sh
# The object model (daemon/model) must not know about libfuse or libuv,
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
