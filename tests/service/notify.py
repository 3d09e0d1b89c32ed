#!/usr/bin/env python3
"""dmabufd speaks systemd's notify protocol (sd_notify(3)).

    notify.py DMABUFD

Plays systemd: binds a datagram socket, starts the daemon on the FUSE
fallback (a private device root and control socket) with NOTIFY_SOCKET
naming it and WATCHDOG_USEC=2000000 (WATCHDOG_PID unset, so the watchdog
is the daemon's whatever its pid), and checks:

  - READY=1 arrives, and only once every node exists;
  - it carries STATUS=serving N nodes over fuse and the live counts,
    all 0;
  - the counts in STATUS= follow what clients hold: an open sw_sync
    timeline shows within 10 s (the summary is looked at every 2 s and
    sent when it changed), and goes when it is closed;
  - at least two WATCHDOG=1 follow it, about a second apart (half the
    interval), not a burst;
  - SIGHUP with a broken configuration file brings RELOADING=1, a STATUS
    saying the reload was refused, and READY=1; SIGHUP with the file
    mended brings RELOADING=1 and READY=1 with the serving status back;
  - SIGTERM brings STOPPING=1, and the daemon exits 0.

Exits 0 on success, 1 on failure, 77 (skip) when the daemon was built
without libsystemd (DMABUFD_HAVE_LIBSYSTEMD=0 in the environment).
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

WATCHDOG_USEC = 2000000
NODES = ["dma_heap/system", "dmabufd/dma_buf", "dmabufd/sync_file",
         "sw_sync", "dmabufd/dmaengine"]


class Failure(Exception):
    pass


def receive(sock, deadline):
    """The next message as a list of (key, value), or None at deadline."""
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    sock.settimeout(left)
    try:
        data = sock.recv(4096)
    except socket.timeout:
        return None
    pairs = []
    for line in data.decode("utf-8", "replace").split("\n"):
        if line:
            key, _, value = line.partition("=")
            pairs.append((key, value))
    return pairs


def is_mounted(path):
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] == path for line in f)


def run(daemon, tmp):
    notify_path = os.path.join(tmp, "notify")
    root = os.path.join(tmp, "dev")
    control = os.path.join(tmp, "control")
    log_path = os.path.join(tmp, "daemon.log")
    os.mkdir(root)

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(notify_path)

    conf = os.path.join(tmp, "dmabufd.conf")
    with open(conf, "w") as f:
        f.write(GOOD_CONF)
    args = [daemon, "--transport=fuse", "--dev-root=" + root,
            "--control=" + control, "--config=" + conf]
    env = dict(os.environ, NOTIFY_SOCKET=notify_path,
               WATCHDOG_USEC=str(WATCHDOG_USEC))
    env.pop("WATCHDOG_PID", None)

    log = open(log_path, "w")
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=log)
    try:
        check(proc, sock, root, conf)
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if is_mounted(root):
            subprocess.run(["fusermount3", "-u", "-z", root])
        sock.close()


GOOD_CONF = "[dma]\nbackend = mock\n"
# STATUS= of an idle daemon serving N nodes.
IDLE = ("serving %d nodes over fuse; 0 buffers (0 B), 0 fences, "
        "0 timelines, 0 open files, 0 DMA transfers")
BAD_CONF = "[dma]\nbackend = mock\nbogus = 1\n"


def until(sock, deadline, want, what):
    """Messages until one holds the pair @want; returns every pair seen
    on the way, merged into a dict (later values win)."""
    seen = {}
    while True:
        msg = receive(sock, deadline)
        if msg is None:
            raise Failure("no %s=%s %s" % (want[0], want[1], what))
        print("received:", msg)
        seen.update(dict(msg))
        if want in msg:
            return seen


def reload(proc, sock, conf, text, what):
    """Write @text to @conf, SIGHUP: RELOADING=1, then READY=1. Returns
    what came from RELOADING=1 to READY=1, merged."""
    with open(conf, "w") as f:
        f.write(text)
    proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 15
    until(sock, deadline, ("RELOADING", "1"), "after SIGHUP (%s)" % what)
    return until(sock, deadline, ("READY", "1"),
                 "after RELOADING=1 (%s)" % what)


def check(proc, sock, root, conf):
    # READY=1, and the nodes exist when it comes.
    deadline = time.monotonic() + 30
    ready = None
    while ready is None:
        msg = receive(sock, deadline)
        if msg is None:
            raise Failure("no READY=1 within 30 s (daemon %s)" %
                          ("running" if proc.poll() is None
                           else "exited %d" % proc.returncode))
        print("received:", msg)
        if ("READY", "1") in msg:
            missing = [n for n in NODES
                       if not os.path.exists(os.path.join(root, n))]
            if missing:
                raise Failure("READY=1 before the nodes exist: missing %s"
                              % ", ".join(missing))
            ready = dict(msg)
        elif ("STOPPING", "1") in msg:
            raise Failure("STOPPING=1 before READY=1")
    status = ready.get("STATUS", "")
    if status != IDLE % len(NODES):
        raise Failure("READY=1 came with STATUS=%r, not %r"
                      % (status, IDLE % len(NODES)))
    print("ok: READY=1 after the nodes exist, STATUS=%s" % status)

    # Pings at half the interval: two within 3.5 s, none in a burst.
    pings = []
    deadline = time.monotonic() + 3.5
    while len(pings) < 2:
        msg = receive(sock, deadline)
        if msg is None:
            raise Failure("%d WATCHDOG=1 in 3.5 s after READY=1, "
                          "wanted 2 (WATCHDOG_USEC=%d)"
                          % (len(pings), WATCHDOG_USEC))
        print("received:", msg)
        if ("WATCHDOG", "1") in msg:
            pings.append(time.monotonic())
    gap = pings[1] - pings[0]
    if gap < 0.4:
        raise Failure("WATCHDOG=1 %.3f s apart: the interval is %d us, "
                      "pings should come every %d ms"
                      % (gap, WATCHDOG_USEC, WATCHDOG_USEC // 2000))
    print("ok: two WATCHDOG=1 %.2f s apart" % gap)

    # The live summary: a timeline held, then none.
    held = status.replace("0 timelines, 0 open files",
                          "1 timelines, 1 open files")
    fd = os.open(os.path.join(root, "sw_sync"), os.O_RDWR)
    try:
        until(sock, time.monotonic() + 10, ("STATUS", held),
              "with a sw_sync timeline open")
    finally:
        os.close(fd)
    until(sock, time.monotonic() + 10, ("STATUS", status),
          "once the timeline is closed")
    print("ok: STATUS= follows the live counts")

    # A refused reload says so; the next good one restores the status.
    seen = reload(proc, sock, conf, BAD_CONF, "broken file")
    if not re.fullmatch(r"reload: .* refused.*", seen.get("STATUS", "")):
        raise Failure("a refused reload ended with STATUS=%r"
                      % seen.get("STATUS"))
    seen = reload(proc, sock, conf, GOOD_CONF, "mended file")
    if seen.get("STATUS") != status:
        raise Failure("a good reload ended with STATUS=%r, not %r"
                      % (seen.get("STATUS"), status))
    print("ok: RELOADING=1 / READY=1 around reloads; STATUS says a refusal "
          "and is restored by the next good reload")

    # SIGTERM: STOPPING=1, exit 0.
    proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 15
    while True:
        msg = receive(sock, deadline)
        if msg is None:
            raise Failure("no STOPPING=1 within 15 s of SIGTERM")
        print("received:", msg)
        if ("STOPPING", "1") in msg:
            break
    try:
        code = proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        raise Failure("still running 15 s after SIGTERM")
    if code != 0:
        raise Failure("exited with status %d after SIGTERM" % code)
    print("ok: STOPPING=1, exit status 0")


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if os.environ.get("DMABUFD_HAVE_LIBSYSTEMD") == "0":
        print("SKIP: dmabufd was built without libsystemd (no sd_notify)")
        return 77
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        print("SKIP: /dev/fuse is not usable here")
        return 77
    tmp = tempfile.mkdtemp(prefix="dmabufd-notify.")
    try:
        run(sys.argv[1], tmp)
    except Failure as e:
        print("FAIL:", e)
        with open(os.path.join(tmp, "daemon.log")) as f:
            for line in f:
                print("  |", line, end="")
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
