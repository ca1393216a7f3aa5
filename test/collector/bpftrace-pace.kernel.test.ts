// The pacing shim (src/collector/native/bpftrace-pace.c) under a real bpftrace: the perf buffers
// no longer wake bpftrace per event (a watermark), so the shim itself must find a lone event on
// an idle host and hand it to bpftrace within a pace; and bpftrace 0.17 leaves its loop only when
// epoll_wait fails with EINTR, so a SIGINT at any moment, the pace's sleep included, must still
// end it. And the lines of one read leave bpftrace in one write, not one write per line.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOOK_MARGIN_NS, LookFile } from '../../src/collector/look-bound.js';
import { DEFAULT_PACE_SHIM } from '../../src/collector/pace-shim.js';
import { describeKernel } from '../support/kernel.js';

const COMM = 'eqldpacetest';
const PROGRAM = `tracepoint:syscalls:sys_enter_getppid /comm == "${COMM}"/ { printf("x %d\\n", pid); }`;

interface Traced {
  child: ChildProcess;
  lines: string[];
  exited: Promise<number | null>;
}

/**
 * bpftrace with the shim, once its probe demonstrably fires: bpftrace prints "Attaching" before it
 * attaches, so events made right after it can be missed on a busy host. `prime` makes one event;
 * the lines it brings are taken out again before the test's own events.
 */
async function startBpftrace(prime: () => void): Promise<Traced> {
  const child = spawn('bpftrace', ['-e', PROGRAM], {
    env: { ...process.env, LD_PRELOAD: DEFAULT_PACE_SHIM, EQLD_BPFTRACE_PACE_MS: '20' },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const lines: string[] = [];
  let rest = '';
  child.stdout!.on('data', (b: Buffer) => {
    const parts = (rest + b.toString()).split('\n');
    rest = parts.pop()!;
    lines.push(...parts);
  });
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  await waitUntil(() => lines.some((l) => l.startsWith('Attaching')), 30_000, 'bpftrace attached');
  const primed = () => lines.some((l) => l.startsWith('x '));
  const deadline = Date.now() + 30_000;
  while (!primed()) {
    if (Date.now() > deadline) throw new Error('the probe never fired within 30 s of "Attaching"');
    prime();
    await waitUntil(primed, 300, 'a primed event').catch(() => undefined);
  }
  // a primer made just before the first one was seen may still be in flight: a few paces
  await new Promise((r) => setTimeout(r, 200));
  for (let i = lines.length - 1; i >= 0; i--) if (lines[i]?.startsWith('x ')) lines.splice(i, 1);
  return { child, lines, exited };
}

async function waitUntil(ok: () => boolean, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now() - t0;
}

const built = existsSync(DEFAULT_PACE_SHIM);
if (!built)
  process.stderr.write(`SKIPPED (${DEFAULT_PACE_SHIM} not built): the pacing shim under bpftrace\n`);
const describeBuilt = built ? describeKernel : describe.skip;

describeBuilt('the pacing shim under bpftrace', () => {
  let dir: string;
  let helper: string;
  /** runs the helper: `n` getppid calls from a process named COMM */
  const events = (n: number) => {
    const r = spawnSync(helper, ['-c', `import os\nfor _ in range(${n}): os.getppid()`]);
    expect(r.status).toBe(0);
  };
  const started: ChildProcess[] = [];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-pace-'));
    helper = join(dir, COMM);
    copyFileSync('/usr/bin/python3', helper);
    chmodSync(helper, 0o755);
  });

  afterAll(() => {
    for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands a lone event on an idle host to bpftrace within a few paces, and every event of a burst', async () => {
    const t = await startBpftrace(() => events(1));
    started.push(t.child);
    const count = () => t.lines.filter((l) => l.startsWith('x ')).length;
    for (const n of [1, 1, 500]) {
      await new Promise((r) => setTimeout(r, 300)); // idle: nothing in the buffers
      const before = count();
      events(n);
      // below the watermark the kernel wakes nobody: only the shim's look at the buffers finds it
      await waitUntil(() => count() === before + n, 2_000, `${n} event(s) read`);
    }
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
  }, 60_000);

  it('writes the lines of one read together: a burst of 500 lines takes a few writes, not 500', async () => {
    const t = await startBpftrace(() => events(1));
    started.push(t.child);
    const count = () => t.lines.filter((l) => l.startsWith('x ')).length;
    /** write(2) calls bpftrace has made (its I/O accounting) */
    const writes = () => Number(/^syscw: (\d+)$/m.exec(readFileSync(`/proc/${t.child.pid}/io`, 'utf8'))?.[1]);
    await new Promise((r) => setTimeout(r, 300));
    const before = writes();
    events(500);
    await waitUntil(() => count() === 500, 2_000, '500 events read');
    const used = writes() - before;
    // one write per read that found records (a burst of ~10 ms is read once or twice; the kernel
    // may split it across a few more), where line buffering made 500
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(25);
    // and a lone line still leaves at once, with its read
    events(1);
    await waitUntil(() => count() === 501, 2_000, 'the lone event read');
    t.child.kill('SIGINT');
    expect(await t.exited).toBe(0);
  }, 60_000);

  it('ends bpftrace on SIGINT whenever it comes, in the pace sleep after a read included', async () => {
    for (const delayMs of [3, 9, 15, 60]) {
      const t = await startBpftrace(() => events(1));
      started.push(t.child);
      events(5);
      await waitUntil(() => t.lines.filter((l) => l.startsWith('x ')).length === 5, 2_000, 'the events');
      events(5); // read after the pace: SIGINT lands in the sleep or the wait after it
      await new Promise((r) => setTimeout(r, delayMs));
      t.child.kill('SIGINT');
      const code = await Promise.race([t.exited, new Promise((r) => setTimeout(() => r('hung'), 5_000))]);
      expect(code, `SIGINT ${delayMs} ms after the events`).toBe(0);
    }
  }, 120_000);

  it('publishes its looks on the pace’s grid, each after the lines it handed over: no line stamped before a look comes after it', async () => {
    const pace = 20;
    const fifo = join(dir, 'out');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY);
    const look = new LookFile(join(dir, 'p.look'));
    const child = spawn(
      'bpftrace',
      ['-e', `tracepoint:syscalls:sys_enter_getppid /comm == "${COMM}"/ { printf("t %llu\\n", nsecs); }`],
      {
        env: {
          ...process.env,
          LD_PRELOAD: DEFAULT_PACE_SHIM,
          EQLD_BPFTRACE_PACE_MS: String(pace),
          EQLD_BPFTRACE_LOOK_FILE: look.path,
        },
        stdio: ['ignore', writer, 'ignore'],
      },
    );
    started.push(child);
    closeSync(writer);
    const buf = Buffer.alloc(1 << 20);
    let rest = '';
    const drain = (): number[] => {
      const stamps: number[] = [];
      for (;;) {
        let n = 0;
        try {
          n = readSync(reader, buf, 0, buf.length, null);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'EAGAIN') break;
          throw error;
        }
        if (n === 0) break;
        const parts = (rest + buf.toString('latin1', 0, n)).split('\n');
        rest = parts.pop()!;
        for (const l of parts) if (l.startsWith('t ')) stamps.push(Number(l.slice(2)));
      }
      return stamps;
    };
    try {
      await waitUntil(() => look.read() !== undefined, 30_000, 'a first look');
      // events from another process, in bursts, while the collector's way of reading is replayed:
      // the look file first, then the pipe until it is empty
      const load = spawn(helper, [
        '-c',
        'import os, time\nfor i in range(300):\n    for _ in range(1 + i % 7): os.getppid()\n    time.sleep(0.004 + (i % 5) / 1000)',
      ]);
      started.push(load);
      const loadDone = new Promise((r) => load.once('exit', r));
      let done = false;
      void loadDone.then(() => {
        done = true;
      });
      let bound = 0;
      let lines = 0;
      const looks: number[] = [];
      const violations: string[] = [];
      while (!done) {
        const l = look.read()!;
        for (const t of drain()) {
          lines++;
          if (t < bound) violations.push(`line stamped ${t} after a look at ${bound + LOOK_MARGIN_NS}`);
        }
        if (looks.at(-1) !== l) looks.push(l);
        bound = l - LOOK_MARGIN_NS;
        await new Promise((r) => setTimeout(r, 1 + (looks.length % 9)));
      }
      await new Promise((r) => setTimeout(r, 100));
      lines += drain().length;
      expect(violations).toEqual([]);
      expect(lines).toBe([...Array(300).keys()].reduce((s, i) => s + 1 + (i % 7), 0));
      // looks come every pace, on its grid (just after each instant: epoll's timeout is in ms)
      expect(looks.length).toBeGreaterThan(20);
      const offGrid = looks.filter((t) => (t / 1e6) % pace > 3);
      expect(offGrid.length).toBeLessThan(looks.length / 5);
    } finally {
      child.kill('SIGINT');
      closeSync(reader);
      look.close();
    }
  }, 60_000);
});
