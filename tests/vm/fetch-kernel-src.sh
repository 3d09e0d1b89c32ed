#!/bin/bash
# fetch-kernel-src.sh CACHE_DIR
#
# Builds the kernel's own dma-heap (+ system heap) and sw_sync drivers as
# out-of-tree modules for the kernel fetch-kernel.sh caches, so a VM boot can
# run them beside dmabufd. Debian 12's kernel has the dma-buf core and
# sync_file built in but no dma-heaps and no sw_sync (DESIGN.md section 2).
#
# Downloads (apt-get download, nothing is installed) the packages of the
# same version as CACHE_DIR/<kver>'s kernel image:
#   linux-source-<major.minor>         only drivers/dma-buf/ is kept
#   linux-headers-<kver> (+ -common)   kbuild tree to build against
#   linux-kbuild-<major.minor>         its scripts and host tools
# and builds, from the package's unmodified sources plus the wrapper files in
# tests/vm/kmod/ (module licence, namespace import, one init per module):
#   dmabufd_kheap.ko  drivers/dma-buf/dma-heap.c + heaps/system_heap.c
#                     (one module: dma_heap_add() is not exported in 6.1)
#   sw_sync.ko        drivers/dma-buf/sw_sync.c + sync_debug.c; the device
#                     is /sys/kernel/debug/sync/sw_sync (debugfs)
# into
#   CACHE_DIR/<kver>/kmod/<name>.ko        (and build.log)
#   CACHE_DIR/<kver>/kmod/load-order       (module names, in load order)
#
# Idempotent: if CACHE_DIR/<kver>/kmod/.complete exists nothing is done. The
# marker records a hash of tests/vm/kmod/, so editing a wrapper rebuilds.
# Prints "kver=" and "kmod=" lines on stdout (all else on stderr). Exits 3
# when the packages cannot be downloaded, 1 on any other error.
#
# Needs: what fetch-kernel.sh needs, plus gcc (the compiler the kernel was
# built with: gcc-12 on Debian 12), make, xz (the source tarball) and the
# Debian archive for the first run. See tests/vm/README.md for timings.
set -eu

die() { echo "fetch-kernel-src: error: $*" >&2; exit 1; }
log() { echo "fetch-kernel-src: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
here=$(cd "$(dirname "$0")" && pwd)
cache=$1

# The kernel image first: it decides the version.
fk_out=$("$here/fetch-kernel.sh" "$cache") || die "fetch-kernel.sh failed"
kver=$(echo "$fk_out" | sed -n 's/^kver=//p')
[ -n "$kver" ] || die "fetch-kernel.sh named no kernel"
cache=$(cd "$cache" && pwd)
dest=$cache/$kver/kmod

for t in make gcc xz strip dpkg-deb apt-get apt-cache sha256sum; do
    command -v $t >/dev/null || die "$t not found (tools/setup.sh installs what is needed)"
done

# The wrappers' hash: a cache built from other wrapper files is stale.
wrap_hash=$(cd "$here/kmod" && find . -maxdepth 1 -type f -print0 | LC_ALL=C sort -z |
            xargs -0 sha256sum | sha256sum | cut -c1-16)

if command -v flock >/dev/null; then
    exec 9>"$cache/.lock-src"
    flock 9
fi

report() {
    echo "kver=$kver"
    echo "kmod=$dest"
}
if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$wrap_hash" ]; then
    log "using cached modules for $kver in $dest"
    report
    exit 0
fi

# Package version of the image: source and headers must be the same build.
pkgver=$(apt-cache show "linux-image-$kver" 2>/dev/null | sed -n 's/^Version: //p' | head -n 1)
[ -n "$pkgver" ] || die "apt-cache knows no linux-image-$kver (run apt-get update?)"
series=$(echo "$kver" | cut -d. -f1,2)                 # 6.1
flavour=${kver##*-}                                    # amd64
abi=${kver%-"$flavour"}                                # 6.1.0-57

src=$cache/$kver/src          # extracted packages, kept for rebuilds
t0=$(date +%s)
if [ ! -f "$src/.complete" ]; then
    rm -rf "$src"
    tmp=$(mktemp -d "$cache/.fetch-src.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT INT TERM HUP
    pkgs=("linux-source-$series=$pkgver" "linux-headers-$kver=$pkgver"
          "linux-headers-$abi-common=$pkgver" "linux-kbuild-$series=$pkgver")
    log "downloading ${pkgs[*]} ..."
    if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "${pkgs[@]}" >&2); then
        echo "fetch-kernel-src: error: 'apt-get download' failed (no access to the Debian archive? try 'apt-get update')" >&2
        exit 3
    fi
    mkdir -p "$tmp/x"
    for deb in "$tmp"/*.deb; do
        log "extracting ${deb##*/} ..."
        dpkg-deb -x "$deb" "$tmp/x" || die "dpkg-deb -x $deb failed"
        rm -f "$deb"
    done
    tarball=
    for f in "$tmp"/x/usr/src/linux-source-"$series".tar.*; do
        [ -f "$f" ] && tarball=$f && break
    done
    [ -n "$tarball" ] || die "linux-source-$series has no usr/src/linux-source-$series.tar.*"
    log "unpacking drivers/dma-buf from ${tarball##*/} ..."
    mkdir -p "$tmp/x/usr/src/dma-buf"
    tar -xf "$tarball" -C "$tmp/x/usr/src/dma-buf" --strip-components=1 \
        "linux-source-$series/drivers/dma-buf" || die "cannot unpack drivers/dma-buf"
    rm -f "$tarball"
    [ -d "$tmp/x/usr/src/linux-headers-$kver" ] || die "no usr/src/linux-headers-$kver"
    echo "$pkgver" > "$tmp/x/.complete"
    mv "$tmp/x" "$src"
    rm -rf "$tmp"
    trap - EXIT INT TERM HUP
    log "fetched in $(($(date +%s) - t0)) s"
fi

# --- build -------------------------------------------------------------------
kdir=$src/usr/src/linux-headers-$kver
bdir=$cache/$kver/kmod-build
# The headers package's Makefile includes the -common one by its installed
# path (/usr/src/...); point it at the extracted copy.
echo "include $src/usr/src/linux-headers-$abi-common/Makefile" > "$kdir/Makefile"
rm -rf "$bdir"
mkdir -p "$bdir/heaps" "$bdir/include/trace" "$bdir/drivers"
ln -s .. "$bdir/drivers/dma-buf"                   # see kmod/Kbuild
drv=$src/usr/src/dma-buf/drivers/dma-buf
for f in dma-heap.c heaps/system_heap.c sw_sync.c sync_debug.c sync_debug.h sync_trace.h; do
    [ -f "$drv/$f" ] || die "linux-source has no drivers/dma-buf/$f"
    cp "$drv/$f" "$bdir/$f"
done
cp "$here"/kmod/* "$bdir/"

t1=$(date +%s)
log "building modules against $kdir ..."
if ! make -C "$kdir" M="$bdir" -j"$(nproc)" modules > "$bdir/build.log" 2>&1; then
    cat "$bdir/build.log" >&2
    die "module build failed"
fi
grep -i 'warning' "$bdir/build.log" >&2 || true

rm -rf "$dest"
mkdir -p "$dest"
for m in dmabufd_kheap dmabufd_sw_sync; do
    [ -f "$bdir/$m.ko" ] || die "the build made no $m.ko"
    # Without debug info: 25 KB instead of 650 KB in every initramfs.
    strip --strip-debug -o "$dest/$m.ko" "$bdir/$m.ko" || die "strip $m.ko failed"
    echo "$m" >> "$dest/load-order"
done
cp "$bdir/build.log" "$dest/"
rm -rf "$bdir"
echo "$wrap_hash" > "$dest/.complete"
log "built $(tr '\n' ' ' < "$dest/load-order")in $(($(date +%s) - t1)) s"
report
