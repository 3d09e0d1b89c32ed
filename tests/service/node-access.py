#!/usr/bin/env python3
"""The nodes' group and mode follow the configuration, and a reload.

    node-access.py DMABUFD

Starts the daemon on the FUSE fallback (a private device root and control
socket) with a configuration file whose [nodes] section says group 12345,
mode 0640, and checks that every node file is a regular file owned by the
daemon's user with that group and mode. Then it rewrites the file (group
23456, mode 0600), sends SIGHUP, and checks that the files show the new
group and mode within 5 s although the kernel caches FUSE attributes for
a day: the reload must make it forget them. The groups are numbers, so
they need not exist. SIGTERM then stops the daemon, which must exit 0.

(The CUSE side, chown and chmod of the /dev nodes, runs in the VM suite's
kernel only; this host has no CUSE.)
"""
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

NODES = ["dma_heap/system", "dmabufd/dma_buf", "dmabufd/sync_file",
         "sw_sync", "dmabufd/dmaengine"]


class Failure(Exception):
    pass


def write_config(path, group, mode):
    with open(path, "w") as f:
        f.write("[dma]\nbackend = mock\n\n"
                "[nodes]\ngroup = %d\nmode = %04o\n" % (group, mode))


def access_of(root):
    """{node: (uid, gid, mode)} of every node file."""
    out = {}
    for n in NODES:
        st = os.stat(os.path.join(root, n))
        if not stat.S_ISREG(st.st_mode):
            raise Failure("%s is not a regular file (mode %o)"
                          % (n, st.st_mode))
        out[n] = (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode))
    return out


def wait_for(what, predicate, seconds):
    deadline = time.monotonic() + seconds
    while True:
        got = predicate()
        if got is True:
            return
        if time.monotonic() > deadline:
            raise Failure("%s: %s" % (what, got))
        time.sleep(0.05)


def expect(root, gid, mode):
    def check():
        want = (os.geteuid(), gid, mode)
        wrong = {n: a for n, a in access_of(root).items() if a != want}
        if not wrong:
            return True
        return "want uid %d, gid %d, mode %04o; got %s" % (
            want[0], gid, mode,
            ", ".join("%s %d:%d %04o" % ((n,) + a) for n, a in wrong.items()))
    return check


def run(daemon, tmp):
    root = os.path.join(tmp, "dev")
    control = os.path.join(tmp, "control")
    config = os.path.join(tmp, "dmabufd.conf")
    os.mkdir(root)
    write_config(config, 12345, 0o640)
    log = open(os.path.join(tmp, "daemon.log"), "w")
    proc = subprocess.Popen([daemon, "--config=" + config, "--transport=fuse",
                             "--dev-root=" + root, "--control=" + control],
                            stdout=log, stderr=log)
    try:
        def started():
            if proc.poll() is not None:
                raise Failure("the daemon exited %d" % proc.returncode)
            return os.path.exists(os.path.join(root, NODES[1])) or "no nodes"
        wait_for("start", started, 30)
        wait_for("at start", expect(root, 12345, 0o640), 0)
        print("ok: nodes are group 12345, mode 0640")

        write_config(config, 23456, 0o600)
        proc.send_signal(signal.SIGHUP)
        wait_for("after SIGHUP", expect(root, 23456, 0o600), 5)
        print("ok: after a reload, group 23456, mode 0600")

        proc.send_signal(signal.SIGTERM)
        try:
            code = proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            raise Failure("still running 15 s after SIGTERM")
        if code != 0:
            raise Failure("exited with status %d after SIGTERM" % code)
    finally:
        log.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        with open("/proc/self/mounts") as f:
            if any(line.split()[1] == root for line in f):
                subprocess.run(["fusermount3", "-u", "-z", root])


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not os.access("/dev/fuse", os.R_OK | os.W_OK):
        print("SKIP: /dev/fuse is not usable here")
        return 77
    tmp = tempfile.mkdtemp(prefix="dmabufd-access.")
    try:
        run(sys.argv[1], tmp)
    except (Failure, OSError) as e:
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
