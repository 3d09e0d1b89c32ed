#!/usr/bin/env bash
# SIGHUP reloads the configuration file. A private daemon (FUSE, its own
# device root and control socket under a temporary directory) runs with
# --config=FILE; then:
#
#   1. the file changes log-level, token-ttl-ms, the system heap's limit,
#      the nodes' mode (all live) and the transport (not live): SIGHUP
#      logs each live key with its new value, says the transport needs a
#      restart, and counts them; the limit and the mode take effect (seen
#      through dmabufctl and stat);
#   2. the file gets an error: SIGHUP logs FILE:LINE: reason and refuses
#      it, and the daemon runs on as it was: its nodes are there, it
#      answers on the control socket, the limit is the one of step 1;
#   3. SIGTERM: exit status 0, nothing left mounted.
#
#   reload.sh [DMABUFD [DMABUFCTL]]   (defaults: $DMABUFD, $DMABUFCTL)
#
# Run directly by meson (suite 'integration'), not through run.sh.
set -uo pipefail

daemon=${1:-${DMABUFD:-}}
ctl_tool=${2:-${DMABUFCTL:-}}
. "$(dirname "$0")/lib.sh"
itest_init reload.sh reload 3

[ -n "$daemon" ] && [ -x "$daemon" ] || fail "no daemon (pass it or set DMABUFD)"
[ -n "$ctl_tool" ] && [ -x "$ctl_tool" ] || fail "no dmabufctl (set DMABUFCTL)"

ctl=$tmp/run/control
conf=$tmp/dmabufd.conf
log=$tmp/daemon.log

# write_conf TRANSPORT LOG_LEVEL TTL LIMIT MODE
write_conf() {
	cat >"$conf.new" <<-EOF
	[daemon]
	transport = $1
	log-level = $2
	token-ttl-ms = $3

	[nodes]
	mode = $5

	[heap:system]
	limit = $4

	[dma]
	backend = none
	EOF
	mv "$conf.new" "$conf"
}

# wait_log N TEXT: until the log has at least N lines holding TEXT.
wait_log() {
	for _ in $(seq 100); do
		[ "$(grep -cF -- "$2" "$log")" -ge "$1" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "the daemon died"
		sleep 0.05
	done
	fail "no '$2' in the log"
}

# has_log TEXT: the log holds TEXT.
has_log() {
	grep -qF -- "$1" "$log" || fail "no '$1' in the log"
}

limit() {
	"$ctl_tool" --control "$ctl" heaps | awk '$1 == "system" { print $4 }'
}

write_conf fuse notice 10000 0 0660
itest_start "$log" "$daemon" --config="$conf" --dev-root="$root" --control="$ctl"
pid=$itest_pid
itest_wait_ready "$log" "$pid"
[ -e "$root/dmabufd/dma_buf" ] || fail "no node dmabufd/dma_buf"
# dmabufctl shows no limit as "-"
[ "$(limit)" = - ] || fail "system heap limit $(limit) at start, not none"

# 1. live keys and one that needs a restart
write_conf auto info 2500 64M 0640
kill -HUP "$pid"
wait_log 1 "reload: done"
has_log "reload: reading $conf"
has_log "reload: transport cannot change while running; restart dmabufd"
has_log "reload: token-ttl-ms = 2500"
has_log "reload: log-level = info"
has_log "reload: mode = 0640"
has_log "reload: [heap:system] limit = 67108864"
has_log "reload: done (4 changed, 1 need a restart)"
[ "$(limit)" = 67108864 ] || fail "system heap limit $(limit) after reload, not 64M"
mode=$(stat -c %a "$root/sw_sync")
[ "$mode" = 640 ] || fail "sw_sync has mode $mode after reload, not 640"
echo "ok - reload applies live keys and names the one needing a restart"

# 2. a broken file is refused; the daemon runs on
write_conf auto loud 2500 1M 0640
kill -HUP "$pid"
wait_log 1 "refused; the running configuration stays"
has_log "$conf:3: bad value \"loud\" for log-level: expected err, warning, notice, info or debug"
kill -0 "$pid" 2>/dev/null || fail "the daemon died on a bad reload"
[ -e "$root/dmabufd/dma_buf" ] && [ -e "$root/dma_heap/system" ] ||
	fail "nodes gone after a refused reload"
[ "$(limit)" = 67108864 ] || fail "a refused reload changed the limit to $(limit)"
echo "ok - a broken file on SIGHUP is refused with file:line, the daemon runs on"

# 3. stop, with SIGHUPs raining on it until it is gone: a signal that
# arrives while the daemon tears down (its uv_signal handles closed) must
# not kill it before it cleaned up.
# (Builtins only in the loop, so the signals come fast; it ends when the
# daemon is a zombie, or after 10 s.)
kill -TERM "$pid"
end=$((SECONDS + 10))
while [ $SECONDS -lt $end ]; do
	kill -HUP "$pid" 2>/dev/null || break
	{ read -r _; read -r _; read -r _ state _; } <"/proc/$pid/status" || break
	[ "$state" = Z ] && break
done
itest_await_exit "$pid"
itest_mounted && fail "$root still mounted after exit"
echo "ok - SIGTERM after reloads exits 0, SIGHUPs during the teardown or not"
