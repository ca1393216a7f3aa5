import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cgroupPathFromProc, containerIdFromCgroup } from '../../src/normalize/container-id.js';
import { argsOf, commandLine, imageFromExec, processName } from '../../src/normalize/ecs-process.js';
import { evaluateEntryLeader, ttyKind } from '../../src/normalize/entry-leader.js';
import { connectOutcome, errnoName } from '../../src/normalize/errno.js';
import { parseCmdline, parseStat, parseStatusIds } from '../../src/normalize/proc-reader.js';
import { entryWithImage, newEntry, type ProcEntry, ProcessTable } from '../../src/normalize/process-table.js';
import { UserDb } from '../../src/normalize/user-db.js';
import {
  type ClockSource,
  IsoMicrosFormatter,
  isoMicros,
  WallClock,
} from '../../src/normalize/wall-clock.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function entry(pid: number, over: Partial<ProcEntry> = {}): ProcEntry {
  return {
    pid,
    startTicks: pid * 10,
    approxStart: false,
    ppid: 1,
    pgid: pid,
    sid: pid,
    ttyNr: 0,
    image: imageFromExec(`/bin/p${pid}`, [`p${pid}`], false, '/'),
    excluded: false,
    source: 'exec',
    lastUsed: 0,
    blocks: undefined,
    ...over,
  };
}

/** every ProcEntry field, own or behind an accessor */
function pick(e: ProcEntry) {
  const {
    pid,
    startTicks,
    approxStart,
    ppid,
    parentTicks,
    pgid,
    sid,
    ttyNr,
    image,
    cwd,
    creds,
    cgroup,
    entryType,
    entryLeader,
    excluded,
    source,
    exitedAtNs,
    lastUsed,
  } = e;
  return {
    pid,
    startTicks,
    approxStart,
    ppid,
    parentTicks,
    pgid,
    sid,
    ttyNr,
    image,
    cwd,
    creds,
    cgroup,
    entryType,
    entryLeader,
    excluded,
    source,
    exitedAtNs,
    lastUsed,
  };
}

describe('ProcessTable', () => {
  it('evicts exited strangers before any live process, oldest exit first', () => {
    const t = new ProcessTable({ maxEntries: 3 });
    const ancestor = entry(1);
    t.insert(ancestor);
    t.insert(entry(2));
    t.markExited(t.get(2)!, 10, 0);
    t.insert(entry(3));
    t.markExited(t.get(3)!, 20, 0);
    t.insert(entry(4));
    expect(t.get(2)).toBeUndefined();
    expect(t.get(3)).toBeDefined();
    t.insert(entry(5));
    expect(t.get(3)).toBeUndefined();
    expect(t.get(1)).toBe(ancestor);
    expect(t.stats()).toMatchObject({ size: 3, evictedExited: 2, evictedLive: 0 });
  });

  it('evicts the least recently used live process when only live ones are left', () => {
    const t = new ProcessTable({ maxEntries: 2 });
    const a = entry(1);
    const b = entry(2);
    t.insert(a);
    t.insert(b);
    t.touch(a); // a is used by a newer event than b
    t.insert(entry(3));
    expect(t.get(1)).toBe(a);
    expect(t.get(2)).toBeUndefined();
    expect(t.stats().evictedLive).toBe(1);
  });

  it('keeps an exited process resolvable by pid and start through pid reuse until its grace ends', () => {
    const t = new ProcessTable({ exitGraceNs: 1_000 });
    const old = entry(7, { startTicks: 100 });
    t.insert(old);
    t.markExited(old, 5_000, 0);
    const reused = entry(7, { startTicks: 200 });
    t.insert(reused);
    expect(t.get(7)).toBe(reused);
    expect(t.get(7, 100)).toBe(old);
    t.expire(5_999);
    expect(t.get(7, 100)).toBe(old);
    t.expire(6_001);
    expect(t.get(7, 100)).toBeUndefined();
    expect(t.get(7, 200)).toBe(reused);
    expect(t.stats().expired).toBe(1);
  });

  it('keeps every exited process of a pid reused several times within the grace period, each until its grace ends', () => {
    const t = new ProcessTable({ exitGraceNs: 1_000, maxEntries: 10 });
    const first = entry(7, { startTicks: 100 });
    const second = entry(7, { startTicks: 200 });
    const third = entry(7, { startTicks: 300 });
    t.insert(first);
    t.markExited(first, 5_000, 0);
    t.insert(second);
    t.markExited(second, 5_500, 0);
    t.insert(third);
    expect([t.get(7, 100), t.get(7, 200), t.get(7, 300), t.get(7)]).toEqual([first, second, third, third]);
    expect(t.get(7, 250)).toBeUndefined();
    expect(t.stats()).toMatchObject({ size: 3, live: 1, exited: 2 });
    t.expire(6_001);
    expect(t.get(7, 100)).toBeUndefined();
    expect(t.get(7, 200)).toBe(second);
    expect(t.stats()).toMatchObject({ size: 2, expired: 1 });
    t.expire(6_501);
    expect(t.get(7, 200)).toBeUndefined();
    expect(t.get(7, 300)).toBe(third);
    expect(t.stats()).toMatchObject({ size: 1, live: 1, exited: 0, expired: 2 });
  });

  it('evicts the oldest exit first also among exited processes sharing a pid', () => {
    const t = new ProcessTable({ maxEntries: 3 });
    const a = entry(7, { startTicks: 100 });
    const b = entry(7, { startTicks: 200 });
    t.insert(a);
    t.markExited(a, 10, 0);
    t.insert(b);
    t.markExited(b, 20, 0);
    t.insert(entry(7, { startTicks: 300 }));
    t.insert(entry(8));
    expect(t.get(7, 100)).toBeUndefined();
    expect(t.get(7, 200)).toBe(b);
    expect(t.stats()).toMatchObject({ size: 3, evictedExited: 1, evictedLive: 0 });
  });

  it('keeps the packed flags, source and entry type of its entries apart', () => {
    const image = imageFromExec('/bin/p', ['p'], false, '/');
    const e = newEntry({
      pid: 5,
      startTicks: 9,
      approxStart: true,
      ppid: 1,
      pgid: 5,
      sid: 5,
      ttyNr: 0,
      image,
      excluded: false,
      source: 'fork',
    });
    expect([e.approxStart, e.excluded, e.source, e.entryType]).toEqual([true, false, 'fork', undefined]);
    for (const type of [
      'init',
      'sshd',
      'ssm',
      'container',
      'terminal',
      'console',
      'unknown',
      undefined,
    ] as const) {
      for (const source of ['proc', 'fork', 'exec', 'event'] as const) {
        for (const [approx, excluded] of [
          [true, false],
          [false, true],
        ]) {
          e.entryType = type;
          e.source = source;
          e.approxStart = approx as boolean;
          e.excluded = excluded as boolean;
          expect([e.approxStart, e.excluded, e.source, e.entryType]).toEqual([
            approx,
            excluded,
            source,
            type,
          ]);
        }
      }
    }
    e.cwd = '/w';
    e.entryLeader = e;
    const other = imageFromExec('/bin/q', ['q'], false, '/');
    const copy = entryWithImage(e, other);
    expect(copy.image).toBe(other);
    expect({ ...pick(copy), image: e.image }).toEqual(pick(e));
  });

  it('matches a fork-time approximate start within one tick', () => {
    const t = new ProcessTable();
    const e = entry(9, { startTicks: 500, approxStart: true });
    t.insert(e);
    expect(t.get(9, 501)).toBe(e);
    expect(t.get(9, 503)).toBeUndefined();
  });
});

describe('entry leaders', () => {
  const find = (m: Map<number, ProcEntry>) => (pid: number) => m.get(pid);

  it.each([
    [
      'a session leader on a virtual console is a terminal entry',
      { ttyNr: (4 << 8) | 1 },
      'login',
      'terminal',
    ],
    ['a session leader whose parent is init is an init entry', { ppid: 1 }, 'systemd', 'init'],
    ['a session leader under sshd is an sshd entry', { ppid: 50 }, 'sshd', 'sshd'],
    [
      'a session leader under ssm-session-worker on a pty is an ssm entry',
      { ppid: 50, ttyNr: 136 << 8 },
      'ssm-session-worker',
      'ssm',
    ],
  ])('%s', (_name, over, parentName, type) => {
    const parent = entry(50, { image: imageFromExec(`/usr/bin/${parentName}`, [parentName], false, '/') });
    const e = entry(100, { ...over });
    evaluateEntryLeader(e, parent, find(new Map([[50, parent]])));
    expect(e.entryLeader).toBe(e);
    expect(e.entryType).toBe(type);
  });

  const HOST_NS = { pidNs: 4026531836, mntNs: 4026531832 };
  const hostNs = { pid: HOST_NS.pidNs, mnt: HOST_NS.mntNs };

  it('starts a container entry where a process runs in other pid and mount namespaces than its parent and the host', () => {
    const parent = entry(50, { image: imageFromExec('/usr/bin/runc', ['runc'], false, '/'), ns: hostNs });
    // not a session leader, any name: a container's init or a process `docker exec` started
    const e = entry(100, { sid: 40, pgid: 40, ns: { pid: 4026532175, mnt: 4026532174 } });
    evaluateEntryLeader(e, parent, find(new Map([[50, parent]])), HOST_NS);
    expect(e.entryLeader).toBe(e);
    expect(e.entryType).toBe('container');
  });

  it('does not take a renamed binary for a container runtime, nor a pid or mount namespace alone for a container', () => {
    // a copy of bash named conmon, in the host's namespaces
    const fake = entry(50, { image: imageFromExec('/tmp/conmon', ['conmon'], false, '/'), ns: hostNs });
    const e = entry(100, { ppid: 50, ns: hostNs });
    evaluateEntryLeader(e, fake, find(new Map([[50, fake]])), HOST_NS);
    expect(e.entryType).toBe('unknown');
    // unshare -p alone (a sandbox): new pid namespace, the host's mounts
    const sandboxed = entry(101, { ppid: 50, ns: { pid: 4026532175, mnt: HOST_NS.mntNs } });
    evaluateEntryLeader(sandboxed, fake, find(new Map([[50, fake]])), HOST_NS);
    expect(sandboxed.entryType).not.toBe('container');
  });

  it('inherits the entry leader from the parent when not a session leader', () => {
    const leader = entry(50, { entryType: 'sshd' });
    leader.entryLeader = leader;
    const e = entry(100, { sid: 50, pgid: 100, ppid: 50 });
    evaluateEntryLeader(e, leader, find(new Map([[50, leader]])));
    expect(e.entryLeader).toBe(leader);
    expect(e.entryType).toBeUndefined();
  });

  it('makes a child of init in no session of its own an init entry, so that its descendants have one', () => {
    // an init that never called setsid (a VM's or container's minimal init) keeps everything in session 0
    const init = entry(1, { ppid: 0, sid: 0, pgid: 0 });
    const service = entry(40, { ppid: 1, sid: 0, pgid: 40 });
    evaluateEntryLeader(service, init, find(new Map([[1, init]])));
    expect(service.entryLeader).toBe(service);
    expect(service.entryType).toBe('init');
    const child = entry(41, { ppid: 40, sid: 0, pgid: 41 });
    evaluateEntryLeader(child, service, find(new Map([[40, service]])));
    expect(child.entryLeader).toBe(service);
    // deeper in the same session-0 tree, not below init: no entry of its own
    const orphanless = entry(42, { ppid: 41, sid: 0, pgid: 42 });
    evaluateEntryLeader(orphanless, undefined, () => undefined);
    expect(orphanless.entryLeader).toBeUndefined();
  });
  it('gives init and kernel threads no entry leader, and sshd under sshd none of its own', () => {
    const init = entry(1, { ppid: 0 });
    evaluateEntryLeader(init, undefined, () => undefined);
    expect(init.entryLeader).toBeUndefined();
    const kthread = entry(30, { ppid: 2 });
    evaluateEntryLeader(kthread, undefined, () => undefined);
    expect(kthread.entryLeader).toBeUndefined();
    const sshd = entry(60, { ppid: 50, image: imageFromExec('/usr/sbin/sshd', ['sshd'], false, '/') });
    const parent = entry(50, { image: imageFromExec('/usr/sbin/sshd', ['sshd'], false, '/') });
    evaluateEntryLeader(sshd, parent, () => undefined);
    expect(sshd.entryType).toBe('unknown');
  });

  it('classifies tty numbers as devices.txt does', () => {
    expect(ttyKind(0)).toBe('none');
    expect(ttyKind((4 << 8) | 2)).toBe('tty');
    expect(ttyKind((5 << 8) | 1)).toBe('console');
    expect(ttyKind((136 << 8) | 3)).toBe('pts');
    expect(ttyKind((4 << 8) | 70)).toBe('other');
  });
});

describe('container ids', () => {
  const id = '8d38b2f18290e973c5ea8f9ee207e970a8aa9191fa89bf3d4ea2a126f2f010a6';
  it.each([
    [`/system.slice/docker-${id}.scope`, id],
    [`/docker/${id}`, id],
    [`/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-${id}.scope`, id],
    [`/kubepods/besteffort/pod0b5b/${id}`, id],
    [`/machine.slice/libpod-${id}.scope/container`, id],
    [`/system.slice/crio-${id}.scope`, id],
    ['/user.slice/user-1000.slice/session-3.scope', undefined],
    [`/system.slice/backup-${id}.service`, undefined],
  ])('%s -> %s', (path, want) => {
    expect(containerIdFromCgroup(path)).toBe(want);
  });

  it('takes the unified cgroup path from /proc/PID/cgroup', () => {
    expect(cgroupPathFromProc('12:cpu:/v1\n0::/system.slice/x.service\n')).toBe('/system.slice/x.service');
    expect(cgroupPathFromProc('4:memory:/docker/abc\n')).toBe('/docker/abc');
  });
});

describe('procfs parsing', () => {
  it('reads stat fields even when comm holds parentheses and spaces', () => {
    const s = parseStat('42 (a) b (c) S 1 42 42 34816 -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 12345 0 0\n');
    expect(s).toEqual({ comm: 'a) b (c', ppid: 1, pgid: 42, sid: 42, ttyNr: 34816, startTicks: 12345 });
    expect(parseStat('garbage')).toBeUndefined();
  });

  it('reads real and effective ids from status and splits cmdline on NUL', () => {
    expect(parseStatusIds('Uid:\t1000\t0\t0\t0\nGid:\t100\t27\t27\t27\n')).toEqual({
      uid: 1000,
      euid: 0,
      gid: 100,
      egid: 27,
    });
    expect(parseCmdline(Buffer.from('a\0b c\0\0'))).toEqual({ args: ['a', 'b c', ''], escaped: false });
    expect(parseCmdline(Buffer.from([0x61, 0xff, 0]))).toEqual({ args: ['a\\xff'], escaped: true });
  });
});

describe('images', () => {
  it('joins args with single spaces like Elastic Defend, and strips " (deleted)" from names only', () => {
    expect(commandLine(['sh', '-c', 'a  b'])).toBe('sh -c a  b');
    expect(processName('/tmp/x (deleted)')).toBe('x');
    expect(processName('/memfd:payload (deleted)')).toBe('memfd:payload');
    expect(imageFromExec('/tmp/x', [], false, '/').resolved).toBeUndefined();
    expect(imageFromExec('../bin/x', [], false, '/home/a/src').resolved).toBe('/home/a/bin/x');
    expect(imageFromExec('x', [], false, undefined).resolved).toBeUndefined();
  });

  it('names processes like path.basename for any path shape', () => {
    for (const p of [
      '',
      '/',
      '//',
      'x',
      '/x',
      'a/b',
      '/a/b/',
      '/a/b//',
      './x',
      '../y/',
      'a b/c d',
      '/usr/bin/é',
    ]) {
      expect(processName(p)).toBe(posix.basename(p));
    }
  });

  it('gives back exactly the argv an image was built from', () => {
    const cases: string[][] = [
      [],
      [''],
      ['', ''],
      ['/bin/sh'],
      ['sh', '-c', 'a  b'],
      [' lead', 'trail ', ' ', 'x'],
      ['sshd: root@pts/0'],
      ['a', '', 'b'],
      ['x'.repeat(70_000), 'y z'],
    ];
    for (const argv of cases) {
      const img = imageFromExec('/bin/x', argv, false, '/');
      expect([...argsOf(img)]).toEqual(argv);
      expect(img.commandLine).toBe(argv.join(' '));
      expect(img.argsCount).toBe(argv.length);
    }
  });
});

describe('errno', () => {
  it('names errnos and maps connect results to outcomes', () => {
    expect(errnoName(111)).toBe('ECONNREFUSED');
    expect(errnoName(100_000)).toBe('E100000');
    expect(connectOutcome(0)).toEqual({ outcome: 'success' });
    expect(connectOutcome(-115)).toEqual({ outcome: 'unknown', errno: 115 });
    expect(connectOutcome(-101)).toEqual({ outcome: 'failure', errno: 101 });
    expect(connectOutcome(-106).outcome).toBe('repoll');
  });
});

describe('UserDb', () => {
  it('re-reads passwd and group when they change, and caches between checks', () => {
    const d = mkdtempSync(join(tmpdir(), 'eqld-users-'));
    dirs.push(d);
    const passwd = join(d, 'passwd');
    const group = join(d, 'group');
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\n');
    writeFileSync(group, 'root:x:0:\n');
    let now = 0;
    const db = new UserDb({
      passwdPath: passwd,
      groupPath: group,
      nssLookup: false,
      recheckMs: 1000,
      now: () => now,
    });
    expect(db.userName('0')).toBe('root');
    expect(db.userName('1001')).toBeUndefined();
    writeFileSync(passwd, 'root:x:0:0::/root:/bin/sh\nbob:x:1001:1001::/home/bob:/bin/sh\n');
    now = 500;
    db.maybeRefresh();
    expect(db.userName('1001')).toBeUndefined();
    now = 1500;
    db.maybeRefresh();
    expect(db.userName('1001')).toBe('bob');
    expect(db.groupName('0')).toBe('root');
    expect(db.stats().reloads).toBe(1);
  });

  it('resolves ids missing from the files through getent, omitting the name until it answers', async () => {
    const d = mkdtempSync(join(tmpdir(), 'eqld-users-'));
    dirs.push(d);
    writeFileSync(join(d, 'passwd'), '');
    writeFileSync(join(d, 'group'), '');
    const db = new UserDb({ passwdPath: join(d, 'passwd'), groupPath: join(d, 'group') });
    // uid 0 is in the system's NSS (files) even though it is not in our passwd file
    expect(db.userName('0')).toBeUndefined();
    for (let i = 0; i < 100 && db.userName('0') === undefined; i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(db.userName('0')).toBe('root');
    expect(db.stats()).toMatchObject({ nssLookups: 1, nssResolved: 1 });
  });
});

describe('WallClock', () => {
  function source(start: { mono: bigint; real: number }) {
    const s = { mono: start.mono, real: start.real, suspended: 0 };
    const src: ClockSource = {
      monoNs: () => s.mono,
      realMs: () => s.real++,
      suspendedMs: () => s.suspended,
    };
    return { s, src };
  }

  it('maps kernel monotonic ns to wall-clock ms through the sampled offset', () => {
    const { src } = source({ mono: 5_000_000_000n, real: 1_000_000 });
    const c = new WallClock({ source: src });
    // sampled at the edge: real 1_000_001 at mono 5000 ms
    expect(c.toEpochMs(5_000_000_000)).toBe(1_000_001);
    expect(c.toEpochMs(5_000_500_000)).toBeCloseTo(1_000_001.5, 6);
  });

  it('re-samples when the wall clock jumps and counts the jump', () => {
    const { s, src } = source({ mono: 5_000_000_000n, real: 1_000_000 });
    const c = new WallClock({ source: src, jumpThresholdMs: 20 });
    s.mono += 1_000_000_000n;
    s.real += 1_000 + 3_600_000; // one second later, and the clock was stepped an hour forward
    c.check();
    expect(c.stats().jumps).toBe(1);
    expect(c.toEpochMs(6_000_000_000) - 1_000_001).toBeGreaterThan(3_600_000);
  });

  it('re-samples periodically without calling it a jump, and shifts boot time by time suspended', () => {
    const { s, src } = source({ mono: 0n, real: 1_000_000 });
    // this fake's wall clock gains 1 ms at every read: a threshold above that drift
    const c = new WallClock({ source: src, resampleMs: 10_000, jumpThresholdMs: 20 });
    s.mono = 11_000_000_000n;
    s.real += 11_000;
    s.suspended = 60_000;
    c.check();
    expect(c.stats()).toMatchObject({ jumps: 0, samples: 2 });
    expect(c.boottimeToEpochMs(0)).toBeCloseTo(c.toEpochMs(0) - 60_000, 3);
  });

  it('throws away a sample whose tick-over it was preempted across, and takes the next tick-over', () => {
    // scripted reads: the first tick-over is seen 30 ms (of monotonic time) after the previous
    // wall-clock read (the sampler lost its CPU there); the second is seen 1 µs after it
    const mono = [0n, 1_000n, 31_000_000n, 31_001_000n, 31_002_000n, 32_000_000n, 32_000_500n, 32_001_000n];
    const real = [1_000_000, 1_000_000, 1_000_001, 1_000_001, 1_000_001, 1_000_002];
    let m = 0;
    let r = 0;
    const src: ClockSource = {
      monoNs: () => mono[Math.min(m++, mono.length - 1)] as bigint,
      realMs: () => real[Math.min(r++, real.length - 1)] as number,
      suspendedMs: () => 0,
    };
    const c = new WallClock({ source: src });
    // the tight try: wall clock 1_000_002 at monotonic 32.0005 ms, not 1_000_001 at 31 ms
    expect(c.toEpochMs(32_000_500)).toBeCloseTo(1_000_002, 6);
    expect(c.stats()).toMatchObject({ samples: 1, coarseSamples: 0 });
  });

  it('follows a wall clock stepped a few ms at a time, and ignores a check preempted between its reads', () => {
    const { s, src } = source({ mono: 5_000_000_000n, real: 1_000_000 });
    const c = new WallClock({ source: src });
    const before = c.toEpochMs(5_200_000_000);
    // 200 ms later the wall clock has been stepped 4 ms ahead of the monotonic clock
    s.mono += 200_000_000n;
    s.real += 200 + 4;
    c.check();
    expect(c.stats().jumps).toBe(1);
    expect(c.toEpochMs(5_200_000_000) - before).toBeGreaterThan(3);
    // a check whose two wall-clock reads are 20 ms apart (preempted between them) is no jump
    let preempted = false;
    const p = { mono: 9_000_000_000n, real: 2_000_000 };
    const d = new WallClock({
      source: {
        monoNs: () => p.mono,
        realMs: () => {
          p.real += preempted ? 20 : 1;
          return p.real;
        },
        suspendedMs: () => 0,
      },
    });
    p.mono += 200_000_000n;
    p.real += 200;
    preempted = true;
    d.check();
    expect(d.stats().jumps).toBe(0);
  });

  it('formats microseconds and rolls the cached date part over at a second boundary', () => {
    expect(isoMicros(Date.UTC(2026, 0, 1, 0, 0, 0) + 0.001)).toBe('2026-01-01T00:00:00.000001Z');
    expect(isoMicros(Date.UTC(2026, 0, 1, 0, 0, 0) + 999.9999)).toBe('2026-01-01T00:00:01.000000Z');
    expect(isoMicros(Date.UTC(2026, 0, 1, 0, 0, 2) + 123.456)).toBe('2026-01-01T00:00:02.123456Z');
  });

  it('formats like Date#toISOString plus microseconds, within a millisecond, across milliseconds and seconds', () => {
    const f = new IsoMicrosFormatter();
    const reference = (ms: number) => {
      const micros = Math.round(ms * 1000);
      const whole = Math.floor(micros / 1000);
      return `${new Date(whole).toISOString().slice(0, -1)}${String(micros - whole * 1000).padStart(3, '0')}Z`;
    };
    const t0 = Date.UTC(2026, 10, 25, 23, 59, 59) + 998.5;
    // steps of 0.3 µs to 1.7 ms: repeats of a millisecond, the next one, a second and a day rolling over
    for (const step of [0.0003, 0.0137, 0.4, 1.7]) {
      for (let i = 0; i < 3000; i++) {
        const ms = t0 + i * step;
        expect(f.format(ms)).toBe(reference(ms));
      }
    }
    for (const ms of [
      0,
      0.0004,
      999.9996,
      Date.UTC(1999, 11, 31, 23, 59, 59) + 999.999,
      Date.UTC(2100, 1, 28, 12),
    ]) {
      expect(new IsoMicrosFormatter().format(ms)).toBe(reference(ms));
    }
  });
});
