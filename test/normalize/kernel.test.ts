// Real-kernel tests: a live Collector feeding the Normalizer (as `eqld events` wires them)
// produces entity ids equal to the ones computed from /proc, correct parent links, enrichment
// of processes that exit at once or started before eqld, and failed connects with their errno.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Collector, type RawEvent } from '../../src/collector/index.js';
import { entityId } from '../../src/normalize/entity-id.js';
import { type HostInfo, readHostInfo } from '../../src/normalize/host-info.js';
import { Normalizer } from '../../src/normalize/normalizer.js';
import type { EqlEvent } from '../../src/rules/engine.js';
import { describeKernel } from '../support/kernel.js';
import { collectorLossProbe, retryOnLoss } from '../support/retry-on-loss.js';
import { field } from './harness.js';

type Doc = Record<string, unknown>;

async function waitFor<T>(find: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error('timed out waiting for the event');
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** /proc/PID/stat field 22 */
function procTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', () => r())));
}

describeKernel('normalizer on the real kernel', () => {
  const docs: Doc[] = [];
  const children: ChildProcess[] = [];
  let host: HostInfo;
  let collector: Collector;
  let normalizer: Normalizer;
  /** started before the collector: known only from /proc */
  let early: ChildProcess;
  let earlyTicks: number;
  let port: number;
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const idOf = (pid: number, ticks: number) => entityId(host.id, host.bootId, pid, ticks);
  const find = (pred: (d: Doc) => boolean) => () => docs.find(pred);

  beforeAll(async () => {
    host = await readHostInfo();
    port = await closedPort();
    early = spawn(
      '/bin/bash',
      ['-c', `read line; echo > /dev/tcp/127.0.0.1/${port}; sleep 0.2`, 'eqld-early'],
      {
        stdio: ['pipe', 'ignore', 'ignore'],
      },
    );
    children.push(early);
    await new Promise((r) => setTimeout(r, 200));
    earlyTicks = procTicks(early.pid!);
    // the test's own children are the workload here: only bpftrace (and its children) is excluded
    collector = new Collector({ logger, excludeSelf: false });
    normalizer = new Normalizer({ host, logger, excludePids: (pid) => pid === collector.bpftracePid });
    normalizer.onEvent((e: EqlEvent) => docs.push(e.doc));
    let held: RawEvent[] | undefined = [];
    collector.onEvent((r) => (held ? held.push(r) : normalizer.push(r)));
    await collector.start();
    await normalizer.seedFromProc();
    const backlog = held;
    held = undefined;
    for (const r of backlog) normalizer.push(r);
  }, 120_000);

  afterAll(async () => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    await collector?.stop();
  });

  it('gives an exec the entity_id computed from /proc, and the parent the parent exec id', async () => {
    const marker = `eqld-n-${process.pid}-a`;
    // sh execs, forks a bash that connects to a closed port, exits at once; sh stays a moment
    const sh = spawn(
      '/bin/sh',
      ['-c', `/bin/bash -c 'echo > /dev/tcp/127.0.0.1/${port}' ${marker}; sleep 1`],
      {
        stdio: 'ignore',
      },
    );
    children.push(sh);
    const shPid = sh.pid!;
    const spawnedAt = Date.now();
    const shExec = await waitFor(
      find((d) => field(d, 'event.action') === 'exec' && field(d, 'process.pid') === shPid),
    );
    // read while sh still sleeps
    const ticks = procTicks(shPid);
    // @timestamp (kernel monotonic clock + offset) and process.start (boot clock) are wall time
    expect(Math.abs(Date.parse(field(shExec, '@timestamp') as string) - spawnedAt)).toBeLessThan(1_000);
    expect(Math.abs(Date.parse(field(shExec, 'process.start') as string) - spawnedAt)).toBeLessThan(1_000);
    expect(field(shExec, 'process.entity_id')).toBe(idOf(shPid, ticks));
    expect(field(shExec, 'process.parent.pid')).toBe(process.pid);
    expect(field(shExec, 'process.parent.entity_id')).toBe(idOf(process.pid, procTicks(process.pid)));

    const conn = await waitFor(
      find(
        (d) =>
          field(d, 'event.action') === 'connection_attempted' && field(d, 'process.parent.pid') === shPid,
      ),
    );
    // the connect of a process that exited at once is still fully enriched
    expect(field(conn, 'process.parent.entity_id')).toBe(field(shExec, 'process.entity_id'));
    expect(field(conn, 'process.executable')).toBe('/bin/bash');
    expect(field(conn, 'process.args')).toEqual([
      '/bin/bash',
      '-c',
      `echo > /dev/tcp/127.0.0.1/${port}`,
      marker,
    ]);
    expect(field(conn, 'process.parent.name')).toBe('sh');
    expect(field(conn, 'eqld')).toBeUndefined();
    expect(field(conn, 'destination')).toEqual({ address: '127.0.0.1', ip: '127.0.0.1', port });
    expect(field(conn, 'network')).toEqual({ direction: 'egress', transport: 'tcp', type: 'ipv4' });
    expect(field(conn, 'event.outcome')).toBe('failure');
    expect(field(conn, 'error.code')).toBe('ECONNREFUSED');
    expect(field(conn, 'user.id')).toBe(String(process.geteuid?.() ?? 0));
    const bashExec = docs.find(
      (d) => field(d, 'event.action') === 'exec' && field(d, 'process.pid') === field(conn, 'process.pid'),
    );
    expect(field(bashExec!, 'process.entity_id')).toBe(field(conn, 'process.entity_id'));
    await exited(sh);
  }, 60_000);

  it('enriches a process that started before eqld from /proc', async () => {
    early.stdin!.write('go\n');
    const pid = early.pid!;
    const conn = await waitFor(
      find((d) => field(d, 'event.action') === 'connection_attempted' && field(d, 'process.pid') === pid),
    );
    expect(field(conn, 'process.entity_id')).toBe(idOf(pid, earlyTicks));
    expect(field(conn, 'process.executable')).toBe('/usr/bin/bash');
    expect(field(conn, 'process.args')).toEqual([
      '/bin/bash',
      '-c',
      `read line; echo > /dev/tcp/127.0.0.1/${port}; sleep 0.2`,
      'eqld-early',
    ]);
    expect(field(conn, 'process.parent.pid')).toBe(process.pid);
    expect(field(conn, 'event.outcome')).toBe('failure');
    await exited(early);
  }, 60_000);

  it('gives a second run the same id from /proc as the first run took from the exec event', async () => {
    const p = spawn('/bin/sleep', ['60'], { stdio: 'ignore' });
    children.push(p);
    const ex = await waitFor(
      find((d) => field(d, 'event.action') === 'exec' && field(d, 'process.pid') === p.pid),
    );
    const second = new Normalizer({ host, logger, procFallback: true, excludePids: () => false });
    await second.seedFromProc();
    const out: Doc[] = [];
    second.onEvent((e) => out.push(e.doc));
    const startNs = BigInt(procTicks(p.pid!)) * 10_000_000n;
    second.push({ kind: 'exit', ktimeNs: 1, pid: p.pid!, tid: p.pid!, startNs, exitCode: 0 });
    expect(field(out[0]!, 'process.args')).toEqual(['/bin/sleep', '60']);
    expect(field(out[0]!, 'process.executable')).toBe('/usr/bin/sleep');
    expect(field(out[0]!, 'process.entity_id')).toBe(field(ex, 'process.entity_id'));
    p.kill('SIGKILL');
  }, 60_000);

  it(
    'makes the shell of an ssh session an sshd entry leader and its children inherit it',
    () =>
      retryOnLoss('the ssh session', collectorLossProbe(collector), async (attempt) => {
        // a private sshd and client inside a network namespace of their own (loopback only)
        const dir = mkdtempSync(join(tmpdir(), 'eqld-ssh-'));
        try {
          for (const k of ['hostkey', 'clientkey']) {
            execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-f', join(dir, k), '-N', '']);
          }
          writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'clientkey.pub')));
          writeFileSync(
            join(dir, 'sshd_config'),
            [
              'Port 2222',
              'ListenAddress 127.0.0.1',
              `HostKey ${dir}/hostkey`,
              `AuthorizedKeysFile ${dir}/authorized_keys`,
              'PermitRootLogin yes',
              'UsePAM no',
              'StrictModes no',
              `PidFile ${dir}/sshd.pid`,
              'LogLevel ERROR',
            ].join('\n'),
          );
          const marker = `eqld-ssh-${process.pid}-${attempt}`;
          const script = [
            'ip link set lo up',
            `/usr/sbin/sshd -D -f ${dir}/sshd_config -E ${dir}/sshd.log & SSHD=$!`,
            'sleep 0.5',
            `ssh -F /dev/null -i ${dir}/clientkey -p 2222 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes root@127.0.0.1 '/bin/true ${marker}; exit 0'`,
            'kill $SSHD',
          ].join('; ');
          const sess = spawn('unshare', ['-n', 'bash', '-c', script], { stdio: 'ignore' });
          children.push(sess);
          await exited(sess);
          const child = await waitFor(
            find(
              (d) =>
                field(d, 'event.action') === 'exec' &&
                field(d, 'process.executable') === '/bin/true' &&
                (field(d, 'process.args') as string[])[1] === marker,
            ),
          );
          expect(field(child, 'process.entry_leader.entry_meta.type')).toBe('sshd');
          expect(field(child, 'process.entry_leader.same_as_process')).toBe(false);
          const shellPid = field(child, 'process.entry_leader.pid');
          expect(field(child, 'process.session_leader.pid')).toBe(shellPid);
          expect(field(child, 'process.parent.pid')).toBe(shellPid);
          const shell = docs.find(
            (d) => field(d, 'event.action') === 'exec' && field(d, 'process.pid') === shellPid,
          );
          expect(field(shell!, 'process.parent.name')).toBe('sshd');
          expect(field(shell!, 'process.entry_leader.same_as_process')).toBe(true);
          expect(field(shell!, 'process.entry_leader.entity_id')).toBe(field(shell!, 'process.entity_id'));
          expect(field(child, 'process.entry_leader.entity_id')).toBe(field(shell!, 'process.entity_id'));
          // the session process called setsid before it exec'd the shell
          const sid = docs.find(
            (d) => field(d, 'event.action') === 'session_id_change' && field(d, 'process.pid') === shellPid,
          );
          expect(field(sid!, 'process.entity_id')).toBe(field(shell!, 'process.entity_id'));
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
    300_000,
  );

  it(
    'keeps every parent link through an exec storm',
    () =>
      retryOnLoss('the storm', collectorLossProbe(collector), async () => {
        const n = 300;
        const sh = spawn(
          '/bin/sh',
          ['-c', `for i in $(seq ${n}); do /bin/true eqld-storm; done; sleep 0.5`],
          {
            stdio: 'ignore',
          },
        );
        children.push(sh);
        const shPid = sh.pid!;
        await exited(sh);
        const stormOf = () =>
          docs.filter(
            (d) =>
              field(d, 'event.action') === 'exec' &&
              field(d, 'process.parent.pid') === shPid &&
              field(d, 'process.name') === 'true',
          );
        await waitFor(() => (stormOf().length >= n ? true : undefined), 20_000).catch(() => undefined);
        const storm = stormOf();
        const shExec = docs.find(
          (d) => field(d, 'event.action') === 'exec' && field(d, 'process.pid') === shPid,
        );
        expect(storm).toHaveLength(n);
        for (const d of storm) {
          expect(field(d, 'process.parent.entity_id')).toBe(field(shExec!, 'process.entity_id'));
          expect(field(d, 'process.parent.name')).toBe('sh');
          expect(field(d, 'eqld')).toBeUndefined();
        }
        expect(new Set(storm.map((d) => field(d, 'process.entity_id'))).size).toBe(n);
      }),
    300_000,
  );
});
