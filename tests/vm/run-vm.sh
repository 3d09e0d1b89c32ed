#!/bin/bash
# run-vm.sh - run test programs inside a throw-away QEMU VM (TCG, no KVM)
# that boots Debian's own kernel with fuse, cuse, uio and uio_pci_generic
# loaded, so that real CUSE/UIO character devices exist.
#
# Host packages needed (Debian/Ubuntu):
#   apt-get install qemu-system-x86 busybox-static cpio
# plus coreutils, apt/dpkg (fetch-kernel.sh), libc-bin (ldd), and xz-utils /
# zstd only if the kernel package ships compressed modules.
#
# Usage:
#   run-vm.sh [OPTIONS] -- COMMAND [ARG...]
#
# COMMAND runs in the guest as root, with cwd /payload and
# PATH=/payload:/sbin:/usr/sbin:/bin:/usr/bin, stdin from /dev/null, stdout
# and stderr on the serial console.  The guest userland is busybox (sh and
# its applets); COMMAND may be a payload program, a payload script
# ("smoke.sh" or "sh smoke.sh") or a busybox applet.
#
# Options:
#   --payload DIR      copy DIR (recursively) to /payload in the guest; every
#                      executable ELF file in it brings its shared libraries
#                      (found with ldd; system libraries and the dynamic
#                      loader keep their paths, others go to /vmlib/<dir>
#                      and LD_LIBRARY_PATH).  Optional.
#   --cache DIR        kernel cache, filled by fetch-kernel.sh when needed.
#                      Default: $DMABUFD_VM_CACHE, else
#                      ${XDG_CACHE_HOME:-$HOME/.cache}/dmabufd-vm
#   --timeout SECS     time limit for COMMAND inside the guest (default 300).
#                      The host kills qemu after SECS + boot timeout.
#   --boot-timeout S   extra host-side allowance for boot/shutdown (default 60)
#   --edu              add QEMU's edu PCI device (1234:11e8), bound to
#                      uio_pci_generic => /dev/uio0, /sys/class/uio/uio0.
#                      Sets DMABUFD_VM_EDU=1 in COMMAND's environment.
#   --mem MB           guest RAM (default 512)
#   --smp N            guest CPUs (default 1: under TCG a second vCPU makes
#                      cross-process round trips 2-3x slower and noisier)
#   --env NAME=VALUE   export NAME=VALUE to COMMAND (repeatable)
#   --host-file PATH   also copy host file PATH (plus its shared libraries) to
#                      the same path in the guest, e.g. /usr/bin/fusermount3
#                      (repeatable)
#   --append ARGS      extra kernel command line arguments
#   --qemu-arg ARG     extra qemu argument (repeatable; later -cpu/-m/... win)
#   --log FILE         write the console log to FILE (default: temp file)
#   --quiet            do not stream the console; print it only on failure
#   -h, --help         this text
#
# Exit status: COMMAND's exit status as reported by the guest, or
#   124  host-side timeout (qemu killed)
#   125  no end marker seen (guest crashed/panicked, init failed, ...) or
#        guest setup failed (module load, edu binding)
#   2    usage or host setup error
# A COMMAND killed by the guest-side timeout reports 143 (SIGTERM) or 137.
#
# Environment seen by COMMAND: DMABUFD_VM=1, DMABUFD_VM_EDU=0|1,
# DMABUFD_VM_KVER=<kernel version>, plus --env values.
#
# Example:
#   tests/vm/run-vm.sh --payload build/vm-payload --edu --timeout 120 -- ./smoke.sh
set -eu

prog=run-vm
die() { echo "$prog: error: $*" >&2; exit 2; }
log() { echo "$prog: $*" >&2; }
usage() { sed -n '2,/^set -eu$/{/^set -eu$/d;s/^# \{0,1\}//;p}' "$0"; exit "${1:-0}"; }

here=$(cd "$(dirname "$0")" && pwd)

payload=
cache=${DMABUFD_VM_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/dmabufd-vm}
timeout_s=300
boot_timeout=60
edu=0
mem=512
smp=1
append=
logfile=
quiet=0
envs=()
host_files=()
qemu_extra=()

need_arg() { [ $# -ge 2 ] || die "option $1 needs an argument (see --help)"; }
while [ $# -gt 0 ]; do
    case $1 in
        --payload)      need_arg "$@"; payload=$2; shift 2 ;;
        --cache)        need_arg "$@"; cache=$2; shift 2 ;;
        --timeout)      need_arg "$@"; timeout_s=$2; shift 2 ;;
        --boot-timeout) need_arg "$@"; boot_timeout=$2; shift 2 ;;
        --edu)          edu=1; shift ;;
        --mem)          need_arg "$@"; mem=$2; shift 2 ;;
        --smp)          need_arg "$@"; smp=$2; shift 2 ;;
        --env)          need_arg "$@"; envs+=("$2"); shift 2 ;;
        --host-file)    need_arg "$@"; host_files+=("$2"); shift 2 ;;
        --append)       need_arg "$@"; append="$append $2"; shift 2 ;;
        --qemu-arg)     need_arg "$@"; qemu_extra+=("$2"); shift 2 ;;
        --log)          need_arg "$@"; logfile=$2; shift 2 ;;
        --quiet)        quiet=1; shift ;;
        -h|--help)      usage 0 ;;
        --)             shift; break ;;
        *)              die "unknown option '$1' (the command goes after --; see --help)" ;;
    esac
done
[ $# -gt 0 ] || die "no command given (usage: $0 [OPTIONS] -- COMMAND [ARG...])"

isnum() { case $1 in ''|*[!0-9]*) return 1 ;; esac; }
for v in "$timeout_s" "$boot_timeout" "$mem" "$smp"; do
    isnum "$v" || die "'$v' is not a number"
done
if [ -n "$payload" ]; then
    [ -d "$payload" ] || die "payload dir '$payload' does not exist"
    payload=$(cd "$payload" && pwd)
fi
for e in ${envs[@]+"${envs[@]}"}; do
    case $e in
        [A-Za-z_]*=*) n=${e%%=*}; case $n in *[!A-Za-z0-9_]*) die "bad --env '$e'" ;; esac ;;
        *) die "bad --env '$e' (want NAME=VALUE)" ;;
    esac
done

# --- host tools --------------------------------------------------------------
qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" >/dev/null || die "$qemu not found (apt-get install qemu-system-x86)"
command -v cpio >/dev/null || die "cpio not found (apt-get install cpio)"
command -v ldd >/dev/null || die "ldd not found (apt-get install libc-bin)"
command -v timeout >/dev/null || die "timeout not found (coreutils)"
busybox=${DMABUFD_VM_BUSYBOX:-}
if [ -z "$busybox" ]; then
    for b in /bin/busybox /usr/bin/busybox; do [ -x "$b" ] && busybox=$b && break; done
fi
[ -n "$busybox" ] && [ -x "$busybox" ] || die "busybox not found (apt-get install busybox-static)"

# --- kernel --------------------------------------------------------------------
fetch_out=$("$here/fetch-kernel.sh" "$cache") || die "fetch-kernel.sh failed (see above)"
kver=$(echo "$fetch_out" | sed -n 's/^kver=//p')
kernel=$(echo "$fetch_out" | sed -n 's/^kernel=//p')
moddir=$(echo "$fetch_out" | sed -n 's/^modules=//p')
[ -f "$kernel" ] && [ -f "$moddir/load-order" ] || die "kernel cache $cache is incomplete; delete it and retry"

# --- temp dir + cleanup --------------------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/dmabufd-vm.XXXXXX")
qemu_pid=
tail_pid=
cleanup() {
    [ -n "$qemu_pid" ] && kill "$qemu_pid" 2>/dev/null || true
    [ -n "$tail_pid" ] && kill "$tail_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,run,tmp,root,payload,lib/modules/"$kver"}
chmod 1777 "$root/tmp"

# --- initramfs contents ------------------------------------------------------
libdirs=" "
is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' \n')" = '177ELF' ]; }

# Copy the shared libraries (and loader) that host file $1 needs into $root.
copy_libs() {
    local f=$1 out lib dir dest
    is_elf "$f" || return 0
    # "not a dynamic executable" => ldd fails; nothing to copy.
    out=$(ldd "$f" 2>/dev/null) || return 0
    if echo "$out" | grep -q '=> not found'; then
        die "$f needs libraries ldd cannot find: $(echo "$out" | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')"
    fi
    for lib in $(echo "$out" | awk '$2 == "=>" && $3 ~ /^\// { print $3; next }
                                    $1 ~ /^\// { print $1 }'); do
        # System libraries and the loader keep their path.  Others (build
        # trees, /tmp, ...) go under /vmlib/<original dir> -- /tmp and /run
        # are tmpfs in the guest -- and are found through LD_LIBRARY_PATH.
        dir=$(dirname "$lib")
        case $dir in
            /lib|/lib64|/usr/lib|/lib/x86_64-linux-gnu|/usr/lib/x86_64-linux-gnu) ;;
            *) dir=/vmlib$dir
               case $libdirs in *" $dir "*) ;; *) libdirs="$libdirs$dir " ;; esac ;;
        esac
        dest=$dir/${lib##*/}
        [ -e "$root$dest" ] && continue
        mkdir -p "$root$dir"
        cp -L "$lib" "$root$dest" || die "cannot copy $lib (needed by $f)"
    done
}

# busybox (static from busybox-static; if it is dynamic its libs come along).
# /init creates the applet symlinks with "busybox --install -s" (forking
# ln ~270 times here would cost more than the whole guest setup).
cp -L "$busybox" "$root/bin/busybox"
copy_libs "$busybox"
ln -s busybox "$root/bin/sh"

# payload
if [ -n "$payload" ]; then
    cp -a "$payload/." "$root/payload/"
    while IFS= read -r -d '' f; do
        copy_libs "$f"
    done < <(find "$payload" -type f -perm /111 -print0)
fi
for f in ${host_files[@]+"${host_files[@]}"}; do
    [ -e "$f" ] || die "--host-file $f does not exist"
    case $f in /*) ;; *) die "--host-file needs an absolute path: $f" ;; esac
    mkdir -p "$root$(dirname "$f")"
    cp -L "$f" "$root$f"
    copy_libs "$f"
done

# modules
cp "$moddir"/*.ko "$moddir/load-order" "$root/lib/modules/$kver/"

# minimal /etc
echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
echo 'root:x:0:' > "$root/etc/group"
ln -s /proc/self/mounts "$root/etc/mtab"
echo dmabufd-vm > "$root/etc/hostname"

# guest configuration, sourced by /init
shq() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
token=$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')
marker="DMABUFD-VM-END-$token"
{
    echo "VM_MARKER=$(shq "$marker")"
    echo "VM_TIMEOUT=$timeout_s"
    echo "VM_EDU=$edu"
    echo "VM_KVER=$(shq "$kver")"
    cmd=
    for a in "$@"; do cmd="$cmd $(shq "$a")"; done
    echo "VM_CMD=$(shq "$cmd")"
    # shellcheck disable=SC2086 # unquoted on purpose: trims the spaces
    libdirs=$(echo $libdirs | tr ' ' ':')
    [ -n "$libdirs" ] && echo "export LD_LIBRARY_PATH=$(shq "$libdirs")"
    for e in ${envs[@]+"${envs[@]}"}; do
        echo "export ${e%%=*}=$(shq "${e#*=}")"
    done
} > "$root/etc/vm.conf"

cat > "$root/init" <<'EOF'
#!/bin/busybox sh
# Generated by tests/vm/run-vm.sh: PID 1 of the test VM.
/bin/busybox --install -s   # applet symlinks; existing files are kept
export PATH=/payload:/sbin:/usr/sbin:/bin:/usr/bin
export HOME=/root
mount -t devtmpfs devtmpfs /dev
exec </dev/null >/dev/console 2>&1
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
mount -t tmpfs tmpfs /tmp
hostname -F /etc/hostname
ip link set lo up 2>/dev/null
. /etc/vm.conf

finish() {
    echo
    echo "$VM_MARKER status=$1"
    sync
    poweroff -f
    sleep 10   # if poweroff fails, init exits => panic => qemu exits (-no-reboot)
    exit 1
}
setup_failed() { echo "vm-init: setup failed: $*"; finish 125; }

for m in $(cat /lib/modules/$VM_KVER/load-order); do
    insmod /lib/modules/$VM_KVER/$m.ko || setup_failed "insmod $m"
done

# Bind QEMU's edu device (1234:11e8) to uio_pci_generic when it is present.
edu_dev=
for d in /sys/bus/pci/devices/*; do
    [ "$(cat $d/vendor 2>/dev/null)" = 0x1234 ] && [ "$(cat $d/device 2>/dev/null)" = 0x11e8 ] && edu_dev=$d
done
if [ -n "$edu_dev" ]; then
    echo "1234 11e8" > /sys/bus/pci/drivers/uio_pci_generic/new_id || setup_failed "uio_pci_generic new_id"
    i=0
    while [ ! -e /sys/class/uio/uio0 ] || [ ! -c /dev/uio0 ]; do
        i=$((i + 1)); [ $i -le 50 ] || setup_failed "edu device ${edu_dev##*/} did not show up as /dev/uio0"
        sleep 0.1
    done
elif [ "$VM_EDU" = 1 ]; then
    setup_failed "--edu given but no 1234:11e8 PCI device found"
fi

export DMABUFD_VM=1 DMABUFD_VM_EDU=$VM_EDU DMABUFD_VM_KVER=$VM_KVER
cd /payload
eval "set -- $VM_CMD"
echo "vm-init: kernel $VM_KVER up $(cut -d' ' -f1 /proc/uptime)s, modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
echo "vm-init: running:$VM_CMD (timeout ${VM_TIMEOUT}s)"
start=$(cut -d. -f1 /proc/uptime)
timeout -s TERM -k 5 "$VM_TIMEOUT" "$@"
status=$?
end=$(cut -d. -f1 /proc/uptime)
if [ $((end - start)) -ge "$VM_TIMEOUT" ] && [ $status -ge 128 ]; then
    echo "vm-init: command timed out after ${VM_TIMEOUT}s (status $status)"
fi
echo "vm-init: command exited with status $status after $((end - start))s"
finish $status
EOF
chmod 755 "$root/init"

initrd=$work/initrd.cpio
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) > "$initrd" ||
    die "cpio failed"

# --- boot ----------------------------------------------------------------------
[ -n "$logfile" ] || logfile=$work/console.log
: > "$logfile" || die "cannot write log file $logfile"
qemu_args=(
    -accel tcg -m "$mem" -smp "$smp"
    -nodefaults -display none -no-reboot
    -kernel "$kernel" -initrd "$initrd"
    -append "console=ttyS0 quiet panic=-1 $append"
    -chardev "file,id=con,path=$logfile" -serial chardev:con
)
[ "$edu" = 1 ] && qemu_args+=(-device edu)
qemu_args+=(${qemu_extra[@]+"${qemu_extra[@]}"})
total=$((timeout_s + boot_timeout))

log "kernel $kver, initramfs $(($(stat -c %s "$initrd") / 1024)) KiB, timeout ${timeout_s}s (+${boot_timeout}s boot), edu=$edu"
t0=$(date +%s.%N)
timeout -k 5 "$total" "$qemu" "${qemu_args[@]}" </dev/null &
qemu_pid=$!
if [ "$quiet" = 0 ]; then
    tail -n +1 -s 0.2 -f --pid="$qemu_pid" "$logfile" | tr -d '\r' &
    tail_pid=$!
fi
qemu_status=0
wait "$qemu_pid" || qemu_status=$?
qemu_pid=
if [ -n "$tail_pid" ]; then
    wait "$tail_pid" || true
    tail_pid=
fi
t1=$(date +%s.%N)
elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')

keep_hint=" (console log: $logfile)"
case $logfile in "$work"/*) keep_hint=" (use --log FILE to keep the console log)" ;; esac
show_log() { [ "$quiet" = 1 ] && tr -d '\r' < "$logfile" >&2; return 0; }

if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
    show_log
    log "FAIL: host timeout: qemu killed after ${total}s (guest hung or boot too slow)$keep_hint"
    exit 124
fi
status=$(tr -d '\r' < "$logfile" | sed -n "s/^.*$marker status=\([0-9][0-9]*\).*$/\1/p" | tail -n 1)
if [ -z "$status" ]; then
    show_log
    log "FAIL: no end marker in the console log (guest panic or init failure?), qemu status $qemu_status, ${elapsed}s$keep_hint"
    exit 125
fi
if [ "$status" = 0 ]; then
    log "PASS: command exited 0 (${elapsed}s total)"
else
    show_log
    if grep -q '^vm-init: setup failed' "$logfile"; then
        log "FAIL: guest setup failed (${elapsed}s total)"
    else
        log "FAIL: command exited with status $status (${elapsed}s total)"
    fi
fi
exit "$status"
