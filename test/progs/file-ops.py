#!/usr/bin/env python3
"""Trigger program for the file-event kernel tests: performs one named file operation under
BASE (a private temp directory) with the exact system call the test asks for, then prints
one JSON line: {"pid": ..., "ok": ..., "errno": ...}. Usage: file-ops.py CASE BASE.

Every case works below BASE only; cases that mount or chroot run in a private mount
namespace the test gives them (unshare -m), never on the host's files."""
import ctypes
import errno
import json
import os
import sys

libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD = -100
RENAME_NOREPLACE = 1
RENAME_EXCHANGE = 2
SYS_renameat2 = 316  # x86_64
SYS_creat = 85  # x86_64
SYS_open = 2  # x86_64


def raw(nr, *args):
    r = libc.syscall(nr, *args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


def touch(path, flags=os.O_CREAT | os.O_WRONLY, dir_fd=None):
    os.close(os.open(path, flags, 0o644, dir_fd=dir_fd))


def main():
    case, base = sys.argv[1], sys.argv[2]
    out = {"pid": os.getpid(), "ok": True}
    try:
        if case == "create-absolute":
            touch(os.path.join(base, "abs.txt"))
        elif case == "create-relative":
            os.makedirs(os.path.join(base, "sub"), exist_ok=True)
            os.chdir(os.path.join(base, "sub"))
            touch("rel.txt")
        elif case == "create-relative-dotdot":
            os.makedirs(os.path.join(base, "a", "b"), exist_ok=True)
            os.chdir(os.path.join(base, "a", "b"))
            touch("../../up.txt")
        elif case == "create-dirfd":
            os.makedirs(os.path.join(base, "dfd"), exist_ok=True)
            fd = os.open(os.path.join(base, "dfd"), os.O_RDONLY | os.O_DIRECTORY)
            touch("viafd.txt", dir_fd=fd)
            os.close(fd)
        elif case == "create-excl":
            touch(os.path.join(base, "excl.txt"), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        elif case == "create-creat":
            p = os.path.join(base, "creat.txt").encode()
            os.close(raw(SYS_creat, ctypes.c_char_p(p), 0o644))
        elif case == "create-open":
            # open(2) itself, as static and musl binaries call it (glibc uses openat)
            p = os.path.join(base, "open2.txt").encode()
            os.close(raw(SYS_open, ctypes.c_char_p(p), os.O_CREAT | os.O_WRONLY, 0o644))
        elif case == "open-existing":
            # O_CREAT on a file that exists: not a creation
            touch(os.path.join(base, "exists.txt"))
        elif case == "create-eacces":
            # as nobody, in a directory nobody cannot write
            d = os.path.join(base, "locked")
            os.makedirs(d, exist_ok=True)
            os.chmod(d, 0o755)
            os.setgid(65534)
            os.setuid(65534)
            touch(os.path.join(d, "denied.txt"))
        elif case == "create-enoent":
            touch(os.path.join(base, "no", "such", "dir", "x.txt"))
        elif case == "rename-same-dir":
            touch(os.path.join(base, "r1.tmp"))
            os.rename(os.path.join(base, "r1.tmp"), os.path.join(base, "r1.conf"))
        elif case == "rename-across":
            os.makedirs(os.path.join(base, "from"), exist_ok=True)
            os.makedirs(os.path.join(base, "to"), exist_ok=True)
            touch(os.path.join(base, "from", "moved"))
            os.chdir(os.path.join(base, "from"))
            os.rename("moved", "../to/moved.service")
        elif case == "rename-exchange":
            touch(os.path.join(base, "x1"))
            touch(os.path.join(base, "x2"))
            a = os.path.join(base, "x1").encode()
            b = os.path.join(base, "x2").encode()
            raw(SYS_renameat2, AT_FDCWD, ctypes.c_char_p(a), AT_FDCWD, ctypes.c_char_p(b), RENAME_EXCHANGE)
        elif case == "rename-noreplace-fails":
            touch(os.path.join(base, "n1"))
            touch(os.path.join(base, "n2"))
            a = os.path.join(base, "n1").encode()
            b = os.path.join(base, "n2").encode()
            raw(SYS_renameat2, AT_FDCWD, ctypes.c_char_p(a), AT_FDCWD, ctypes.c_char_p(b), RENAME_NOREPLACE)
        elif case == "unlink":
            touch(os.path.join(base, "gone"))
            os.unlink(os.path.join(base, "gone"))
        elif case == "unlinkat":
            os.makedirs(os.path.join(base, "ud"), exist_ok=True)
            touch(os.path.join(base, "ud", "gone2"))
            fd = os.open(os.path.join(base, "ud"), os.O_RDONLY | os.O_DIRECTORY)
            os.unlink("gone2", dir_fd=fd)
            os.close(fd)
        elif case == "rmdir":
            os.makedirs(os.path.join(base, "emptydir"), exist_ok=True)
            os.rmdir(os.path.join(base, "emptydir"))
        elif case == "hostile":
            name = b"new\nline \"quoted\" 'q' \\ \xff\xfe tab\t.sh"
            d = os.path.join(base, "h").encode()
            os.makedirs(d, exist_ok=True)
            touch(os.path.join(d, name))
            os.rename(os.path.join(d, name), os.path.join(d, b"L" * 255))
            os.unlink(os.path.join(d, b"L" * 255))
        elif case == "deep":
            # 120 directories deep (below elastic/ebpf's 100 components the walk keeps)
            os.chdir(base)
            for i in range(120):
                os.mkdir(f"d{i}")
                os.chdir(f"d{i}")
            touch("deep.txt")
        elif case == "chroot":
            # a process in a chroot sees, and is reported with, the path from its own root
            os.makedirs(os.path.join(base, "jail", "etc"), exist_ok=True)
            os.chroot(os.path.join(base, "jail"))
            os.chdir("/")
            touch("/etc/in-jail.conf")
        else:
            raise SystemExit(f"unknown case {case}")
    except OSError as e:
        out = {"pid": os.getpid(), "ok": False, "errno": errno.errorcode.get(e.errno, str(e.errno))}
    print(json.dumps(out), flush=True)


main()
