#!/usr/bin/env python3
"""tar2cpio.py IN.tar OUT.cpio: a tar archive as a newc cpio archive,
the format the kernel unpacks as an initramfs (Documentation/
driver-api/early-userspace/buffer-format.rst), owners, modes, times and
device numbers kept, without extracting anything (so no root needed).

Hard links become copies of their target's data (the initramfs is
tmpfs: a copy costs only memory). The trailer ends the archive, so more
archives may be appended after it (run-systemd.sh appends the test's).
"""
import stat
import sys
import tarfile

KINDS = {
    tarfile.REGTYPE: stat.S_IFREG, tarfile.AREGTYPE: stat.S_IFREG,
    tarfile.CONTTYPE: stat.S_IFREG, tarfile.LNKTYPE: stat.S_IFREG,
    tarfile.DIRTYPE: stat.S_IFDIR, tarfile.SYMTYPE: stat.S_IFLNK,
    tarfile.CHRTYPE: stat.S_IFCHR, tarfile.BLKTYPE: stat.S_IFBLK,
    tarfile.FIFOTYPE: stat.S_IFIFO,
}


def pad4(out, n):
    if n % 4:
        out.write(b"\0" * (4 - n % 4))


def entry(out, ino, name, mode, uid, gid, mtime, data, rdev=(0, 0)):
    raw = name.encode() + b"\0"
    fields = (ino, mode, uid, gid, 1, int(mtime), len(data), 0, 0,
              rdev[0], rdev[1], len(raw), 0)
    head = b"070701" + b"".join(b"%08x" % f for f in fields)
    out.write(head + raw)
    pad4(out, len(head) + len(raw))
    out.write(data)
    pad4(out, len(data))


def main():
    src, dst = sys.argv[1:3]
    ino = 1
    with tarfile.open(src) as tar, open(dst, "wb") as out:
        for m in tar:
            name = m.name
            while name.startswith("./"):
                name = name[2:]
            name = name.rstrip("/")
            if name in ("", "."):
                continue
            kind = KINDS.get(m.type)
            if kind is None:
                sys.exit(f"tar2cpio: {m.name}: unknown tar member type {m.type!r}")
            data = b""
            if m.type == tarfile.SYMTYPE:
                data = m.linkname.encode()
            elif kind == stat.S_IFREG:
                data = tar.extractfile(m).read()
            rdev = (m.devmajor, m.devminor) if m.ischr() or m.isblk() else (0, 0)
            entry(out, ino, name, kind | (m.mode & 0o7777), m.uid, m.gid,
                  m.mtime, data, rdev)
            ino += 1
        entry(out, 0, "TRAILER!!!", 0, 0, 0, 0, b"")
        # cpio(1) pads its archives to 512 bytes; so does this one.
        pos = out.tell()
        if pos % 512:
            out.write(b"\0" * (512 - pos % 512))


if __name__ == "__main__":
    main()
