#!/bin/bash
# run-systemd.sh BUILD_DIR - dmabufd as an administrator meets it: a VM
# that boots Debian 12 with systemd as PID 1 and udevd (mkrootfs.sh's root
# filesystem, from Debian's packages, cached), Debian's own kernel
# (fetch-kernel.sh's, cached), into which guest-systemd.sh installs
# dmabufd with the README's "Installing" commands and checks the service.
# Prints the guest's TAP on stdout (the VM suite's systemd-vm reads it);
# the console (kernel, systemd, the checks' own output) goes to stderr
# when a check failed or no plan came, or always with DMABUFD_SD_VERBOSE=1,
# and to $DMABUFD_SD_LOG if set.
#
# The build: BUILD_DIR, already built (the README's first line), is
# copied into the guest at its own absolute path beside this source tree
# (meson's install data names both by absolute path), and the source
# tree's `build` points at it there when BUILD_DIR is elsewhere. The
# guest runs the README's lines from the second on, taken from README.md
# itself at every run, so the two cannot drift apart.
#
# The guest boots the root filesystem as its initramfs (rdinit=/sbin/init:
# systemd on the initramfs's tmpfs; no disk, no switch_root). The
# initramfs is the cached archive of the root filesystem followed by a
# second archive with what this run adds: the source and build trees,
# /vmtest (guest-systemd.sh, sd-client, the README's kernel-ABI example
# `frame`), the unit that runs the checks, and masked gettys. The TAP
# comes out on the second serial port (/dev/ttyS1 in the guest).
#
# Exits with 77 (skip) when mmdebstrap is missing or the package archive
# is unreachable; 1 when the VM gives no result.
set -euo pipefail

prog=run-systemd
die() { echo "$prog: error: $*" >&2; exit 1; }
log() { echo "$prog: $*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
build=${1:?usage: run-systemd.sh BUILD_DIR}
build=$(cd "$build" && pwd)
cache=${DMABUFD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dmabufd-vm}
timeout_s=${DMABUFD_SD_TIMEOUT:-900}
qemu=${QEMU:-qemu-system-x86_64}

if ! command -v mmdebstrap >/dev/null; then
	echo "1..0 # SKIP mmdebstrap not found (apt-get install mmdebstrap)"
	exit 0
fi
command -v "$qemu" >/dev/null || die "$qemu not found (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || die "cpio not found"
for f in tests/vm/sd-client examples/pipeline; do
	[ -x "$build/$f" ] || die "$build/$f not built"
done
cc=${CC:-cc}

work=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-sd.XXXXXX")
qemu_pid=
cleanup() {
	[ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

t_start=$(date +%s)
fetch_out=$("$here/fetch-kernel.sh" "$cache") || die "fetch-kernel.sh failed"
kver=$(echo "$fetch_out" | sed -n 's/^kver=//p')
kernel=$(echo "$fetch_out" | sed -n 's/^kernel=//p')
moddir=$(echo "$fetch_out" | sed -n 's/^modules=//p')

rc=0
rootfs_out=$("$here/mkrootfs.sh" "$cache" "$kver" "$moddir") || rc=$?
if [ $rc = 3 ]; then
	echo "1..0 # SKIP the root filesystem cannot be made (package archive unreachable)"
	exit 0
fi
[ $rc = 0 ] || die "mkrootfs.sh failed"
rootfs=$(echo "$rootfs_out" | sed -n 's/^rootfs=//p')
# The kernel's own udmabuf and sw_sync, built from Debian's linux-source
# (fetch-kernel-src.sh, cached; compat-vm made them already in a VM suite
# run): the daemon's buffers and fences out to the kernel under the
# unit's sandbox. Without them those checks are skips.
kmod=
if src_out=$("$here/fetch-kernel-src.sh" "$cache" 2>"$work/kmod.log"); then
	kmod=$(echo "$src_out" | sed -n 's/^kmod=//p')
else
	log "no kernel udmabuf/sw_sync modules (fetch-kernel-src.sh failed):"
	cat "$work/kmod.log" >&2
fi
t_rootfs=$(date +%s)


ov=$work/overlay
mkdir -p "$ov/vmtest" "$ov/etc/systemd/system/multi-user.target.wants"

# The trees, at their own paths. Build directories inside the source
# tree stay out, but for BUILD_DIR itself.
tar -C / -cf - --exclude=.git --exclude="${src#/}/build*" "${src#/}" |
	tar -C "$ov" -xf -
tar -C / -cf - "${build#/}" | tar -C "$ov" -xf -
if [ "$build" != "$src/build" ]; then
	ln -s "$build" "$ov$src/build"
fi

# The README's "Installing" block (its indented lines), all but the
# first, which built BUILD_DIR. Each line is one check in the guest.
awk '/^## Installing$/ { s = 1; next } s && /^## / { exit }
     s && /^    / { sub(/^    /, ""); print }' "$src/README.md" |
	sed 1d >"$ov/vmtest/installing"
[ -s "$ov/vmtest/installing" ] || die "no commands under '## Installing' in README.md"

# The README's kernel-ABI example (as tests/compat/compat-run.sh takes
# it): the program that runs under the preload wrapper.
awk '/^## Running an existing program/ { s = 1 } s && /^```c$/ { c = 1; next }
     c && /^```$/ { exit } c { print }' "$src/README.md" >"$work/frame.c"
"$cc" -O2 -o "$ov/vmtest/frame" "$work/frame.c" ||
	die "cannot compile README.md's kernel-ABI example"

# Outside the build tree, their build-tree RUNPATH leads nowhere: they
# run on the installed libdmabufd.
cp "$here/guest-systemd.sh" "$build/tests/vm/sd-client" \
	"$build/examples/pipeline" "$ov/vmtest/"
if [ -n "$kmod" ]; then
	mkdir -p "$ov/vmtest/kmod"
	cp "$kmod/dmabufd_udmabuf.ko" "$kmod/dmabufd_sw_sync.ko" "$ov/vmtest/kmod/"
fi
cat >"$ov/vmtest/env" <<EOF
SRC='$src'
BUILD='$build'
EOF

# The checks run as a service once the system is up; TAP on ttyS1
# (stdout), their commentary on the console and in the journal.
cat >"$ov/etc/systemd/system/dmabufd-vmtest.service" <<'EOF'
[Unit]
Description=dmabufd booted-systemd checks (tests/vm/guest-systemd.sh)
After=multi-user.target

[Service]
Type=exec
ExecStart=/bin/bash /vmtest/guest-systemd.sh
StandardInput=null
StandardOutput=tty
TTYPath=/dev/ttyS1
TTYReset=yes
StandardError=journal+console
EOF
ln -s ../dmabufd-vmtest.service \
	"$ov/etc/systemd/system/multi-user.target.wants/dmabufd-vmtest.service"
# No login prompts on the consoles.
for u in serial-getty@ttyS0.service getty@tty1.service; do
	ln -s /dev/null "$ov/etc/systemd/system/$u"
done

initrd=$work/initrd.cpio
cp "$rootfs" "$initrd"
(cd "$ov" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) >>"$initrd" || die "cpio failed"

console=${DMABUFD_SD_LOG:-$work/console.log}
tap=$work/tap
: >"$console"
: >"$tap"
log "kernel $kver, initramfs $(($(stat -c %s "$initrd") >> 20)) MiB, timeout ${timeout_s}s"
t_boot=$(date +%s)
# 1.5 GiB: the root filesystem and the trees live in the initramfs's
# tmpfs, and the archive itself until the kernel has unpacked it.
timeout -k 5 "$timeout_s" "$qemu" -accel tcg -m 1536 -smp 1 \
	-nodefaults -display none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" \
	-append "console=ttyS0 rdinit=/sbin/init panic=-1 quiet systemd.show_status=error" \
	-chardev "file,id=con,path=$console" -serial chardev:con \
	-chardev "file,id=tap,path=$tap" -serial chardev:tap \
	</dev/null &
qemu_pid=$!
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
t_end=$(date +%s)

tr -d '\r' <"$tap"
echo "# rootfs (cached or made) $((t_rootfs - t_start)) s, VM $((t_end - t_boot)) s, qemu status $qemu_status"
bad=0
grep -q '^1\.\.[0-9]' <(tr -d '\r' <"$tap") || bad=1
grep -q '^not ok' <(tr -d '\r' <"$tap") && bad=1
if [ $bad = 1 ] || [ "${DMABUFD_SD_VERBOSE:-0}" = 1 ]; then
	tr -d '\r' <"$console" >&2
fi
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
	echo "Bail out! qemu killed after ${timeout_s}s"
	exit 1
fi
exit 0
