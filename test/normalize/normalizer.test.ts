import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { decodeEntityId, entityId } from '../../src/normalize/entity-id.js';
import { connect, exec, exit, fork, gap, lost, setsid, startNsOf } from '../support/raw-builders.js';
import { fakeProcRoot, field, HOST, makeNormalizer, seededNormalizer } from './harness.js';

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});
const idOf = (pid: number, ticks: number) => entityId(HOST.id, HOST.bootId, pid, ticks);

/** init (1) and a login shell (100) already running, as /proc shows them */
const seeded = (opts: Parameters<typeof makeNormalizer>[0] = {}) => seededNormalizer(cleanups, opts);

const SH = { pid: 200, startTicks: 1000 };
/** the seeded login shell's ids (alice): a child that keeps them has no uid_change at exec */
const ALICE = { uid: 1000, euid: 1000, gid: 0, egid: 0 };

describe('process events', () => {
  it('maps exec, fork, exit and setsid to Elastic Defend actions, types and datasets', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      setsid({ ...SH }),
      exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: '/bin/sh', argv: ['sh', '-c', 'true'] }),
      exit({ ...SH, exitCode: 3 }),
    );
    const d = h.docs();
    expect(
      d.map((x) => [field(x, 'event.action'), field(x, 'event.type'), field(x, 'event.category')]),
    ).toEqual([
      ['fork', ['start'], ['process']],
      ['session_id_change', ['change'], ['process']],
      ['exec', ['start'], ['process']],
      ['end', ['end'], ['process']],
    ]);
    for (const x of d) {
      expect(field(x, 'event.kind')).toBe('event');
      expect(field(x, 'event.dataset')).toBe('endpoint.events.process');
      expect(field(x, 'data_stream')).toEqual({
        type: 'logs',
        dataset: 'endpoint.events.process',
        namespace: 'default',
      });
      expect(field(x, 'host.os.type')).toBe('linux');
      expect(field(x, 'host.id')).toBe(HOST.id);
    }
    expect(field(d[3]!, 'process.exit_code')).toBe(3);
    expect(field(d[3]!, 'process.end')).toBe(field(d[3]!, '@timestamp'));
  });

  it('keeps process.entity_id across setsid and exec (the PAM_EXEC rule joins on it)', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      setsid({ ...SH }),
      exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: '/bin/sh' }),
      exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: '/usr/bin/id' }),
    );
    const ids = new Set(h.docs().map((x) => field(x, 'process.entity_id')));
    expect([...ids]).toEqual([idOf(200, 1000)]);
    expect(decodeEntityId([...ids][0] as string)).toMatchObject({ pid: 200, startTicks: 1000 });
  });

  it("reports a fork child with the parent's image until it execs", async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 9 }),
      exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: '/usr/bin/curl', argv: ['curl', 'x'] }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 9 }),
    );
    const d = h.docs();
    expect(field(d[0]!, 'process.executable')).toBe('/usr/bin/bash');
    expect(field(d[0]!, 'process.args')).toEqual(['-bash']);
    expect(field(d[0]!, 'process.parent.entity_id')).toBe(idOf(100, 50));
    expect(field(d[1]!, 'process.name')).toBe('bash');
    expect(field(d[3]!, 'process.name')).toBe('curl');
    expect(field(d[3]!, 'process.command_line')).toBe('curl x');
    expect(field(d[3]!, 'process.parent.name')).toBe('bash');
  });

  it('reports the exec path as given and the cwd-resolved path in process.Ext.resolved_executable', async () => {
    const h = await seeded();
    h.push(exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: './x.sh', cwd: '/tmp/w' }));
    const d = h.docs()[0]!;
    expect(field(d, 'process.executable')).toBe('./x.sh');
    expect(field(d, 'process.name')).toBe('x.sh');
    expect(field(d, 'process.Ext.resolved_executable')).toBe('/tmp/w/x.sh');
    expect(field(d, 'process.working_directory')).toBe('/tmp/w');
  });

  it('reports the kernel argc as process.args_count when the argv was cut, and the kept args in process.args', async () => {
    const h = await seeded();
    const argv = ['sh', '-c', 'x'.repeat(40)];
    h.push(
      exec({
        ...SH,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/bin/sh',
        argv,
        argvTruncated: true,
        argc: 8,
      }),
    );
    const d = h.docs()[0]!;
    expect(field(d, 'process.args')).toEqual(argv);
    expect(field(d, 'process.args_count')).toBe(8);
    expect(field(d, 'process.Ext.command_line_truncated')).toBe(true);
    // not cut: the args themselves are the count
    h.push(
      exec({ pid: 300, startTicks: 2000, ppid: 100, parentStartTicks: 50, filename: '/bin/id', argc: 1 }),
    );
    expect(field(h.docs()[1]!, 'process.args_count')).toBe(1);
  });

  it('marks byte-escaped strings in process.Ext.bytes_escaped, for the process and as a parent', async () => {
    const h = await seeded();
    h.push(
      exec({
        ...SH,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/tmp/\\xff',
        argv: ['\\xff', '\\xff\\xfe\\x80'],
        bytesEscaped: true,
      }),
      fork({ parentPid: 200, parentStartTicks: 1000, childPid: 201, childStartTicks: 1001 }),
      exec({ pid: 201, startTicks: 1001, ppid: 200, parentStartTicks: 1000, filename: '/bin/true' }),
    );
    const [escaped, , child] = h.docs();
    expect(field(escaped!, 'process.args')).toEqual(['\\xff', '\\xff\\xfe\\x80']);
    expect(field(escaped!, 'process.Ext.bytes_escaped')).toBe(true);
    expect(field(child!, 'process.Ext')).toBeUndefined();
    expect(field(child!, 'process.parent.Ext.bytes_escaped')).toBe(true);
    expect(field(child!, 'process.parent.name')).toBe('\\xff');
  });

  it('reads the cwd of an exec from /proc, but not for a process the collector already saw exit', () => {
    // two processes /proc still shows (a fake one), neither known to the table yet
    const proc = fakeProcRoot(
      [300, 301].map((pid) => ({ pid, comm: 'id', ppid: 1, startTicks: 70, cwd: '/srv' })),
    );
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({ procRoot: proc.root, procFallback: true });
    const run = { startTicks: 70, ppid: 1, parentStartTicks: 1, filename: '/usr/bin/id', argv: ['id'] };
    h.push(exec({ ...run, pid: 300 }), exec({ ...run, pid: 301, exitedBeforeRelease: true }));
    const [live, gone] = h.docs();
    expect(field(live!, 'process.working_directory')).toBe('/srv');
    expect(field(gone!, 'process.working_directory')).toBeUndefined();
  });

  it('takes effective ids for user.* and real ids for user.Ext.real and process.real_user', async () => {
    const h = await seeded();
    h.push(
      exec({
        ...SH,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/usr/bin/su',
        uid: 1000,
        gid: 1000,
        euid: 0,
        egid: 27,
      }),
    );
    const d = h.docs()[0]!;
    expect(field(d, 'user')).toEqual({ id: '0', name: 'root', Ext: { real: { id: '1000', name: 'alice' } } });
    expect(field(d, 'group')).toEqual({
      id: '27',
      name: 'sudo',
      Ext: { real: { id: '1000', name: 'alice' } },
    });
    expect(field(d, 'process.user')).toEqual({ id: '0', name: 'root' });
    expect(field(d, 'process.real_user')).toEqual({ id: '1000', name: 'alice' });
  });

  it('omits the name of an id that is in neither passwd nor NSS instead of guessing', async () => {
    const h = await seeded();
    h.push(exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: '/bin/true', uid: 54321, euid: 54321 }));
    expect(field(h.docs()[0]!, 'user')).toEqual({ id: '54321', Ext: { real: { id: '54321' } } });
  });

  it('derives the session from the event when given, else from the parent, and names the leaders', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({ ...SH, ...ALICE, ppid: 100, parentStartTicks: 50, filename: '/bin/ls' }),
      exec({ pid: 300, startTicks: 1001, ppid: 100, parentStartTicks: 50, filename: '/bin/ps', sid: 300 }),
    );
    const [, ls, ps] = h.docs();
    expect(field(ls!, 'process.session_leader')).toMatchObject({
      pid: 100,
      name: 'bash',
      entity_id: idOf(100, 50),
    });
    expect(field(ls!, 'process.session_leader.same_as_process')).toBe(false);
    expect(field(ls!, 'process.entry_leader')).toMatchObject({ pid: 100, entry_meta: { type: 'init' } });
    expect(field(ps!, 'process.session_leader')).toMatchObject({ pid: 300, same_as_process: true });
  });
});

describe('ancestry (for alerts)', () => {
  it('lists the ancestors of a process nearest first, as parent blocks, up to pid 1', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: '/bin/sh', argv: ['sh', '-c', 'x'] }),
      fork({ parentPid: 200, parentStartTicks: 1000, childPid: 300, childStartTicks: 1001 }),
      exec({ pid: 300, startTicks: 1001, ppid: 200, parentStartTicks: 1000, filename: '/usr/bin/nc' }),
    );
    const nc = h.docs().at(-1) as Record<string, unknown>;
    const chain = h.n.ancestry(field(nc, 'process.entity_id') as string);
    expect(chain.map((a) => [a.pid, a.entity_id, a.executable])).toEqual([
      [200, idOf(200, 1000), '/bin/sh'],
      [100, idOf(100, 50), '/usr/bin/bash'],
      [1, idOf(1, 1), '/usr/lib/systemd/systemd'],
    ]);
    // the same block the event names as its parent
    expect(chain[0]).toEqual(field(nc, 'process.parent'));
    expect(chain[1]).toMatchObject({ command_line: '-bash', user: { id: '1000', name: 'alice' } });
    expect(h.n.ancestry(field(nc, 'process.entity_id') as string, 2)).toHaveLength(2);
  });

  it('ends with a pid-and-id stub where the table lacks the parent, and knows no foreign ids', async () => {
    const h = makeNormalizer();
    h.push(exec({ pid: 500, startTicks: 900, ppid: 77, parentStartTicks: 800, filename: '/bin/x' }));
    const x = field(h.docs()[0]!, 'process.entity_id') as string;
    expect(h.n.ancestry(x)).toEqual([{ pid: 77, entity_id: idOf(77, 800), start: expect.any(String) }]);
    expect(h.n.ancestry(entityId('f'.repeat(32), HOST.bootId, 500, 900))).toEqual([]);
    expect(h.n.ancestry('not an id')).toEqual([]);
    expect(h.n.ancestry(idOf(501, 900))).toEqual([]);
  });
});

describe('network events', () => {
  it('reports TCP connects with outcome success, failure (errno) and unknown (EINPROGRESS)', async () => {
    const h = await seeded();
    h.push(
      connect({ pid: 100, startTicks: 50, daddr: '127.0.0.1', dport: 1, ret: 0 }),
      connect({ pid: 100, startTicks: 50, daddr: '127.0.0.1', dport: 2, ret: -111 }),
      connect({ pid: 100, startTicks: 50, daddr: '127.0.0.1', dport: 3, ret: -115 }),
      connect({ pid: 100, startTicks: 50, daddr: '127.0.0.1', dport: 3, ret: -114 }),
    );
    const d = h.docs();
    expect(d.map((x) => field(x, 'event.outcome'))).toEqual(['success', 'failure', 'unknown']);
    expect(field(d[1]!, 'error.code')).toBe('ECONNREFUSED');
    expect(field(d[2]!, 'error')).toBeUndefined();
    expect(h.n.stats().droppedRepoll).toBe(1);
    for (const x of d) {
      expect(field(x, 'event.action')).toBe('connection_attempted');
      expect(field(x, 'event.category')).toEqual(['network']);
      expect(field(x, 'event.type')).toEqual(['start']);
      expect(field(x, 'event.dataset')).toBe('endpoint.events.network');
      expect(field(x, 'network')).toEqual({ direction: 'egress', transport: 'tcp', type: 'ipv4' });
      expect(field(x, 'process.entity_id')).toBe(idOf(100, 50));
      expect(field(x, 'process.executable')).toBe('/usr/bin/bash');
    }
  });

  it('normalizes IPv4-mapped IPv6 to IPv4 and compresses IPv6', async () => {
    const h = await seeded();
    h.push(
      connect({ pid: 100, startTicks: 50, daddr: '::ffff:10.1.2.3', dport: 80, family: 'ipv6' }),
      connect({ pid: 100, startTicks: 50, daddr: '0:0:0:0:0:0:0:1', dport: 80, family: 'ipv6' }),
    );
    const [a, b] = h.docs();
    expect(field(a!, 'destination')).toEqual({ address: '10.1.2.3', ip: '10.1.2.3', port: 80 });
    expect(field(a!, 'network.type')).toBe('ipv4');
    expect(field(b!, 'destination.ip')).toBe('::1');
    expect(field(b!, 'network.type')).toBe('ipv6');
  });

  it('drops UDP connects by default and reports them with udpConnects', async () => {
    const off = await seeded();
    off.push(connect({ pid: 100, startTicks: 50, daddr: '127.0.0.53', dport: 53, socketType: 'dgram' }));
    expect(off.docs()).toHaveLength(0);
    expect(off.n.stats().droppedUdp).toBe(1);
    const on = await seeded({ udpConnects: true });
    on.push(connect({ pid: 100, startTicks: 50, daddr: '127.0.0.53', dport: 53, socketType: 'dgram' }));
    expect(field(on.docs()[0]!, 'network.transport')).toBe('udp');
  });

  it('fully enriches a connect that arrives after its process exited, within the grace period', async () => {
    const h = await seeded({ exitGraceMs: 1_000 });
    h.push(
      exec({
        ...SH,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/usr/bin/nc',
        argv: ['nc', 'h', '1'],
        ktimeNs: 5e9,
      }),
      exit({ ...SH, ktimeNs: 5.0001e9 }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 1, ktimeNs: 5.0002e9 }),
      // past the grace period the entry is gone: a late event says what it could not resolve
      connect({ pid: 100, startTicks: 50, daddr: '127.0.0.1', dport: 1, ktimeNs: 7e9 }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 2, ktimeNs: 7.1e9, comm: 'nc' }),
    );
    const d = h.docs();
    expect(field(d[2]!, 'process.args')).toEqual(['nc', 'h', '1']);
    expect(field(d[2]!, 'process.parent.name')).toBe('bash');
    expect(field(d[2]!, 'eqld')).toBeUndefined();
    expect(field(d[4]!, 'eqld.unresolved')).toEqual(['process']);
    expect(field(d[4]!, 'process.entity_id')).toBe(idOf(200, 1000));
    expect(field(d[4]!, 'process.name')).toBe('nc');
  });
});

describe('every event', () => {
  it('has a unique event.id, a strictly increasing event.sequence and @timestamp from the kernel clock', async () => {
    const h = await seeded();
    for (let i = 0; i < 50; i++) {
      h.push(
        connect({
          pid: 100,
          startTicks: 50,
          daddr: '127.0.0.1',
          dport: i,
          ktimeNs: 1_000_000_000_000 + i * 1000,
        }),
      );
    }
    const d = h.docs();
    expect(new Set(d.map((x) => field(x, 'event.id'))).size).toBe(50);
    const seqs = h.out.map((e) => e.sequence);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]!).toBeGreaterThan(seqs[i - 1]!);
    // mono 1000 s = 2026-11-25T16:00:00Z in the fixed clock; +1 µs per event
    expect(field(d[0]!, '@timestamp')).toBe('2026-11-25T16:00:00.000000Z');
    expect(field(d[7]!, '@timestamp')).toBe('2026-11-25T16:00:00.000007Z');
    expect(h.out[0]!.timestamp).toBe(Date.UTC(2026, 10, 25, 16, 0, 0));
    // process.start from start_boottime: tick 50 = boot + 0.5 s, boot = 16:00:00 - 1000 s
    expect(field(d[0]!, 'process.start')).toBe('2026-11-25T15:43:20.500000Z');
  });

  it('round-trips arbitrary argv, filename and cwd strings through JSON unchanged', async () => {
    const h = await seeded();
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }),
        fc.string({ unit: 'binary' }),
        (argv, name) => {
          h.out.length = 0;
          h.push(
            exec({ ...SH, ppid: 100, parentStartTicks: 50, filename: `/tmp/${name}`, argv, cwd: `/${name}` }),
          );
          const doc = h.docs()[0]!;
          const back = JSON.parse(JSON.stringify(doc));
          expect(back).toEqual(doc);
          expect(field(back, 'process.args')).toEqual(argv);
          expect(field(back, 'process.executable')).toBe(`/tmp/${name}`);
          expect(field(back, 'process.args_count')).toBe(argv.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('excludePids', () => {
  it('keeps an excluded process and all its descendants out of the stream, counting them', async () => {
    const h = await seeded({ excludePids: (pid) => pid === 100 });
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({ ...SH, ...ALICE, ppid: 100, parentStartTicks: 50, filename: '/usr/bin/bpftrace' }),
      fork({ parentPid: 200, parentStartTicks: 1000, childPid: 201, childStartTicks: 1001 }),
      exec({ pid: 201, startTicks: 1001, ppid: 200, parentStartTicks: 1000, filename: '/bin/sh', ...ALICE }),
      connect({ pid: 201, startTicks: 1001, daddr: '127.0.0.1', dport: 1 }),
      exit({ pid: 201, startTicks: 1001 }),
      // an unrelated process still shows
      exec({ pid: 400, startTicks: 1002, ppid: 1, parentStartTicks: 1, filename: '/bin/date' }),
    );
    expect(h.docs().map((x) => field(x, 'process.pid'))).toEqual([400]);
    expect(h.n.stats().excluded).toBe(6);
  });

  it('excludes this process and its children by default', async () => {
    const proc = fakeProcRoot([
      { pid: 1, comm: 'systemd', ppid: 0, startTicks: 1, exe: '/sbin/init' },
      { pid: process.pid, comm: 'node', ppid: 1, startTicks: 20, exe: '/usr/bin/node' },
    ]);
    cleanups.push(proc.cleanup);
    const { excludePids: _drop, ...rest } = { excludePids: undefined };
    const h = makeNormalizer({ procRoot: proc.root, ...rest });
    // makeNormalizer's default excludes nothing; rebuild without the override
    const { Normalizer } = await import('../../src/normalize/normalizer.js');
    const n = new Normalizer({
      host: HOST,
      logger: (await import('pino')).default({ level: 'silent' }),
      procRoot: proc.root,
      procFallback: false,
    });
    await n.seedFromProc();
    const seen: unknown[] = [];
    n.onEvent((e) => seen.push(e.doc));
    n.push(fork({ parentPid: process.pid, parentStartTicks: 20, childPid: 777, childStartTicks: 30 }));
    n.push(
      exec({
        pid: 777,
        startTicks: 30,
        ppid: process.pid,
        parentStartTicks: 20,
        filename: '/usr/bin/bpftrace',
      }),
    );
    n.push(exec({ pid: 778, startTicks: 31, ppid: 1, parentStartTicks: 1, filename: '/bin/true' }));
    expect(seen.map((d) => field(d as Record<string, unknown>, 'process.pid'))).toEqual([778]);
    expect(h.docs()).toHaveLength(0);
  });
});

describe('eqld in a pid namespace of its own (/proc numbers processes unlike the kernel)', () => {
  it("reads no process facts from /proc: no seeding, no already_running, no fallback by an event's pid", async () => {
    // this /proc is the container's: its pid 500 is not the kernel's pid 500
    const proc = fakeProcRoot([
      { pid: 1, comm: 'systemd', ppid: 0, startTicks: 1, exe: '/usr/lib/systemd/systemd' },
      { pid: 500, comm: 'bash', ppid: 1, startTicks: 40, exe: '/usr/bin/bash' },
    ]);
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({
      host: { ...HOST, pidNs: 4026531836, foreignPidNamespace: 4026532243 },
      procRoot: proc.root,
      procFallback: undefined,
      alreadyRunning: true,
    });
    await h.n.seedFromProc();
    expect(h.docs()).toHaveLength(0);
    expect(h.n.stats().table.live).toBe(0);
    // kernel pid 500 (another process than the container's bash) execs: its parent, kernel pid 1,
    // is not taken from this /proc either
    h.push(exec({ pid: 500, startTicks: 40, ppid: 1, parentStartTicks: 1, filename: '/usr/bin/perl' }));
    const [d] = h.docs();
    expect(field(d as Record<string, unknown>, 'process.executable')).toBe('/usr/bin/perl');
    expect(field(d as Record<string, unknown>, 'process.parent.executable')).toBeUndefined();
    expect(h.n.stats().procFallbackHits).toBe(0);
  });

  it('reads /proc in the initial namespace (the same fixture seeds the table)', async () => {
    const proc = fakeProcRoot([
      { pid: 1, comm: 'systemd', ppid: 0, startTicks: 1, exe: '/usr/lib/systemd/systemd' },
      { pid: 500, comm: 'bash', ppid: 1, startTicks: 40, exe: '/usr/bin/bash' },
    ]);
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({ procRoot: proc.root, procFallback: undefined, alreadyRunning: true });
    await h.n.seedFromProc();
    expect(h.docs().map((d) => field(d as Record<string, unknown>, 'event.action'))).toEqual([
      'already_running',
      'already_running',
    ]);
  });
});

describe('lost and gap', () => {
  it('counts lost records and gaps in stats (no document) and re-seeds the table after a gap', async () => {
    const procs = [{ pid: 1, comm: 'systemd', ppid: 0, startTicks: 1, exe: '/sbin/init' }];
    const proc = fakeProcRoot(procs);
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({ procRoot: proc.root });
    await h.n.seedFromProc();
    h.push(lost(7), lost(3), gap(1e9, 2e9));
    expect(h.docs()).toHaveLength(0);
    const s = h.n.stats();
    expect(s.lostRecords).toBe(10);
    expect(s.gaps).toBe(1);
    expect(s.lastGap).toEqual({ fromNs: 1e9, toNs: 2e9, reason: 'bpftrace restarted' });
    expect(s.reseeds).toBe(1);
  });
});

describe('the process table under load', () => {
  it('stays under its cap through 1M short-lived processes and counts evictions', () => {
    const cap = 4096;
    const h = makeNormalizer({ maxProcesses: cap, exitGraceMs: 10_000 });
    h.n.onEvent(() => {});
    h.out.length = 0;
    let emitted = 0;
    h.n.onEvent(() => {
      emitted++;
    });
    // a long-lived parent that every child names
    h.push(
      exec({ pid: 10, startTicks: 1, ppid: 1, parentStartTicks: 0, filename: '/usr/sbin/cron', ktimeNs: 1 }),
    );
    const N = 1_000_000;
    let t = 2e9;
    for (let i = 0; i < N; i++) {
      const pid = 1000 + (i % 30000);
      const ticks = 200 + i;
      t += 1000;
      h.n.push(
        fork({ parentPid: 10, parentStartTicks: 1, childPid: pid, childStartTicks: ticks, ktimeNs: t }),
      );
      h.n.push(
        exec({
          pid,
          startTicks: ticks,
          ppid: 10,
          parentStartTicks: 1,
          filename: '/bin/true',
          argv: ['true'],
          ktimeNs: t + 10,
        }),
      );
      h.n.push(exit({ pid, startTicks: ticks, ktimeNs: t + 20 }));
      if (i % 4096 === 0) h.out.length = 0;
    }
    const s = h.n.stats();
    expect(s.table.size).toBeLessThanOrEqual(cap);
    expect(s.table.evictedExited).toBeGreaterThan(N - cap - 10);
    expect(s.table.evictedLive).toBe(0);
    expect(emitted).toBe(3 * N + 1);
    // the long-lived parent survived every eviction
    h.out.length = 0;
    h.push(
      exec({
        pid: 99_999,
        startTicks: 2_000_000,
        ppid: 10,
        parentStartTicks: 1,
        filename: '/bin/x',
        ktimeNs: t + 100,
      }),
    );
    expect(field(h.docs()[0]!, 'process.parent.name')).toBe('cron');
  }, 240_000);
});

describe('start ticks', () => {
  it('ignores where inside its tick a start time falls', async () => {
    const h = await seeded();
    h.push(
      exec({
        pid: 500,
        startTicks: 0,
        startNs: startNsOf(7777, 9_999_999n),
        ppid: 100,
        parentStartTicks: 50,
        filename: '/x',
      }),
    );
    expect(field(h.docs()[0]!, 'process.entity_id')).toBe(idOf(500, 7777));
  });
});

describe('re-seeding', () => {
  it('after lost records, retires processes that vanished from /proc and adds new ones', async () => {
    // /proc as it is after records were lost: pid 300 (known from its exec) is gone, 400 is new
    const proc = fakeProcRoot([
      { pid: 1, comm: 'systemd', ppid: 0, startTicks: 1, exe: '/sbin/init' },
      { pid: 400, comm: 'new', ppid: 1, startTicks: 40, exe: '/usr/bin/new', args: ['new', '-x'] },
    ]);
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({ procRoot: proc.root, exitGraceMs: 1 });
    h.push(
      exec({ pid: 300, startTicks: 30, ppid: 1, parentStartTicks: 1, filename: '/bin/gone', ktimeNs: 1e9 }),
    );
    h.push(lost(5, 2e9));
    for (let i = 0; i < 200 && h.n.stats().reapedUnseenExits === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(h.n.stats()).toMatchObject({ reseeds: 1, reapedUnseenExits: 1, lostRecords: 5 });
    h.out.length = 0;
    h.push(connect({ pid: 400, startTicks: 40, daddr: '127.0.0.1', dport: 1, ktimeNs: 3e9 }));
    expect(field(h.docs()[0]!, 'process.args')).toEqual(['new', '-x']);
    // past the grace period the retired entry is gone: a late event says so instead of guessing
    h.push(connect({ pid: 300, startTicks: 30, daddr: '127.0.0.1', dport: 1, ktimeNs: 4e9, comm: 'gone' }));
    expect(field(h.docs()[1]!, 'eqld.unresolved')).toEqual(['process']);
  });
});

describe('events held during start-up', () => {
  it('still reports the fork of a child that /proc already showed, with the parent image', async () => {
    const proc = fakeProcRoot([
      { pid: 1, comm: 'systemd', ppid: 0, startTicks: 1, exe: '/sbin/init' },
      { pid: 100, comm: 'bash', ppid: 1, startTicks: 50, exe: '/usr/bin/bash', args: ['-bash'] },
      { pid: 200, comm: 'curl', ppid: 100, startTicks: 1000, exe: '/usr/bin/curl', args: ['curl', 'x'] },
    ]);
    cleanups.push(proc.cleanup);
    const h = makeNormalizer({ procRoot: proc.root });
    await h.n.seedFromProc();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({
        pid: 200,
        startTicks: 1000,
        ppid: 100,
        parentStartTicks: 50,
        filename: '/usr/bin/curl',
        argv: ['curl', 'x'],
      }),
    );
    const [f, x] = h.docs();
    expect(field(f!, 'event.action')).toBe('fork');
    expect(field(f!, 'process.name')).toBe('bash');
    expect(field(f!, 'process.entity_id')).toBe(idOf(200, 1000));
    expect(field(x!, 'process.name')).toBe('curl');
  });
});

describe('shared parent and leader blocks', () => {
  it('are frozen, shared between documents, and rebuilt when the parent execs or changes credentials', async () => {
    const h = await seeded();
    h.push(
      fork({ parentPid: 100, parentStartTicks: 50, childPid: 200, childStartTicks: 1000 }),
      exec({ ...SH, ...ALICE, ppid: 100, parentStartTicks: 50, filename: '/usr/bin/nc' }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 1 }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 2 }),
      // the parent shell execs another program, then runs as root
      exec({
        pid: 100,
        startTicks: 50,
        ppid: 1,
        parentStartTicks: 1,
        filename: '/usr/bin/zsh',
        uid: 1000,
        euid: 1000,
      }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 3 }),
      setsid({ pid: 100, startTicks: 50, uid: 0, euid: 0 }),
      connect({ ...SH, daddr: '127.0.0.1', dport: 4 }),
    );
    const d = h.docs();
    const p2 = field(d[2]!, 'process.parent') as object;
    expect(Object.isFrozen(p2)).toBe(true);
    expect(field(d[3]!, 'process.parent')).toBe(p2);
    expect(field(d[2]!, 'process.parent.name')).toBe('bash');
    expect(field(d[5]!, 'process.parent.name')).toBe('zsh');
    expect(field(d[5]!, 'process.parent.user')).toEqual({ id: '1000', name: 'alice' });
    expect(field(d[7]!, 'process.parent.user')).toEqual({ id: '0', name: 'root' });
    expect(field(d[7]!, 'process.session_leader.name')).toBe('zsh');
  });
});
