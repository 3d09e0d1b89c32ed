#!/bin/bash
# fetch-kernel.sh CACHE_DIR
#
# Downloads Debian's own kernel (the linux-image-<ver>-amd64 package that the
# linux-image-amd64 metapackage depends on, or $DMABUFD_VM_KVER if set),
# extracts it and copies the kernel plus the modules the VM harness needs
# (fuse, cuse, uio, uio_pci_generic and whatever they depend on) into
#
#   CACHE_DIR/<kver>/vmlinuz
#   CACHE_DIR/<kver>/config
#   CACHE_DIR/<kver>/modules/<name>.ko      (always uncompressed)
#   CACHE_DIR/<kver>/modules/load-order     (module names, dependencies first)
#   CACHE_DIR/<kver>/modules-extra/         the same for EXTRA_MODULES (vgem:
#                                           drm's dma-buf importer), which
#                                           the guest does not load by itself
#   CACHE_DIR/current                       (text file: <kver>)
#
# Idempotent: if CACHE_DIR/<kver>/.complete and modules-extra/load-order
# exist nothing is downloaded.
# Prints "kver=", "kernel=", "modules=" lines on stdout (all else on stderr).
# Exits 3 when the package cannot be downloaded (or apt names no kernel and
# nothing is cached), 1 on any other error.
#
# Needs: apt-get/apt-cache (package archive reachable), dpkg-deb, and xz /
# zstd / gzip only if the package ships compressed modules.
set -eu

die() { echo "fetch-kernel: error: $*" >&2; exit 1; }
log() { echo "fetch-kernel: $*" >&2; }

[ $# -eq 1 ] || die "usage: $0 CACHE_DIR"
cache=$1
mkdir -p "$cache" || die "cannot create cache dir $cache"
cache=$(cd "$cache" && pwd)

# Modules the guest /init loads (dependencies are added automatically).
WANTED_MODULES="fuse cuse uio uio_pci_generic"
# Modules kept for the payloads that load them themselves (tests/vm/
# guest-compat.sh: the dmabuf-heaps selftest imports into vgem).
EXTRA_MODULES="vgem"

# --- which kernel --------------------------------------------------------
if [ -n "${DMABUFD_VM_KVER:-}" ]; then
    kver=$DMABUFD_VM_KVER
else
    command -v apt-cache >/dev/null || die "apt-cache not found (need a Debian-like host, or set DMABUFD_VM_KVER and pre-fill the cache)"
    kver=$(apt-cache depends linux-image-amd64 2>/dev/null |
           sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
    if [ -z "$kver" ]; then
        # Offline fallback: reuse whatever a previous run fetched.
        if [ -f "$cache/current" ]; then
            kver=$(cat "$cache/current")
            log "apt-cache does not name a kernel; reusing cached $kver"
        else
            echo "fetch-kernel: error: 'apt-cache depends linux-image-amd64' names no linux-image-<ver>-amd64 (run apt-get update?)" >&2
            exit 3
        fi
    fi
fi
dest=$cache/$kver

# Serialise concurrent runs on the same cache (flock is in util-linux).
if command -v flock >/dev/null; then
    exec 9>"$cache/.lock"
    flock 9
fi

report() {
    echo "$kver" > "$cache/current.tmp" && mv "$cache/current.tmp" "$cache/current"
    echo "kver=$kver"
    echo "kernel=$dest/vmlinuz"
    echo "modules=$dest/modules"
    echo "modules_extra=$dest/modules-extra"
}

if [ -f "$dest/.complete" ] && [ -f "$dest/modules-extra/load-order" ]; then
    log "using cached kernel $kver in $dest"
    report
    exit 0
fi

# --- download + extract ----------------------------------------------------
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM HUP

pkg=linux-image-$kver
log "downloading $pkg ..."
# apt-get download writes into the cwd.  The sandbox option avoids the
# harmless "_apt cannot access" warning when running as root in a 0700 dir.
if ! (cd "$tmp" && apt-get -q -o APT::Sandbox::User=root download "$pkg" >&2); then
    echo "fetch-kernel: error: 'apt-get download $pkg' failed (no access to the Debian archive? stale apt lists? try 'apt-get update')" >&2
    exit 3
fi
deb=$(ls "$tmp"/*.deb 2>/dev/null | head -n 1)
[ -n "$deb" ] || die "apt-get download produced no .deb for $pkg"

log "extracting $(basename "$deb") ..."
dpkg-deb -x "$deb" "$tmp/x" || die "dpkg-deb -x $deb failed"
rm -f "$deb"

vmlinuz=$tmp/x/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || die "package has no boot/vmlinuz-$kver"
moddir=
for d in "$tmp/x/lib/modules/$kver" "$tmp/x/usr/lib/modules/$kver"; do
    [ -d "$d" ] && moddir=$d && break
done
[ -n "$moddir" ] || die "package has no lib/modules/$kver"

# Index every module file by its module name (dashes and underscores are the
# same thing to the kernel; compressed modules keep their suffix here).
index=$tmp/index
find "$moddir" -type f \( -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' -o -name '*.ko.gz' \) |
while read -r f; do
    b=${f##*/}; b=${b%%.ko*}
    printf '%s %s\n' "$(echo "$b" | tr - _)" "$f"
done > "$index"

mkdir -p "$tmp/out/modules" "$tmp/out/modules-extra"
: > "$tmp/out/modules/load-order"
: > "$tmp/out/modules-extra/load-order"
set_dir=modules   # where add_module puts modules: modules or modules-extra

# Copy one module (uncompressed) into out/$set_dir/<name>.ko.
copy_module() { # name srcfile
    local out
    out=$tmp/out/$set_dir/$1.ko
    case $2 in
        *.ko)     cp "$2" "$out" ;;
        *.ko.xz)  command -v xz >/dev/null || die "xz needed to decompress $2"
                  xz -dc "$2" > "$out" ;;
        *.ko.zst) command -v zstd >/dev/null || die "zstd needed to decompress $2"
                  zstd -q -dc "$2" > "$out" ;;
        *.ko.gz)  gzip -dc "$2" > "$out" ;;
    esac
}

# Module dependencies straight from the .modinfo section ("depends=a,b"), so
# no depmod/modinfo (kmod) is needed and modules.dep (which the package does
# not ship: depmod generates it at install time) is not needed either.
mod_depends() {
    tr '\0' '\n' < "$1" | sed -n 's/^depends=//p' | head -n 1 | tr , ' '
}

# Depth-first: dependencies land in load-order before their users. An
# extra module's dependency that the guest loads anyway is not repeated.
add_module() { # name [chain]
    local n src dep order=$tmp/out/$set_dir/load-order
    n=$(echo "$1" | tr - _)
    grep -qx "$n" "$order" "$tmp/out/modules/load-order" && return 0
    case " ${2:-} " in *" $n "*) die "module dependency cycle: ${2:-} $n" ;; esac
    src=$(awk -v n="$n" '$1 == n { print $2; exit }' "$index")
    [ -n "$src" ] || die "module $n not found in $pkg (built in? check $moddir/modules.builtin)"
    copy_module "$n" "$src"
    for dep in $(mod_depends "$tmp/out/$set_dir/$n.ko"); do
        add_module "$dep" "${2:-} $n"
    done
    grep -qx "$n" "$order" || echo "$n" >> "$order"
}

for m in $WANTED_MODULES; do
    add_module "$m"
done
set_dir=modules-extra
for m in $EXTRA_MODULES; do
    add_module "$m"
done

cp "$vmlinuz" "$tmp/out/vmlinuz"
cp "$tmp/x/boot/config-$kver" "$tmp/out/config" 2>/dev/null || true
echo "$kver" > "$tmp/out/kver"

# Into place. A cache made before modules-extra keeps what other scripts
# put beside the kernel (fetch-kernel-src.sh's src/, kmod/, selftests/).
mkdir -p "$dest"
rm -f "$dest/.complete"
rm -rf "$dest/modules" "$dest/modules-extra"
for f in "$tmp"/out/*; do
    mv -f "$f" "$dest/"
done
touch "$dest/.complete"
log "kernel $kver: modules $(tr '\n' ' ' < "$dest/modules/load-order")(extra: $(tr '\n' ' ' < "$dest/modules-extra/load-order"))"
report
