#!/bin/sh
# dmabufd's public headers (proto/dmabufd/*.h and libclient's
# <dmabufd/dmabufd.h>) and the kernel's uapi headers they mirror
# (<linux/dma-buf.h>, <linux/sync_file.h>, <linux/dma-heap.h>) compile
# together in either order: each dmabufd header before and after each
# kernel header, and all of one kind before all of the other. A program
# that already includes the kernel's headers must be able to add
# libdmabufd's without redefinitions.
#
#   check-uapi-headers.sh SRCDIR      (CC: the compiler, default cc)
#
# Exits 0 when every order compiles (-Wall -Wextra -Werror, gnu11 and
# c11), 1 naming each order that does not, 77 (skip) when the system has
# none of the kernel headers.
src=${1:?usage: check-uapi-headers.sh SRCDIR}
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/uapi-headers.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
failed=0 passed=0

kernel=
for k in linux/dma-buf.h linux/sync_file.h linux/dma-heap.h; do
	printf '#include <%s>\n' "$k" | $cc -E -x c - >/dev/null 2>&1 && kernel="$kernel $k"
done
if [ -z "$kernel" ]; then
	echo "# SKIP: the system has none of the kernel's dma-buf uapi headers"
	exit 77
fi

ours=
for h in "$src"/proto/dmabufd/*.h; do
	ours="$ours dmabufd/$(basename "$h")"
done
ours="$ours dmabufd/dmabufd.h"

# compiles NAME HEADER...: a file including HEADERs in this order
# compiles in both language modes.
compiles() {
	name=$1
	shift
	: >"$tmp/t.c"
	for h in "$@"; do
		printf '#include <%s>\n' "$h" >>"$tmp/t.c"
	done
	printf 'int main(void) { return 0; }\n' >>"$tmp/t.c"
	for std in gnu11 c11; do
		if ! $cc -std=$std -D_GNU_SOURCE -Wall -Wextra -Werror -fsyntax-only \
			-I"$src/proto" -I"$src/libclient/include" "$tmp/t.c" >"$tmp/log" 2>&1; then
			echo "not ok - $name (-std=$std)"
			sed 's/^/#   /' "$tmp/log"
			failed=$((failed + 1))
			return
		fi
	done
	echo "ok - $name"
	passed=$((passed + 1))
}

for o in $ours; do
	for k in $kernel; do
		compiles "$o then $k" "$o" "$k"
		compiles "$k then $o" "$k" "$o"
	done
done
# shellcheck disable=SC2086 # word splitting wanted: lists of headers
compiles "every dmabufd header, then every kernel header" $ours $kernel
# shellcheck disable=SC2086
compiles "every kernel header, then every dmabufd header" $kernel $ours

echo "$passed passed, $failed failed"
[ $failed = 0 ]
