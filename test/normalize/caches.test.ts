// The normalizer caches what documents repeat (parent and leader blocks, entity ids, args, start
// times, credentials and cgroups): these tests drive it where a cache could go stale (a process
// that execs again, changes credentials or session, processes that share a cache slot) and
// check every document against what the events said.
import { afterAll, describe, expect, it } from 'vitest';
import { entityId } from '../../src/normalize/entity-id.js';
import { imageFromExec } from '../../src/normalize/proc-image.js';
import { RecentProcesses } from '../../src/normalize/recent-processes.js';
import { mulberry32 } from '../support/prng.js';
import { connect, exec, exit, fork, setsid } from '../support/raw-builders.js';
import { field, HOST, type makeNormalizer, seededNormalizer } from './harness.js';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});
const idOf = (pid: number, ticks: number) => entityId(HOST.id, HOST.bootId, pid, ticks);
/** the seeded login shell's ids (alice): a child that keeps them has no uid_change at exec */
const ALICE = { uid: 1000, euid: 1000, gid: 0, egid: 0 };

/** init (1) and a login shell (100) already running, as /proc shows them */
const seeded = (opts: Parameters<typeof makeNormalizer>[0] = {}) => seededNormalizer(cleanups, opts);

describe('documents through the caches', () => {
  it('give a process that execs again its new image and args in its own later documents', async () => {
    const h = await seeded();
    const p = { pid: 200, startTicks: 1000 };
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      // alice's ids, as the forked child has them: no uid_change
      exec({
        ...p,
        ...ALICE,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/usr/bin/nc',
        argv: ['nc', 'h', '1'],
      }),
      connect({ ...p, ...ALICE, daddr: '127.0.0.1', dport: 1 }),
      connect({ ...p, ...ALICE, daddr: '127.0.0.1', dport: 2 }),
      exec({
        ...p,
        ...ALICE,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/bin/cat',
        argv: ['cat', 'a b', 'c'],
      }),
      connect({ ...p, ...ALICE, daddr: '127.0.0.1', dport: 3 }),
      exit({ ...p }),
    );
    const d = h.docs();
    const image = (i: number) => [
      field(d[i]!, 'process.name'),
      field(d[i]!, 'process.args'),
      field(d[i]!, 'process.args_count'),
      field(d[i]!, 'process.command_line'),
      field(d[i]!, 'process.entity_id'),
    ];
    const nc = ['nc', ['nc', 'h', '1'], 3, 'nc h 1', idOf(200, 1000)];
    const cat = ['cat', ['cat', 'a b', 'c'], 3, 'cat a b c', idOf(200, 1000)];
    expect([1, 2, 3].map(image)).toEqual([nc, nc, nc]);
    expect([4, 5, 6].map(image)).toEqual([cat, cat, cat]);
  });

  it('give each of two processes that ran other images before its own process.previous, as their events interleave', async () => {
    const h = await seeded();
    const a = { pid: 200, startTicks: 1000 };
    const b = { pid: 300, startTicks: 2000 };
    const execOf = (p: typeof a, filename: string, argv: string[]) =>
      exec({ ...p, ...ALICE, ppid: 100, parentStartTicks: 50, filename, argv });
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 300, childStartTicks: 2000 }),
      execOf(a, '/bin/sh', ['sh', '-c', 'nc h 1']),
      execOf(a, '/usr/bin/nc', ['nc', 'h', '1']),
      execOf(b, '/bin/bash', ['bash', 'x y']),
      execOf(b, '/usr/bin/curl', ['curl', 'h']),
      ...[1, 2, 3].flatMap((port) => [
        connect({ ...a, ...ALICE, daddr: '127.0.0.1', dport: port }),
        connect({ ...b, ...ALICE, daddr: '127.0.0.1', dport: port }),
      ]),
      execOf(a, '/bin/cat', ['cat']),
      connect({ ...a, ...ALICE, daddr: '127.0.0.1', dport: 4 }),
      connect({ ...b, ...ALICE, daddr: '127.0.0.1', dport: 4 }),
      // b again, its events back to back: one more image, no other process's event in between
      execOf(b, '/bin/true', ['true']),
      connect({ ...b, ...ALICE, daddr: '127.0.0.1', dport: 5 }),
    );
    const previous = (doc: Record<string, unknown>) => [
      field(doc, 'process.pid'),
      field(doc, 'process.previous'),
    ];
    // the image forked from the login shell comes first (the child ran it until its exec)
    const shell = { executable: '/usr/bin/bash', args: ['-bash'], args_count: 1 };
    const aBefore = [shell, { executable: '/bin/sh', args: ['sh', '-c', 'nc h 1'], args_count: 3 }];
    const bBefore = [shell, { executable: '/bin/bash', args: ['bash', 'x y'], args_count: 2 }];
    const connects = h.docs().filter((d) => field(d, 'event.category')?.toString() === 'network');
    expect(connects.map(previous)).toEqual([
      [200, aBefore],
      [300, bBefore],
      [200, aBefore],
      [300, bBefore],
      [200, aBefore],
      [300, bBefore],
      [200, [...aBefore, { executable: '/usr/bin/nc', args: ['nc', 'h', '1'], args_count: 3 }]],
      [300, bBefore],
      [300, [...bBefore, { executable: '/usr/bin/curl', args: ['curl', 'h'], args_count: 2 }]],
    ]);
  });

  it('give the children of a process that execs again, or changes credentials, its new parent and leader fields', async () => {
    const h = await seeded();
    const lead = { pid: 200, startTicks: 1000 };
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      setsid({ ...lead, uid: 1000, euid: 1000 }),
      exec({
        ...lead,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/bin/sh',
        argv: ['sh'],
        uid: 1000,
        euid: 1000,
      }),
      fork({ parentPid: 200, parentStartTicks: 1000, childPid: 300, childStartTicks: 1001 }),
      connect({ pid: 300, startTicks: 1001, daddr: '127.0.0.1', dport: 1 }),
      exec({
        ...lead,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/usr/bin/python3',
        argv: ['python3', '-c', 'print(1)'],
        uid: 1000,
        euid: 0,
      }),
      fork({ parentPid: 200, parentStartTicks: 1000, childPid: 301, childStartTicks: 1002 }),
      connect({ pid: 301, startTicks: 1002, daddr: '127.0.0.1', dport: 2 }),
      connect({ pid: 300, startTicks: 1001, daddr: '127.0.0.1', dport: 3 }),
    );
    const d = h.docs();
    const related = (doc: Record<string, unknown>) =>
      ['parent', 'group_leader', 'session_leader'].map((r) => [
        field(doc, `process.${r}.name`),
        field(doc, `process.${r}.args`),
        field(doc, `process.${r}.user.id`),
      ]);
    const sh = ['sh', ['sh'], '1000'];
    const py = ['python3', ['python3', '-c', 'print(1)'], '0'];
    expect(field(d[4]!, 'process.pid')).toBe(300);
    expect(related(d[4]!)).toEqual([sh, sh, sh]);
    // the exec to euid 0 is also a uid_change (d[6])
    expect(field(d[6]!, 'event.action')).toBe('uid_change');
    expect(field(d[8]!, 'process.pid')).toBe(301);
    expect(related(d[8]!)).toEqual([py, py, py]);
    // the older child too: its parent's block is rebuilt, not the one cached before the exec
    expect(field(d[9]!, 'process.pid')).toBe(300);
    expect(related(d[9]!)).toEqual([py, py, py]);
    // the entry leader (the login shell, an init entry) execs another shell
    h.push(
      exec({
        pid: 100,
        startTicks: 50,
        ppid: 1,
        parentStartTicks: 1,
        filename: '/usr/bin/zsh',
        argv: ['zsh', '-l'],
        uid: 1000,
        euid: 1000,
      }),
      connect({ pid: 300, startTicks: 1001, daddr: '127.0.0.1', dport: 4 }),
    );
    const entry = (doc: Record<string, unknown>) =>
      ['pid', 'name', 'args', 'entry_meta.type'].map((f) => field(doc, `process.entry_leader.${f}`));
    expect(entry(d[9]!)).toEqual([100, 'bash', ['-bash'], 'init']);
    expect(entry(h.docs()[11]!)).toEqual([100, 'zsh', ['zsh', '-l'], 'init']);
  });

  it('keep every document right when thousands of processes share the cache slots', async () => {
    const h = await seeded();
    const rnd = mulberry32(7);
    interface Model {
      pid: number;
      ticks: number;
      argv: string[];
      ppid: number;
      parentTicks: number;
    }
    const bash: Model = { pid: 100, ticks: 50, argv: ['-bash'], ppid: 1, parentTicks: 1 };
    const live: Model[] = [bash];
    const init: Model = { pid: 1, ticks: 1, argv: ['/sbin/init'], ppid: 0, parentTicks: 0 };
    const byPid = new Map<number, Model>([
      [1, init],
      [100, bash],
    ]);
    const pick = () => live[Math.floor(rnd() * live.length)] as Model;
    const argvOf = (k: number): string[] => {
      const words = ['ls', '-la', `/srv/data ${k % 7}`, `--n=${k}`, ''];
      return words.slice(0, 1 + (k % 5));
    };
    interface Want {
      pid: number;
      ticks: number;
      argv: string[];
      parentId: string | undefined;
      parentArgs: string[] | undefined;
    }
    const expected: Want[] = [];
    // what a document of `p` must say, as the events so far tell it
    const want = (p: Model, argv = p.argv): Want => {
      const parent = byPid.get(p.ppid);
      return {
        pid: p.pid,
        ticks: p.ticks,
        argv,
        parentId: parent ? idOf(parent.pid, parent.ticks) : undefined,
        parentArgs: parent?.argv,
      };
    };
    let nextPid = 1000;
    let ktimeNs = 2e9;
    for (let k = 0; k < 4000; k++) {
      ktimeNs += 1000;
      const r = rnd();
      if (r < 0.35 || live.length < 3) {
        const parent = pick();
        const child: Model = {
          pid: nextPid++,
          ticks: 2000 + k,
          argv: argvOf(k),
          ppid: parent.pid,
          parentTicks: parent.ticks,
        };
        h.push(
          fork({
            parentPid: parent.pid,
            parentStartTicks: parent.ticks,
            childPid: child.pid,
            childStartTicks: child.ticks,
            ktimeNs,
          }),
        );
        expected.push(want(child, parent.argv));
        h.push(
          exec({
            pid: child.pid,
            startTicks: child.ticks,
            ppid: parent.pid,
            parentStartTicks: parent.ticks,
            filename: '/usr/bin/x',
            argv: child.argv,
            ktimeNs: ktimeNs + 1,
            ...ALICE,
          }),
        );
        live.push(child);
        byPid.set(child.pid, child);
        expected.push(want(child));
      } else if (r < 0.5) {
        const p = pick();
        if (p === bash) continue;
        p.argv = argvOf(k + 1);
        h.push(
          exec({
            pid: p.pid,
            startTicks: p.ticks,
            ppid: p.ppid,
            parentStartTicks: p.parentTicks,
            filename: '/usr/bin/y',
            argv: p.argv,
            ktimeNs,
            ...ALICE,
          }),
        );
        expected.push(want(p));
      } else if (r < 0.9) {
        const p = pick();
        h.push(connect({ pid: p.pid, startTicks: p.ticks, daddr: '10.0.0.1', dport: k, ktimeNs, ...ALICE }));
        expected.push(want(p));
      } else {
        const p = pick();
        if (p === bash) continue;
        live.splice(live.indexOf(p), 1);
        h.push(exit({ pid: p.pid, startTicks: p.ticks, ktimeNs }));
        expected.push(want(p));
      }
    }
    const d = h.docs();
    expect(d).toHaveLength(expected.length);
    expect(live.length).toBeGreaterThan(300);
    d.forEach((doc, i) => {
      const w = expected[i]!;
      const got = {
        entityId: field(doc, 'process.entity_id'),
        args: field(doc, 'process.args'),
        count: field(doc, 'process.args_count'),
        commandLine: field(doc, 'process.command_line'),
        parentId: field(doc, 'process.parent.entity_id'),
        parentArgs: field(doc, 'process.parent.args'),
      };
      expect(got).toEqual({
        entityId: idOf(w.pid, w.ticks),
        args: w.argv,
        count: w.argv.length,
        commandLine: w.argv.join(' '),
        parentId: w.parentId,
        parentArgs: w.parentArgs,
      });
    });
  });
});

describe('documents built by constructors', () => {
  it('are plain objects holding exactly the fields they serialize, for every kind of event', async () => {
    const h = await seeded({ udpConnects: true });
    const p = { pid: 200, startTicks: 1000 };
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({
        ...p,
        ppid: 100,
        parentStartTicks: 50,
        filename: './x.sh',
        argv: ['x.sh'],
        argvTruncated: true,
      }),
      setsid({ ...p }),
      connect({ ...p, daddr: '127.0.0.1', dport: 1, ret: -111 }),
      connect({ ...p, daddr: '::1', dport: 2, socketType: 'dgram' }),
      exit({ ...p, exitCode: 1 }),
      // a process the table never saw: unresolved, no parent block
      connect({ pid: 999, startTicks: 9, daddr: '127.0.0.1', dport: 3 }),
    );
    const plain = (v: unknown): void => {
      if (Array.isArray(v)) {
        for (const x of v) plain(x);
        return;
      }
      if (v === null || typeof v !== 'object') return;
      expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
      for (const [k, x] of Object.entries(v)) {
        expect(x, k).not.toBeUndefined();
        plain(x);
      }
    };
    const d = h.docs();
    // the exec as root after alice's fork is a uid_change too
    expect(d.map((x) => field(x, 'event.action'))).toEqual([
      'fork',
      'exec',
      'uid_change',
      'session_id_change',
      'connection_attempted',
      'connection_attempted',
      'end',
      'connection_attempted',
    ]);
    for (const doc of d) {
      plain(doc);
      expect(JSON.parse(JSON.stringify(doc))).toStrictEqual(doc);
    }
  });
});

describe('RecentProcesses', () => {
  const encode = (pid: number, ticks: number) => entityId(HOST.id, HOST.bootId, pid, ticks);

  it('gives each of many processes its own id and args, whichever slot they share', () => {
    const recent = new RecentProcesses(encode);
    const images = Array.from({ length: 3000 }, (_, i) =>
      imageFromExec('/bin/x', ['x', String(i)], false, '/'),
    );
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < images.length; i++) {
        expect(recent.entityId(i, 7)).toBe(encode(i, 7));
        expect(recent.argsOf(i, 7, images[i]!)).toEqual(['x', String(i)]);
      }
    }
  });

  it('cuts the args again when the process runs another image, and reuses an exec argv for its own image only', () => {
    const recent = new RecentProcesses(encode);
    const a = imageFromExec('/bin/a', ['a', '1'], false, '/');
    const b = imageFromExec('/bin/b', ['b', '2'], false, '/');
    const argv = ['a', '1'];
    recent.rememberArgs(5, 9, a, argv);
    expect(recent.argsOf(5, 9, a)).toBe(argv);
    expect(recent.argsOf(5, 9, b)).toEqual(['b', '2']);
    // same pid, another start tick: another process
    expect(recent.argsOf(5, 10, a)).not.toBe(argv);
    expect(recent.argsOf(5, 10, a)).toEqual(['a', '1']);
    expect(recent.entityId(5, 10)).toBe(encode(5, 10));
    expect(recent.entityId(5, 9)).toBe(encode(5, 9));
  });
});
