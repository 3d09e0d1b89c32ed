#!/bin/bash
# guest-systemd.sh: the booted-systemd checks, run by run-systemd.sh's
# dmabufd-vmtest.service in a VM whose PID 1 is systemd and where udevd
# runs. TAP on stdout (the second serial port), one line per check; what
# the commands print goes to stderr (the console and the journal). Ends
# with the plan and powers the VM off.
#
# /vmtest holds this script, `installing` (README.md's "Installing"
# lines but the build), sd-client, frame (README.md's kernel-ABI
# example) and pipeline (examples/pipeline, the demo), and `env` (SRC,
# BUILD: the trees, at their host paths).
set -u
. /vmtest/env
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { echo "# $*"; echo "vmtest: $*" >&2; }
# check NAME CMD...: one check; CMD's output goes to the console.
check() {
	local name=$1
	shift
	echo "vmtest: == $name: $*" >&2
	if "$@" >&2; then ok "$name"; else not_ok "$name"; fi
}
# until_true SECONDS CMD...: CMD until it succeeds, at most SECONDS.
until_true() {
	local end=$((SECONDS + $1))
	shift
	until "$@"; do
		[ $SECONDS -lt $end ] || return 1
		sleep 0.2
	done
}
finish() {
	echo "1..$n"
	diag "$failed of $n checks failed; uptime $(cut -d' ' -f1 /proc/uptime) s"
	sync
	systemctl poweroff --no-block
	exit 0
}

unit=dmabufd
conf=/usr/local/etc/dmabufd/dmabufd.conf
nodes="/dev/dma_heap/system /dev/dmabufd/dma_buf /dev/dmabufd/sync_file /dev/dmabufd/dmaengine /dev/sw_sync"
prop() { systemctl show -p "$1" --value "$unit"; }
as_member() { runuser -u vmuser -- "$@"; }
as_outsider() { runuser -u outsider -- "$@"; }
all_nodes_exist() {
	local f
	for f in $nodes; do [ -c "$f" ] || { echo "no $f" >&2; return 1; }; done
}
group_mode_is() { # GROUP MODE: every node's
	local f bad=0
	for f in $nodes; do
		echo "$(stat -c '%G %a' "$f") $f" >&2
		[ "$(stat -c '%G %a' "$f")" = "$1 $2" ] || bad=1
	done
	return $bad
}
# The daemon's journal lines as "PRIORITY MESSAGE", this boot.
journal() {
	journalctl -b -u "$unit" _COMM=dmabufd -o json --output-fields=PRIORITY,MESSAGE |
		python3 -c 'import json, sys
for l in sys.stdin:
    e = json.loads(l)
    m = e.get("MESSAGE")
    if isinstance(m, str):
        print(e.get("PRIORITY"), m)'
}
# journal_has PRIORITY REGEX: a line of the daemon with that priority.
journal_has() {
	journal | grep -E "^$1 $2" >&2
}

diag "kernel $(uname -r), $(systemctl --version | head -n 1), PID 1: $(cat /proc/1/comm)"
diag "$(systemd-analyze time 2>&1 | head -n 1)"
check "systemd is PID 1 and udevd runs" \
	sh -c '[ "$(cat /proc/1/comm)" = systemd ] && systemctl is-active systemd-udevd'
check "system reached multi-user.target" systemctl is-active multi-user.target

# --- install, the README's way ------------------------------------------------
cd "$SRC" || { not_ok "source tree at $SRC"; finish; }
while IFS= read -r line; do
	cmd=${line%%#*}
	cmd=${cmd%"${cmd##*[![:space:]]}"}
	[ -n "$cmd" ] || continue
	out=$(bash -c "$cmd" 2>&1)
	st=$?
	printf '%s\n' "$out" >&2
	if [ $st = 0 ]; then ok "README Installing: $cmd"; else not_ok "README Installing: $cmd (exit $st)"; fi
	case $cmd in
	"systemctl status $unit"*)
		# The comment beside the command says what it shows.
		want=$(printf '%s' "$line" | sed -n 's/.*# *"\(.*\)".*/\1/p')
		if [ -n "$want" ] && printf '%s\n' "$out" | grep -q "Status: \"$want"; then
			ok "systemctl status shows the status line \"$want...\""
		else
			not_ok "systemctl status shows the status line \"$want...\""
		fi ;;
	esac
done </vmtest/installing

check "the service is enabled" systemctl is-enabled "$unit"
check "the service is active" systemctl is-active "$unit"

# --- READY only once every node exists ----------------------------------------
# systemctl start returns at READY=1 (Type=notify): by then every node
# must be there. Stopped first, so the nodes are gone before the start.
systemctl stop "$unit"
check "no node left after systemctl stop" sh -c "! ls $nodes 2>/dev/null | grep ."
systemctl start "$unit"
check "systemctl start returns with every node in place" all_nodes_exist
# What an administrator relies on: a unit ordered after dmabufd starts
# only once READY=1 came, and by then finds every node.
cat >/run/systemd/system/vmtest-after-dmabufd.service <<EOF
[Unit]
Requires=$unit.service
After=$unit.service
[Service]
Type=oneshot
ExecStart=/bin/sh -c 'for f in $nodes; do test -c \$f || { echo "no \$f"; exit 1; }; done'
EOF
systemctl daemon-reload
systemctl stop "$unit"
check "a unit ordered after dmabufd finds every node when it starts" \
	systemctl start vmtest-after-dmabufd.service
check "Type=notify: READY reached, the main process is the daemon" \
	sh -c "[ \"\$(systemctl show -p Type --value $unit)\" = notify ] && [ \"\$(cat /proc/\$(systemctl show -p MainPID --value $unit)/comm)\" = dmabufd ]"

# --- the live STATUS= line ----------------------------------------------------
st=$(prop StatusText)
diag "StatusText: $st"
check "status line at rest" sh -c "case '$st' in 'serving 5 nodes over cuse; 0 buffers'*) ;; *) exit 1;; esac"

# --- udevd: group and mode ----------------------------------------------------
useradd -m -G video vmuser && useradd -m outsider
check "the nodes are group video, mode 0660" group_mode_is video 660
check "udevd knows the nodes (udev database)" \
	sh -c 'for d in /sys/class/cuse/*; do udevadm info -q property -p "$d" | grep -q "^DEVNAME=" || exit 1; done; ls /sys/class/cuse | grep -c . | grep -qx 5'
# Take group and mode away, ask udevd to apply the rules again.
for f in $nodes; do chgrp root "$f"; chmod 0600 "$f"; done
udevadm trigger --action=change --settle /sys/class/cuse/*
check "udevd applies the rules' group and mode to the CUSE nodes" group_mode_is video 660

# --- a member of the group uses every node; an outsider is refused -------------
check "a member of video uses every node through libdmabufd" as_member /vmtest/sd-client use
check "a member of video runs the README's kernel-ABI program under dmabufd-run" \
	as_member dmabufd-run /vmtest/frame
check "a user outside video is refused every node (EACCES)" as_outsider /vmtest/sd-client refused
# frame's open of /dev/dma_heap/system fails, and frame says so (perror).
refused_frame() {
	local out st
	out=$(runuser -u outsider -- dmabufd-run /vmtest/frame 2>&1)
	st=$?
	printf '%s\n' "$out"
	[ $st != 0 ] && printf '%s\n' "$out" | grep -qx 'dma_heap: Permission denied'
}
check "a user outside video running the kernel-ABI program under dmabufd-run gets EACCES" \
	refused_frame

# The status line follows what clients hold.
as_member /vmtest/sd-client wait 60000 >/tmp/hold.out 2>&1 &
holder=$!
until_true 20 grep -q waiting /tmp/hold.out
check "the status line follows the live counts (1 fence, 1 timeline)" \
	until_true 20 sh -c "systemctl show -p StatusText --value $unit | grep -q '1 fences, 1 timelines'"
# --full: not cut at the terminal's width (the line is long); retried, as
# the line follows the counts a moment after they change.
check "systemctl status shows the live status line" \
	until_true 20 sh -c "systemctl status --full --no-pager $unit | grep 'Status: \"serving 5 nodes over cuse; 0 buffers (0 B), 1 fences, 1 timelines'"
kill "$(sed -n 's/^waiting pid //p' /tmp/hold.out)"
wait "$holder" 2>/dev/null
check "the status line goes back once the client has gone" \
	until_true 20 sh -c "systemctl show -p StatusText --value $unit | grep -q '0 fences, 0 timelines'"

# --- systemctl reload ---------------------------------------------------------
cp "$conf" /tmp/conf.orig
sed -i 's/^mode = 0660$/mode = 0666/' "$conf"
systemctl reload "$unit"
check "systemctl reload applies a changed mode (0666)" until_true 20 group_mode_is video 666
check "journal: the reload at notice" until_true 10 journal_has 5 'reload: done \(1 changed, 0 need a restart\)'
check "an outsider uses the nodes once they are 0666" as_outsider /vmtest/sd-client use
printf '[daemon]\nno-such-key = 1\n' >>"$conf"
systemctl reload "$unit"
check "journal: a configuration with errors refused at err" \
	until_true 20 journal_has 3 'reload: .* refused; the running configuration stays'
check "the service stays active after a refused reload" systemctl is-active "$unit"
cp /tmp/conf.orig "$conf"
systemctl reload "$unit"
check "systemctl reload applies the mode back (0660)" until_true 20 group_mode_is video 660

# --- the watchdog -------------------------------------------------------------
diag "WatchdogUSec=$(prop WatchdogUSec)"
check "the unit's watchdog is 30 s" sh -c "[ \"\$(systemctl show -p WatchdogUSec --value $unit)\" = 30s ]"
pid=$(prop MainPID)
restarts=$(prop NRestarts)
as_member /vmtest/sd-client wait 120000 >/tmp/wd.out 2>&1 &
waiter=$!
until_true 20 grep -q waiting /tmp/wd.out
kill -STOP "$pid"
t0=$SECONDS
check "a daemon frozen with SIGSTOP is restarted by the watchdog" \
	until_true 90 sh -c "[ \"\$(systemctl show -p MainPID --value $unit)\" != $pid ] && [ \"\$(systemctl show -p MainPID --value $unit)\" != 0 ] && systemctl is-active -q $unit"
diag "restarted after $((SECONDS - t0)) s; NRestarts $restarts -> $(prop NRestarts)"
check "NRestarts counts the restart" sh -c "[ $(prop NRestarts) = $((restarts + 1)) ]"
check "systemd logged the watchdog timeout" \
	sh -c "journalctl -b -u $unit | grep -i 'watchdog timeout'"
until_true 20 grep -q '^wait:' /tmp/wd.out
diag "the waiter of the frozen daemon: $(tr '\n' ' ' </tmp/wd.out)"
# The kernel ends the calls pending in a CUSE server that died with
# ECONNABORTED (fuse_abort_conn()).
check "the waiter of the frozen daemon gets ECONNABORTED" grep -qx 'wait: error ECONNABORTED' /tmp/wd.out
wait "$waiter" 2>/dev/null
check "after the watchdog restart, every node works again" as_member /vmtest/sd-client use

# --- systemctl stop with a transfer running and a waiter blocked --------------
# Transfers of 3 s (the mock's delay), within the stop's grace for
# running transfers (stop-timeout-ms, 5 s).
sed -i 's/^delay-ms = 0$/delay-ms = 3000/' "$conf"
systemctl restart "$unit"
as_member /vmtest/sd-client xfer 60000 >/tmp/xfer.out 2>&1 &
xfer=$!
as_member /vmtest/sd-client wait 60000 >/tmp/wait.out 2>&1 &
waiter=$!
until_true 20 grep -q queued /tmp/xfer.out
until_true 20 grep -q waiting /tmp/wait.out
check "systemctl stop with a transfer running and a waiter blocked" systemctl stop "$unit"
check "the daemon ended cleanly (exit 0, Result=success)" \
	sh -c "[ \"\$(systemctl show -p Result --value $unit)\" = success ] && [ \"\$(systemctl show -p ExecMainStatus --value $unit)\" = 0 ]"
wait "$xfer" "$waiter" 2>/dev/null
diag "transfer: $(tr '\n' ' ' </tmp/xfer.out); waiter: $(tr '\n' ' ' </tmp/wait.out)"
check "the running transfer completed" grep -qx 'xfer: done, bytes ok' /tmp/xfer.out
# Its timeline's file is released at the stop: its fences signal with
# ENOENT, as the kernel's sw_sync does when a timeline goes.
check "the blocked waiter got its reply: signaled with ENOENT" grep -qx 'wait: signaled status -2 (ENOENT)' /tmp/wait.out
check "journal: the stop at notice" journal_has 5 'Terminated: shutting down'
cp /tmp/conf.orig "$conf"

# --- the journal --------------------------------------------------------------
journal >/tmp/journal.txt
sed 's/^/vmtest: journal: /' /tmp/journal.txt >&2
check "journal: the ready line at info" grep -qE '^6 dmabufd: ready \(transport cuse' /tmp/journal.txt
check "journal: no line carries a raw <N> prefix" sh -c '! grep -E "^[0-9] <[0-7]>" /tmp/journal.txt'

# --- the FUSE fallback drop-in, as the unit's comments write it ----------------
installed_unit=$(systemctl show -p FragmentPath --value "$unit")
mkdir -p /etc/systemd/system/$unit.service.d
awk '/^#   \[Service\]$/ { s = 1 } s && !/^#   / { exit } s { sub(/^#   /, ""); print }' "$installed_unit" \
	>/etc/systemd/system/$unit.service.d/override.conf
cat /etc/systemd/system/$unit.service.d/override.conf >&2
systemctl daemon-reload
check "the FUSE drop-in: systemctl start" systemctl start "$unit"
check "the FUSE drop-in: serving over fuse" \
	sh -c "systemctl show -p StatusText --value $unit | grep -q 'over fuse'"
check "the FUSE drop-in: the files are visible outside the service" \
	test -e /run/dmabufd/dev/dmabufd/dma_buf
check "the FUSE drop-in: a member of video uses every node" as_member /vmtest/sd-client use
check "the FUSE drop-in: an outsider is refused" as_outsider /vmtest/sd-client refused
check "the FUSE drop-in: systemctl stop unmounts" \
	sh -c "systemctl stop $unit && ! grep -q ' /run/dmabufd/dev ' /proc/self/mounts"
rm -r /etc/systemd/system/$unit.service.d
systemctl daemon-reload
systemctl start "$unit"

# --- the demo through the installed service ------------------------------------
check "the demo (examples/pipeline) as a member of video against /dev" as_member /vmtest/pipeline
check "dmabufctl stats as a member of video" as_member dmabufctl stats

# --- buffers and fences out to the kernel, from inside the sandbox ------------
# The kernel's own udmabuf and sw_sync (Debian's kernel has neither; built
# by fetch-kernel-src.sh), loaded before the start as an administrator's
# modules would be: the unit resolves its DeviceAllow= paths at start.
if [ -d /vmtest/kmod ] && insmod /vmtest/kmod/dmabufd_udmabuf.ko &&
	insmod /vmtest/kmod/dmabufd_sw_sync.ko; then
	systemctl restart "$unit"
	check "the kernel's /dev/udmabuf and debugfs sw_sync are there" \
		test -c /dev/udmabuf -a -e /sys/kernel/debug/sync/sw_sync
	as_member /vmtest/sd-client kexport >/tmp/kexport.out 2>&1
	cat /tmp/kexport.out >&2
	check "a buffer goes out to the kernel as a udmabuf dma-buf" grep -qx 'ok buffer out' /tmp/kexport.out
	check "a fence goes out to the kernel as a sw_sync sync_file" grep -qx 'ok fence out' /tmp/kexport.out
else
	n=$((n + 1)); echo "ok $n - a buffer goes out to the kernel # SKIP no udmabuf/sw_sync modules"
	n=$((n + 1)); echo "ok $n - a fence goes out to the kernel # SKIP no udmabuf/sw_sync modules"
fi

# --- the sandbox's score ------------------------------------------------------
score=$(systemd-analyze security "$unit" 2>/dev/null | tail -n 1)
diag "systemd-analyze security: $score"
check "systemd-analyze security reports the score" sh -c "echo '$score' | grep -q 'Overall exposure level'"

finish
