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
#   dmabufd_sw_sync.ko  drivers/dma-buf/sw_sync.c + sync_debug.c; the device
#                     is /sys/kernel/debug/sync/sw_sync (debugfs)
#   dmabufd_udmabuf.ko  drivers/dma-buf/udmabuf.c (/dev/udmabuf), with
#                     stand-ins for the mm symbols 6.1 does not export
#                     (kmod/udmabuf_main.c)
# into
#   CACHE_DIR/<kver>/kmod/<name>.ko        (and build.log)
#   CACHE_DIR/<kver>/kmod/load-order       (module names, in load order)
# and, from the same package's tools/testing/selftests, the kernel's own
# selftests of these drivers, unmodified, built as their Makefiles build
# them but linked dynamically (so that dmabufd-run's preload reaches them),
# into
#   CACHE_DIR/<kver>/selftests/sync_test     selftests/sync
#   CACHE_DIR/<kver>/selftests/dmabuf-heap   selftests/dmabuf-heaps (its
#                     <drm/drm.h> from the headers package's uapi, with
#                     -D__user= as headers_install would strip it)
#   CACHE_DIR/<kver>/selftests/udmabuf       selftests/drivers/dma-buf
#
# Idempotent: if CACHE_DIR/<kver>/kmod/.complete and .../selftests/.complete
# exist nothing is done. The kmod marker records a hash of tests/vm/kmod/,
# so editing a wrapper rebuilds; a cache made before the selftests were
# kept downloads linux-source once more for them.
# Prints "kver=", "kmod=" and "selftests=" lines on stdout (all else on
# stderr). Exits 3 when the packages cannot be downloaded, 1 on any other
# error.
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
fk_status=0
fk_out=$("$here/fetch-kernel.sh" "$cache") || fk_status=$?
[ "$fk_status" -ne 3 ] || exit 3          # the kernel cannot be downloaded
[ "$fk_status" -eq 0 ] || die "fetch-kernel.sh failed"
kver=$(echo "$fk_out" | sed -n 's/^kver=//p')
[ -n "$kver" ] || die "fetch-kernel.sh named no kernel"
cache=$(cd "$cache" && pwd)
dest=$cache/$kver/kmod
stdest=$cache/$kver/selftests

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
    echo "selftests=$stdest"
}
# What the selftest build below depends on besides the sources.
st_recipe=selftests-1
if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$wrap_hash" ] &&
   [ -f "$stdest/.complete" ] && [ "$(cat "$stdest/.complete")" = "$st_recipe" ]; then
    log "using cached modules and selftests for $kver in $dest, $stdest"
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
parts=$src/usr/src/dma-buf    # the parts of linux-source kept
selftest_parts=(tools/testing/selftests/kselftest.h tools/testing/selftests/sync
                tools/testing/selftests/dmabuf-heaps tools/testing/selftests/drivers/dma-buf)

# unpack_parts TARBALL DIR PATH...: the source tree's PATHs into DIR.
unpack_parts() {
    local tarball=$1 dir=$2 p
    shift 2
    log "unpacking $* from ${tarball##*/} ..."
    mkdir -p "$dir"
    tar -xf "$tarball" -C "$dir" --strip-components=1 \
        "${@/#/linux-source-$series/}" || die "cannot unpack $* from ${tarball##*/}"
    for p in "$@"; do
        [ -e "$dir/$p" ] || die "linux-source-$series has no $p"
    done
}

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
    unpack_parts "$tarball" "$tmp/x/usr/src/dma-buf" drivers/dma-buf "${selftest_parts[@]}"
    rm -f "$tarball"
    [ -d "$tmp/x/usr/src/linux-headers-$kver" ] || die "no usr/src/linux-headers-$kver"
    echo "$pkgver" > "$tmp/x/.complete"
    mv "$tmp/x" "$src"
    rm -rf "$tmp"
    trap - EXIT INT TERM HUP
    log "fetched in $(($(date +%s) - t0)) s"
fi

# A source cache from before the selftests were kept: linux-source again.
if [ ! -f "$parts/tools/testing/selftests/kselftest.h" ]; then
    tmp=$(mktemp -d "$cache/.fetch-src.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT INT TERM HUP
    log "downloading linux-source-$series=$pkgver for its selftests ..."
    if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download \
            "linux-source-$series=$pkgver" >&2); then
        echo "fetch-kernel-src: error: 'apt-get download' failed (no access to the Debian archive? try 'apt-get update')" >&2
        exit 3
    fi
    dpkg-deb --fsys-tarfile "$tmp"/linux-source-*.deb |
        tar -xf - -C "$tmp" "./usr/src/linux-source-$series.tar.xz" ||
        die "linux-source-$series has no usr/src/linux-source-$series.tar.xz"
    rm -f "$tmp"/linux-source-*.deb
    unpack_parts "$tmp/usr/src/linux-source-$series.tar.xz" "$tmp/parts" "${selftest_parts[@]}"
    mkdir -p "$parts/tools/testing"
    rm -rf "$parts/tools/testing/selftests"
    mv "$tmp/parts/tools/testing/selftests" "$parts/tools/testing/"
    rm -rf "$tmp"
    trap - EXIT INT TERM HUP
    log "fetched the selftests in $(($(date +%s) - t0)) s"
fi

# --- the selftests ---------------------------------------------------------
# As their Makefiles (6.1) build them, with the host's uapi headers
# (KHDR_INCLUDES), except dmabuf-heap's -static: a static program cannot
# be preloaded.
if [ ! -f "$stdest/.complete" ] || [ "$(cat "$stdest/.complete")" != "$st_recipe" ]; then
    st=$parts/tools/testing/selftests
    rm -rf "$stdest"
    mkdir -p "$stdest/include"
    ln -s "$src/usr/src/linux-headers-$abi-common/include/uapi/drm" "$stdest/include/drm"
    log "building the selftests ..."
    (cd "$st/sync" && gcc -O2 -g -std=gnu89 -pthread -Wall -o "$stdest/sync_test" \
        sync_test.c sync.c sync_alloc.c sync_fence.c sync_merge.c sync_wait.c \
        sync_stress_parallelism.c sync_stress_consumer.c sync_stress_merge.c) >&2 ||
        die "cannot build selftests/sync"
    (cd "$st/dmabuf-heaps" && gcc -O3 -Wl,-no-as-needed -Wall -D__user= \
        -I"$stdest/include" -o "$stdest/dmabuf-heap" dmabuf-heap.c) >&2 ||
        die "cannot build selftests/dmabuf-heaps"
    (cd "$st/drivers/dma-buf" && gcc -O2 -o "$stdest/udmabuf" udmabuf.c) >&2 ||
        die "cannot build selftests/drivers/dma-buf"
    rm -rf "$stdest/include"
    echo "$st_recipe" > "$stdest/.complete"
fi
if [ -f "$dest/.complete" ] && [ "$(cat "$dest/.complete")" = "$wrap_hash" ]; then
    report
    exit 0
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
for f in dma-heap.c heaps/system_heap.c sw_sync.c sync_debug.c sync_debug.h sync_trace.h \
         udmabuf.c; do
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
for m in dmabufd_kheap dmabufd_sw_sync dmabufd_udmabuf; do
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
