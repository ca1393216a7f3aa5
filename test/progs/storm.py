#!/usr/bin/env python3
# Load generator for bench/collector.bench.ts.
#   storm.py exec SECONDS WORKERS [ARG_BYTES]   posix_spawn + wait of /bin/true, as fast as possible
#   storm.py connect SECONDS WORKERS PORT        blocking TCP connects to a closed 127.0.0.1 port
# Prints the number of operations done (all workers) on stdout.
import os, socket, sys, time
from multiprocessing import Process, Value

def exec_worker(secs, count, arg_bytes):
    args = ['/bin/true'] + (['a' * 99] * (arg_bytes // 100) if arg_bytes else [])
    end = time.monotonic() + secs
    n = 0
    while time.monotonic() < end:
        pid = os.posix_spawn('/bin/true', args, {})
        os.waitpid(pid, 0)
        n += 1
    with count.get_lock():
        count.value += n

def connect_worker(secs, count, port):
    end = time.monotonic() + secs
    n = 0
    addr = ('127.0.0.1', port)
    while time.monotonic() < end:
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.connect(addr)
            except ConnectionRefusedError:
                pass
            s.close()
        n += 100
    with count.get_lock():
        count.value += n

kind, secs, workers = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
extra = int(sys.argv[4]) if len(sys.argv) > 4 else 0
count = Value('q', 0)
target = exec_worker if kind == 'exec' else connect_worker
procs = [Process(target=target, args=(secs, count, extra)) for _ in range(workers)]
for p in procs: p.start()
for p in procs: p.join()
print(count.value)
