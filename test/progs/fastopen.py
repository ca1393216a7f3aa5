#!/usr/bin/env python3
# Trigger for collector tests: a TCP Fast Open send, which sends a SYN without connect(2).
# Usage: fastopen.py 4|6 ADDR PORT. Prints "pid errno" so the test can match the kernel event.
import os, socket, sys
fam = socket.AF_INET if sys.argv[1] == '4' else socket.AF_INET6
s = socket.socket(fam, socket.SOCK_STREAM)
try:
    s.sendto(b'x', socket.MSG_FASTOPEN, (sys.argv[2], int(sys.argv[3])))
    code = 0
except OSError as e:
    code = e.errno
print(os.getpid(), code, flush=True)
