#!/bin/bash
# mkrootfs.sh CACHE_DIR KVER MODULES_DIR
#
# A Debian 12 root filesystem that boots with systemd as PID 1 and udevd,
# from Debian's own packages (mmdebstrap, minbase), for the booted-systemd
# VM suite (run-systemd.sh). Made once and cached as
#
#   CACHE_DIR/rootfs/<key>.tar     what mmdebstrap made
#   CACHE_DIR/rootfs/<key>.cpio    the same as a newc archive, which the
#                                  kernel unpacks as its initramfs
#
# where <key> is a hash of everything that goes in: the suite, the
# package list below, the kernel version and its modules, and this
# script. The modules of MODULES_DIR (fetch-kernel.sh's: fuse, cuse, uio,
# uio_pci_generic) go to /lib/modules/KVER/extra with depmod's indexes
# made inside the new root, so that modprobe@cuse.service and
# kmod-static-nodes (/dev/cuse from modules.devname) work as on an
# installed system. Nothing of dmabufd is in it: the test installs that
# at every boot.
#
# Prints "rootfs=PATH" (the .cpio) on stdout, everything else on stderr.
# Exits 3 when mmdebstrap cannot fetch the packages (no archive), 1 on
# other errors. Needs mmdebstrap and python3 (tar2cpio.py); run as root
# (mmdebstrap's root mode keeps owners and device nodes).
set -euo pipefail

die() { echo "mkrootfs: error: $*" >&2; exit 1; }
log() { echo "mkrootfs: $*" >&2; }

[ $# -eq 3 ] || die "usage: $0 CACHE_DIR KVER MODULES_DIR"
cache=$1 kver=$2 moddir=$3
here=$(cd "$(dirname "$0")" && pwd)

suite=bookworm
# What the guest runs, all from Debian's archive:
#   systemd-sysv udev kmod  PID 1, udevd, modprobe/depmod
#   fuse3 libfuse3-3 libuv1 libsystemd0 libudev1 libsmartcols1 libinih1
#                           what the installed binaries ldd to (libfuse3
#                           with fusermount3, the FUSE fallback's)
#   meson ninja-build       the README's `meson install`
#   procps                  pgrep/ps for the checks
# util-linux (runuser, setpriv) and bash are Essential, always there.
packages="systemd-sysv udev kmod fuse3 libfuse3-3 libuv1 libsystemd0 libudev1
libsmartcols1 libinih1 meson ninja-build procps"

command -v mmdebstrap >/dev/null || die "mmdebstrap not found (apt-get install mmdebstrap)"
command -v python3 >/dev/null || die "python3 not found"
[ -f "$moddir/load-order" ] || die "no $moddir/load-order (fetch-kernel.sh)"

key=$({
	echo "$suite"
	echo "$packages" | tr ' ' '\n' | sort
	echo "$kver"
	(cd "$moddir" && sha256sum load-order *.ko)
	cat "$0" "$here/tar2cpio.py"
} | sha256sum | cut -c1-16)

dir=$cache/rootfs
mkdir -p "$dir"
tar=$dir/$key.tar
cpio=$dir/$key.cpio

exec 9>"$dir/.lock"
flock 9

if [ ! -s "$tar" ]; then
	log "building the root filesystem (mmdebstrap $suite, key $key)"
	t0=$(date +%s)
	rm -f "$tar.tmp"
	# No manuals, translations or package documentation: the guest
	# holds its root in memory. The customize hooks run after the
	# packages are in: the modules
	# and their indexes (depmod of the guest's own kmod), no root
	# password (the console is not a way in: the suite masks the
	# gettys), a hostname.
	if ! mmdebstrap --variant=minbase --format=tar --quiet \
		--include="$(echo $packages | tr ' ' ',')" \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--customize-hook="mkdir -p \"\$1/lib/modules/$kver/extra\"" \
		--customize-hook="copy-in $(echo "$moddir"/*.ko) /lib/modules/$kver/extra" \
		--customize-hook="chroot \"\$1\" depmod -a $kver" \
		--customize-hook="echo dmabufd-sd > \"\$1/etc/hostname\"" \
		"$suite" "$tar.tmp" >&2; then
		rm -f "$tar.tmp"
		log "mmdebstrap failed (is Debian's package archive reachable?)"
		exit 3
	fi
	mv "$tar.tmp" "$tar"
	rm -f "$cpio"
	log "root filesystem made in $(($(date +%s) - t0)) s: $(($(stat -c %s "$tar") >> 20)) MiB"
fi

if [ ! -s "$cpio" ]; then
	python3 "$here/tar2cpio.py" "$tar" "$cpio.tmp" || die "tar2cpio.py failed"
	mv "$cpio.tmp" "$cpio"
fi
# Older keys are old package lists: keep only this one.
find "$dir" -maxdepth 1 -type f \( -name '*.tar' -o -name '*.cpio' \) \
	! -name "$key.*" -delete
echo "rootfs=$cpio"
