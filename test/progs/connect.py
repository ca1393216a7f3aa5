#!/usr/bin/env python3
# Trigger for collector tests: one blocking connect(). Usage: connect.py 4|6 ADDR PORT [stream|dgram]
# Prints "pid errno" so the test can match the kernel event to this process.
import errno, os, socket, sys
fam = socket.AF_INET if sys.argv[1] == '4' else socket.AF_INET6
typ = socket.SOCK_DGRAM if len(sys.argv) > 4 and sys.argv[4] == 'dgram' else socket.SOCK_STREAM
s = socket.socket(fam, typ)
try:
    s.connect((sys.argv[2], int(sys.argv[3])))
    code = 0
except OSError as e:
    code = e.errno
print(os.getpid(), code, flush=True)
