#!/usr/bin/env python3
# Trigger for collector tests: execs /bin/true with hostile argv (quotes, tabs, newlines,
# backslashes, invalid UTF-8, an empty argument and one 4 KiB argument) through a
# hostile relative filename, so the line protocol's escaping is exercised by the kernel.
import os, sys
os.chdir(sys.argv[1] if len(sys.argv) > 1 else '/tmp')
name = b'./tr\xffue "x"\n\\\t'
try:
    os.unlink(name)
except FileNotFoundError:
    pass
os.symlink(b'/bin/true', name)
pid = os.fork()
if pid == 0:
    os.execv(name, [b'tr\xffue', b'a "quoted" arg', b'tab\there', b'new\nline', b'back\\slash', b'', b'\xc3\x28bad', b'x' * 4096, b'last'])
os.waitpid(pid, 0)
os.unlink(name)
print(pid, flush=True)
