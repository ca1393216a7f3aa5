#!/usr/bin/env python3
"""Load generator for bench/file.bench.ts: a file storm.

    file-storm.py DIR SECONDS WORKERS   each worker creates, renames and deletes small files in its
                                        own directory under DIR as fast as it can

Prints the number of file operations done (all workers; one cycle is three: a creation, a
rename, a deletion) on stdout."""
import os
import sys
import time
from multiprocessing import Process, Value


def worker(base, secs, count, i):
    d = os.path.join(base, f"w{i}")
    os.makedirs(d, exist_ok=True)
    end = time.monotonic() + secs
    n = 0
    while time.monotonic() < end:
        for _ in range(50):
            p = os.path.join(d, f"f{n}.tmp")
            os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
            os.rename(p, p + ".x")
            os.unlink(p + ".x")
            n += 1
    with count.get_lock():
        count.value += 3 * n


base, secs, workers = sys.argv[1], float(sys.argv[2]), int(sys.argv[3])
count = Value("q", 0)
procs = [Process(target=worker, args=(base, secs, count, i)) for i in range(workers)]
for p in procs:
    p.start()
for p in procs:
    p.join()
print(count.value)
