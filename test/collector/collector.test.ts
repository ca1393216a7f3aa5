// Collector supervision without a kernel: a stand-in bpftrace (fake-bpftrace.mjs) prints
// canned lines, notices and exits, and the Collector must restart it, report gaps and
// losses, count malformed lines and order events.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LineDecoder } from '../../src/collector/decoder.js';
import { Collector, CollectorError, type CollectorOptions } from '../../src/collector/index.js';
import type { ExecEvent, RawEvent } from '../../src/collector/raw-event.js';
import { chunkFields, commWords, connectSource, execContext } from '../support/hex-words.js';

const FAKE = fileURLToPath(new URL('./fake-bpftrace.mjs', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'eqld-collector-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const now = (): number => Number(process.hrtime.bigint());

function logger(lines: string[]): pino.Logger {
  return pino({ level: 'debug' }, { write: (s: string) => lines.push(s) });
}

async function waitFor<T>(find: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

let collector: Collector | undefined;
afterEach(async () => {
  await collector?.stop();
  collector = undefined;
});

function fakeCollector(
  mode: string,
  lines: string[],
  log: string[],
  extra: Record<string, string> = {},
  options: Partial<CollectorOptions> = {},
) {
  const file = join(dir, `${mode}-${Math.random()}.lines`);
  writeFileSync(file, lines.map((l) => `${l}\n`).join(''), 'latin1');
  Object.assign(process.env, { FAKE_MODE: mode, FAKE_LINES: file, ...extra });
  collector = new Collector({
    logger: logger(log),
    bpftracePath: FAKE,
    program: 'unused',
    skipPreconditions: true,
    excludeSelf: false,
    reorderWindowMs: 5,
    restartDelayMs: 100,
    // the stand-in needs no pacing (and 10 ms would not be below this 5 ms window)
    bpftracePaceMs: 0,
    ...options,
  });
  const events: RawEvent[] = [];
  collector.onEvent((e) => events.push(e));
  return { c: collector, events };
}

describe('Collector supervision (stand-in bpftrace)', () => {
  it('delivers parsed events in kernel-timestamp order, whatever order the lines came in', async () => {
    const t = now();
    const log: string[] = [];
    const { c, events } = fakeCollector(
      'stay',
      [
        `exit ${t + 3000} 12 12 100 0`,
        `exit ${t + 1000} 10 10 100 256`,
        `setsid ${t + 2000} 11 11 100 0 0 0 0 11 ${commWords('sh')}`,
      ],
      log,
    );
    await c.start();
    await waitFor(() => (events.length >= 3 ? true : undefined));
    expect(events.map((e) => e.ktimeNs)).toEqual([t + 1000, t + 2000, t + 3000]);
    expect(events[0]).toMatchObject({ kind: 'exit', pid: 10, exitCode: 1 });
    expect(events[1]).toMatchObject({ kind: 'setsid', ret: 11, comm: 'sh' });
  });

  it('holds an event it has read until a line about an earlier event, written later but within the window, is ordered before it', async () => {
    const log: string[] = [];
    // a window wide enough for a loaded test machine
    const { c, events } = fakeCollector('late', [], log, {}, { reorderWindowMs: 300, pollIntervalMs: 20 });
    await c.start();
    await waitFor(() => (events.length >= 2 ? true : undefined));
    expect(events.map((e) => (e.kind === 'exit' ? e.pid : 0))).toEqual([77, 66]);
    expect(c.stats().late).toBe(0);
  });

  it('gives bpftrace a 1 MiB pipe to write into, so bursts do not block it', async () => {
    const log: string[] = [];
    const { c } = fakeCollector('pipe-size', [], log);
    await c.start();
    const line = await waitFor(() => log.find((l) => l.includes('pipe-size')));
    expect(JSON.parse(line).stderr).toBe(`pipe-size ${1 << 20}`);
  });

  it('stops polling while nothing comes and nothing is held, and reads the next line as soon as it is written', async () => {
    const log: string[] = [];
    const { c, events } = fakeCollector('later', [], log, {}, { reorderWindowMs: 30, pollIntervalMs: 20 });
    await c.start();
    const polls = c.stats().polls;
    const wakes = c.stats().idleWakes;
    await new Promise((r) => setTimeout(r, 300));
    // polling every 20 ms would be ~15 more polls by now
    expect(c.stats().polls - polls).toBeLessThanOrEqual(3);
    expect(c.stats().idleWakes).toBe(wakes);
    const exit = await waitFor(() => events.find((e) => e.kind === 'exit' && e.pid === 88));
    // written at its timestamp, woken at once, released one window (30 ms) later: well within
    // the 20 ms poll + window a polling-only reader would need on top of its idle cycle
    expect(Number(now()) - exit.ktimeNs).toBeLessThan(200e6);
    expect(c.stats().idleWakes).toBe(wakes + 1);
  });

  it('keeps polling while events trickle in, and waits on the wake ends only after three empty polls', async () => {
    const log: string[] = [];
    // a line every 100 ms, polls every 40 ms: two polls in three find nothing, never three in a row
    const { c, events } = fakeCollector('steady', [], log, {}, { reorderWindowMs: 10, pollIntervalMs: 40 });
    await c.start();
    const wakes = c.stats().idleWakes;
    await waitFor(() => events.find((e) => e.kind === 'exit' && e.pid === 319), 5_000);
    // the first line woke the idle collector; going idle between lines woke it for nearly every
    // line (20). A starved stand-in can leave a gap of three polls now and then: a few, not 20
    expect(c.stats().idleWakes - wakes).toBeGreaterThanOrEqual(1);
    expect(c.stats().idleWakes - wakes).toBeLessThanOrEqual(4);
    expect(events.filter((e) => e.kind === 'exit' && e.pid >= 300).length).toBe(20);
    // once the lines stop, three empty polls and then none
    await new Promise((r) => setTimeout(r, 300));
    const polls = c.stats().polls;
    await new Promise((r) => setTimeout(r, 300));
    expect(c.stats().polls).toBe(polls);
  });

  it('preloads the pacing shim into bpftrace with the pace, and only when pacing is on', async () => {
    const shim = join(dir, 'pace.so');
    writeFileSync(shim, '');
    const envOf = async (options: Partial<CollectorOptions>, log: string[]) => {
      const { c } = fakeCollector(
        'env',
        [],
        log,
        {},
        { reorderWindowMs: 30, paceShimPath: shim, ...options },
      );
      await c.start();
      const line = await waitFor(() => log.find((l) => l.includes('"stderr":"env ')));
      await c.stop();
      return JSON.parse(JSON.parse(line).stderr.slice(4));
    };
    const paced: string[] = [];
    expect(await envOf({ bpftracePaceMs: 12 }, paced)).toEqual({
      LD_PRELOAD: shim,
      EQLD_BPFTRACE_PACE_MS: '12',
    });
    expect(collector?.stats().bpftracePaceMs).toBe(12);
    expect(await envOf({ bpftracePaceMs: 0 }, [])).toEqual({});
    // a shim that was never built: unpaced, and the log says why
    const missing: string[] = [];
    expect(await envOf({ bpftracePaceMs: 12, paceShimPath: join(dir, 'nope.so') }, missing)).toEqual({});
    expect(collector?.stats().bpftracePaceMs).toBe(0);
    expect(missing.some((l) => l.includes('bpftrace runs unpaced'))).toBe(true);
    // LD_PRELOAD cannot name a path with a space
    const spaced = join(dir, 'a b.so');
    writeFileSync(spaced, '');
    expect(await envOf({ bpftracePaceMs: 12, paceShimPath: spaced }, [])).toEqual({});
  });

  it('refuses a pace that is not an integer from 0 to 1000', () => {
    expect(() => fakeCollector('stay', [], [], {}, { bpftracePaceMs: 1001 })).toThrow(/bpftracePaceMs/);
    expect(() => fakeCollector('stay', [], [], {}, { bpftracePaceMs: 2.5 })).toThrow(/bpftracePaceMs/);
  });

  it('marks an exec whose process exit was read before the exec was released, and only that process', async () => {
    const t = now();
    const chunk = (text: string) => chunkFields(Buffer.from(text, 'latin1'));
    const exec = (pid: number, start: number) => [
      `exec ${t + pid} ${pid} ${pid} 1 0 0 0 0 ${pid} ${start} 6 1 3 2 2 ${commWords('x')} ${execContext({ argc: 1 })}`,
      `exec_fn ${t + pid} ${pid} 0 ${chunk('/x\0')}`,
      `exec_arg ${t + pid} ${pid} 0 ${chunk('x\0')}`,
    ];
    const log: string[] = [];
    const { c, events } = fakeCollector(
      'stay',
      [
        ...exec(20, 555),
        `exit ${t + 1000} 20 20 555 0`,
        ...exec(21, 556),
        // the same pid, another process (start time): not the exec's process
        `exit ${t + 2000} 21 21 999 0`,
        ...exec(22, 557),
      ],
      log,
    );
    await c.start();
    await waitFor(() => (events.length >= 5 ? true : undefined));
    const execs = events.filter((e): e is ExecEvent => e.kind === 'exec');
    expect(execs.map((e) => [e.pid, e.exitedBeforeRelease])).toEqual([
      [20, true],
      [21, undefined],
      [22, undefined],
    ]);
  });

  it('keeps kernel-time order across a backlog read in many chunks, when CPUs skew less than the window', async () => {
    const log: string[] = [];
    const old = now() - 10e9; // a backlog: every line is long past the window when read
    // two CPUs' buffers drained in turns, 4 ms apart (the window is 5 ms): ~160 KiB of lines
    const lines: string[] = [];
    for (let block = 0; block < 100; block++) {
      const base = old + block * 8e6;
      for (const cpu of [1, 0])
        for (let i = 0; i < 20; i++) lines.push(`exit ${base + cpu * 4e6 + i} 9 9 555 0`);
    }
    const { c, events } = fakeCollector(
      'stay',
      lines,
      log,
      {},
      { shed: { levelOneMs: 60_000, levelTwoMs: 60_000, resumeMs: 1 } },
    );
    await c.start();
    await waitFor(() => (events.length >= lines.length ? true : undefined));
    const ts = events.map((e) => e.ktimeNs);
    expect(ts).toEqual([...ts].sort((a, b) => a - b));
    expect(c.stats().late).toBe(0);
  });

  it('sheds loopback connects, counted, while far behind the kernel, and never an exec, fork, exit or setsid', async () => {
    const log: string[] = [];
    const old = now() - 2e9; // two seconds behind: past level two
    const chunk = (text: string) => chunkFields(Buffer.from(text, 'latin1'));
    const storm = Array.from(
      { length: 400 },
      (_, i) =>
        `connect ${old + i} 7 7 100 0 0 0 0 4 1 9 127.0.0.1 -111 ${connectSource()} ${commWords('storm')}`,
    );
    const { c, events } = fakeCollector(
      'stay',
      [
        // decoded events come first and show the lag
        ...Array.from({ length: 16 }, (_, i) => `exit ${old + i} ${30 + i} ${30 + i} 555 0`),
        ...storm,
        `exec ${old + 500} 40 40 1 0 0 0 0 40 600 6 1 3 2 2 ${commWords('x')} ${execContext({ argc: 1 })}`,
        `exec_fn ${old + 500} 40 0 ${chunk('/x\0')}`,
        `exec_arg ${old + 500} 40 0 ${chunk('x\0')}`,
        `fork ${old + 501} 40 40 600 41 700`,
        `setsid ${old + 502} 41 41 700 0 0 0 0 41 ${commWords('sh')}`,
      ],
      log,
    );
    await c.start();
    await waitFor(() => (events.some((e) => e.kind === 'setsid') ? true : undefined));
    const kinds = events.map((e) => e.kind);
    expect(kinds.filter((k) => k === 'exit')).toHaveLength(16);
    expect(kinds.filter((k) => k === 'exec' || k === 'fork' || k === 'setsid')).toEqual([
      'exec',
      'fork',
      'setsid',
    ]);
    const shed = c.stats().shed;
    expect(shed.loopbackConnects + kinds.filter((k) => k === 'connect').length).toBe(400);
    expect(shed.loopbackConnects).toBeGreaterThan(300);
    expect(shed).toMatchObject({ otherConnects: 0, episodes: 1 });
  });

  it('holds network lines undecoded in the reorder window and releases them as the events parseLine makes, in kernel-time order with the rest', async () => {
    const t = now();
    const connect = (ts: number, pid: number) =>
      `connect ${ts} ${pid} ${pid} 100 0 0 0 0 4 1 9 127.0.0.1 -111 ${connectSource(40000 + pid, '127.0.0.1')} ${commWords('storm')}`;
    const lines = [
      connect(t + 3000, 13),
      `exit ${t + 1000} 10 10 100 0`,
      connect(t + 2000, 12),
      `exit ${t + 4000} 14 14 100 0`,
      connect(t + 500, 11),
    ];
    const { c, events } = fakeCollector('stay', lines, []);
    await c.start();
    await waitFor(() => (events.length === 5 ? true : undefined));
    expect(events.map((e) => [e.kind, e.ktimeNs])).toEqual([
      ['connect', t + 500],
      ['exit', t + 1000],
      ['connect', t + 2000],
      ['connect', t + 3000],
      ['exit', t + 4000],
    ]);
    // decoded on release exactly as on arrival (the decoder's own output for the same line)
    const decoder = new LineDecoder();
    const expected = decoder.decode(connect(t + 2000, 12));
    expect(expected.kind).toBe('event');
    expect(events[2]).toEqual((expected as { event: RawEvent }).event);
    expect(c.stats()).toMatchObject({ malformed: 0, late: 0, byKind: { connect: 3, exit: 2 } });
  });

  it('joins lines that reads cut anywhere, even a line that spans several reads', async () => {
    const t = now();
    const lines = [
      ...Array.from({ length: 12 }, (_, i) => `exit ${t + i} ${10 + i} ${10 + i} 100 0`),
      // longer than several pieces: spans reads
      `connect ${t + 20} 7 7 100 0 0 0 0 4 1 9 127.0.0.1 -111 ${connectSource(40001, '127.0.0.1')} ${commWords('a-long-comm-nam')}`,
      '',
      `setsid ${t + 21} 11 11 100 0 0 0 0 11 ${commWords('sh')}`,
    ];
    // the pieces take ~0.5 s: no shedding of the (loopback) connect however late it is read
    const { c, events } = fakeCollector(
      'pieces',
      lines,
      [],
      {},
      { shed: { levelOneMs: 60_000, levelTwoMs: 60_000, resumeMs: 1 } },
    );
    await c.start();
    await waitFor(() => (events.length === 14 ? true : undefined), 20_000);
    expect(events.map((e) => e.ktimeNs)).toEqual([
      ...Array.from({ length: 12 }, (_, i) => t + i),
      t + 20,
      t + 21,
    ]);
    expect(events[12]).toMatchObject({ kind: 'connect', sport: 40001, comm: 'a-long-comm-nam' });
    expect(c.stats().malformed).toBe(0);
  });

  it('counts a malformed network line when its window releases it, and one with no plausible timestamp at once', async () => {
    const t = now();
    const log: string[] = [];
    const { c, events } = fakeCollector(
      'stay',
      [
        `connect ${t + 100} 7 7 100 0 0 0 0 4 1 9 127.0.0.1`, // cut short: wrong arity
        `connect 99999999999999999 7 7 100 0 0 0 0 4 1 9 127.0.0.1`, // ~3 years of uptime ahead
        `accept notatime 7 7`,
        `exit ${t + 200} 5 5 1 0`,
      ],
      log,
    );
    await c.start();
    await waitFor(() => (events.length === 1 ? true : undefined));
    await waitFor(() => (c.stats().malformed === 3 ? true : undefined));
    expect(events.map((e) => e.kind)).toEqual(['exit']);
    expect(log.filter((l) => l.includes('malformed bpftrace line'))).toHaveLength(3);
  });

  it('turns "Lost N events" into a lost event and a counter, and logs bpftrace stderr', async () => {
    const log: string[] = [];
    const { c, events } = fakeCollector('stay', ['Lost 17 events', 'Lost 3 events'], log);
    await c.start();
    await waitFor(() => (events.filter((e) => e.kind === 'lost').length === 2 ? true : undefined));
    expect(c.stats().lost).toBe(20);
    expect(events.filter((e) => e.kind === 'lost').map((e) => (e as { count: number }).count)).toEqual([
      17, 3,
    ]);
    await waitFor(() => (log.some((l) => l.includes('something bpftrace says')) ? true : undefined));
    const warn = log.map((l) => JSON.parse(l)).find((l) => l.stderr?.includes('something bpftrace says'));
    expect(warn.level).toBe(40);
    expect(warn.bpftracePid).toBe(c.bpftracePid);
  });

  it('keeps the kernel time of the last counters line read (every count before it is in)', async () => {
    const { c } = fakeCollector('stay', ['counters 5000000000', 'Lost 2 events', 'counters 10000000000'], []);
    expect(c.stats().countersKtimeNs).toBe(0);
    await c.start();
    await waitFor(() => (c.stats().countersKtimeNs === 10_000_000_000 ? true : undefined));
    expect(c.stats().lost).toBe(2);
  });

  it('knows its own bpftrace pid (the normalizer leaves that process out) and no other', async () => {
    const { c } = fakeCollector('stay', [], []);
    expect(c.isBpftracePid(process.pid)).toBe(false);
    await c.start();
    const pid = c.bpftracePid as number;
    expect(pid).toBeGreaterThan(0);
    expect(c.isBpftracePid(pid)).toBe(true);
    expect(c.isBpftracePid(pid + 1)).toBe(false);
    expect(c.isBpftracePid(process.pid)).toBe(false);
    await c.stop();
  });

  it("in a pid namespace of its own, leaves out its own and bpftrace's events by the kernel pids the hello and ready lines report, not by the pids /proc shows it", async () => {
    // kernel pids 900001 (bpftrace) and 900002 (eqld): what the kernel calls them; process.pid
    // and the spawned child's pid are this namespace's numbers, which name other processes there
    const t = now();
    const lines = [
      `exit ${t + 1} 900002 900002 100 0`,
      `exit ${t + 2} 900001 900001 100 0`,
      `exit ${t + 3} ${process.pid} ${process.pid} 100 0`,
      `exit ${t + 4} 12345 12345 100 0`,
    ];
    const log: string[] = [];
    try {
      const { c, events } = fakeCollector(
        'stay',
        lines,
        log,
        { FAKE_KERNEL_PIDS: '900001:900002' },
        {
          excludeSelf: true,
          pidNamespace: { inode: 4026532243, initial: false },
        },
      );
      // before the programs said, no pid is taken for eqld's own
      expect(c.isSelfPid(process.pid)).toBe(false);
      await c.start();
      await waitFor(() => (events.length >= 2 ? true : undefined));
      await new Promise((r) => setTimeout(r, 100));
      expect(events.map((e) => (e.kind === 'exit' ? e.pid : -1))).toEqual([process.pid, 12345]);
      expect(c.stats().excludedSelf).toBe(2);
      expect(c.isSelfPid(900002)).toBe(true);
      expect(c.isBpftracePid(900001)).toBe(true);
      expect(c.isBpftracePid(c.bpftracePid as number)).toBe(false);
      expect(c.isSelfPid(process.pid)).toBe(false);
      expect(log.some((l) => l.includes("eqld's pid as the kernel numbers it") && l.includes('900002'))).toBe(
        true,
      );
    } finally {
      delete process.env.FAKE_KERNEL_PIDS;
    }
  });

  it("in the host's pid namespace, is itself by process.pid, whatever pid a ready line names", async () => {
    const log: string[] = [];
    try {
      // a ready line naming another pinger (another eqld's ping, were the values to collide)
      const { c } = fakeCollector(
        'stay',
        [],
        log,
        { FAKE_KERNEL_PIDS: ':900003' },
        {
          pidNamespace: { inode: 4026531836, initial: true },
        },
      );
      expect(c.isSelfPid(process.pid)).toBe(true);
      await c.start();
      expect(c.isSelfPid(c.bpftracePid as number)).toBe(true);
      expect(c.isSelfPid(process.pid)).toBe(true);
      expect(c.isSelfPid(900003)).toBe(false);
      expect(log.some((l) => l.includes('a ready line named another pinger than eqld'))).toBe(true);
      await c.stop();
    } finally {
      delete process.env.FAKE_KERNEL_PIDS;
    }
  });

  it('counts malformed lines, logs a bounded sample and keeps going', async () => {
    const log: string[] = [];
    const bad = Array.from({ length: 30 }, (_, i) => `garbage line ${i}`);
    const { c, events } = fakeCollector('stay', [...bad, `exit ${now()} 5 5 1 0`], log);
    await c.start();
    await waitFor(() => (events.length === 1 ? true : undefined));
    expect(c.stats().malformed).toBe(30);
    expect(log.filter((l) => l.includes('malformed bpftrace line'))).toHaveLength(20);
  });

  it('restarts bpftrace with exponential backoff after it exits and reports each gap', async () => {
    const log: string[] = [];
    const spawns = join(dir, `spawns-${Math.random()}`);
    writeFileSync(spawns, '');
    const { c, events } = fakeCollector('exit', [], log, { FAKE_SPAWN_LOG: spawns });
    await c.start();
    const gaps = await waitFor(() => {
      const g = events.filter((e) => e.kind === 'gap');
      return g.length >= 2 ? g : undefined;
    });
    for (const g of gaps) {
      expect(g).toMatchObject({ kind: 'gap', reason: 'bpftrace exited with code 3' });
      expect((g as { toNs: number }).toNs).toBeGreaterThan((g as { fromNs: number }).fromNs);
    }
    const times = readFileSync(spawns, 'utf8').trim().split('\n').map(Number);
    expect(times.length).toBeGreaterThanOrEqual(3);
    const delays = log
      .map((l) => JSON.parse(l))
      .filter((l) => l.msg === 'restarting bpftrace')
      .map((l) => l.delayMs);
    expect(delays.slice(0, 2)).toEqual([100, 200]);
    // each restart really waited its delay (spawn times include the stand-in's own run)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(100);
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(200);
    expect(c.stats().restarts).toBeGreaterThanOrEqual(2);
  });

  it('keeps restarting when a restart fails before bpftrace even starts (no pipe can be made)', async () => {
    const log: string[] = [];
    const { c, events } = fakeCollector('exit', [], log);
    const tmp = process.env.TMPDIR;
    try {
      await c.start();
      // the output pipe is made in the temp dir: take it away for the first restarts
      process.env.TMPDIR = '/nonexistent/eqld-test';
      await waitFor(() => log.find((l) => l.includes('bpftrace restart failed')));
    } finally {
      if (tmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = tmp;
    }
    const gap = await waitFor(() => events.find((e) => e.kind === 'gap'));
    expect(gap).toMatchObject({ kind: 'gap' });
    const failed = log.map((l) => JSON.parse(l)).find((l) => l.msg === 'bpftrace restart failed');
    expect(failed.err.message).toMatch(/pipe for bpftrace's output in \/nonexistent\/eqld-test/);
  });

  it('rejects start() with bpftrace stderr when it dies before attaching', async () => {
    const { c } = fakeCollector('die-early', [], []);
    await expect(c.start()).rejects.toThrow(CollectorError);
    await expect(
      new Collector({
        logger: logger([]),
        bpftracePath: FAKE,
        program: 'x',
        skipPreconditions: true,
      }).start(),
    ).rejects.toThrow(/could not attach probe/);
  });

  it('stops the stand-in with SIGTERM and reads the final map dump', async () => {
    const { c } = fakeCollector('stay', [], []);
    await c.start();
    const pid = c.bpftracePid!;
    await c.stop();
    expect(c.stats().running).toBe(false);
    expect(c.stats().connectOtherFamilies).toBe(5);
    expect(() => process.kill(pid, 0)).toThrow();
  });

  it('runs without file events when the file program cannot attach, and keeps retrying it', async () => {
    const log: string[] = [];
    const { c } = fakeCollector('stay', [], log, {}, { fileEvents: { program: 'file-fails' } });
    await c.start(); // the process program attached: eqld runs
    expect(c.stats().running).toBe(true);
    await waitFor(() => ((c.stats().file?.restarts ?? 0) >= 2 ? true : undefined));
    expect(c.stats().file?.gaps).toBe(0); // never attached
    expect(log.join('')).toMatch(/running without file events/);
  });

  it('reports the time without file events as a file gap once a retried file program attaches', async () => {
    const marker = join(dir, `file-once-${Math.random()}`);
    const { c, events } = fakeCollector(
      'stay',
      [],
      [],
      {},
      { fileEvents: { program: `file-fails-once:${marker}` } },
    );
    await c.start();
    const gap = await waitFor(() => events.find((e) => e.kind === 'gap'));
    expect(gap).toMatchObject({ kind: 'gap', source: 'file' });
    expect(c.stats().file?.running).toBe(true);
  });
});
