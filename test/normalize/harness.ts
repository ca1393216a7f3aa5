// Test harness for the normalizer: a fixed host, a deterministic clock, fixture passwd/group,
// and a fake /proc tree built from a JSON description, so output is byte-for-byte reproducible.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { RawEvent } from '../../src/collector/raw-event.js';
import type { HostInfo } from '../../src/normalize/host-info.js';
import { Normalizer, type NormalizerOptions } from '../../src/normalize/normalizer.js';
import { UserDb } from '../../src/normalize/user-db.js';
import { type ClockSource, WallClock } from '../../src/normalize/wall-clock.js';
import type { EqlEvent } from '../../src/rules/engine.js';

export const HOST: HostInfo = {
  id: '0123456789abcdef0123456789abcdef',
  bootId: 'd1b0a1e2-0000-4000-8000-123456789abc',
  hostname: 'testhost',
  name: 'testhost',
  architecture: 'x86_64',
  os: {
    type: 'linux',
    family: 'debian',
    name: 'Debian GNU/Linux',
    version: '12 (bookworm)',
    platform: 'debian',
    full: 'Debian GNU/Linux 12 (bookworm)',
    kernel: '6.18.0-test #1 SMP',
  },
  clkTck: 100,
};

/** Wall clock = 2026-11-25T16:00:00Z at monotonic 1000 s (boot at 15:43:20Z, no suspend). */
export function fixedClockSource(): ClockSource {
  const base = Date.UTC(2026, 10, 25, 16, 0, 0) - 1;
  let calls = 0;
  return {
    monoNs: () => 1_000_000_000_000n,
    // first call returns base, later calls base + 1: the sampler sees the ms edge at once
    realMs: () => base + (calls++ === 0 ? 0 : 1),
    suspendedMs: () => 0,
  };
}

export const GOLDEN_DIR = new URL('../golden/normalize/', import.meta.url).pathname;

export interface FakeProc {
  pid: number;
  comm: string;
  ppid: number;
  pgid?: number;
  sid?: number;
  ttyNr?: number;
  startTicks: number;
  uid?: number;
  euid?: number;
  gid?: number;
  egid?: number;
  exe?: string;
  cwd?: string;
  args?: string[];
  cgroup?: string;
  /** CapEff / CapPrm, 16 hex digits (default: none, as an unprivileged process) */
  capEff?: string;
  capPrm?: string;
  /** namespace inodes for ns/pid and ns/mnt (default: none) */
  pidNs?: number;
  mntNs?: number;
}

/** Writes a fake procfs under a temp dir; returns its path and a cleanup function. */
export function fakeProcRoot(procs: FakeProc[]): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'eqld-proc-'));
  for (const p of procs) {
    const d = join(root, String(p.pid));
    mkdirSync(d);
    const pgid = p.pgid ?? p.pid;
    const sid = p.sid ?? p.pid;
    const tail = `${p.ppid} ${pgid} ${sid} ${p.ttyNr ?? 0} -1 4194560 0 0 0 0 0 0 0 0 20 0 1 0 ${p.startTicks} 0 0`;
    writeFileSync(join(d, 'stat'), `${p.pid} (${p.comm}) S ${tail}\n`);
    const uid = p.uid ?? 0;
    const gid = p.gid ?? 0;
    writeFileSync(
      join(d, 'status'),
      `Name:\t${p.comm}\nUid:\t${uid}\t${p.euid ?? uid}\t${uid}\t${uid}\nGid:\t${gid}\t${p.egid ?? gid}\t${gid}\t${gid}\n` +
        (p.capEff === undefined ? '' : `CapPrm:\t${p.capPrm ?? p.capEff}\nCapEff:\t${p.capEff}\n`),
    );
    if (p.pidNs !== undefined || p.mntNs !== undefined) {
      mkdirSync(join(d, 'ns'));
      if (p.pidNs !== undefined) symlinkSync(`pid:[${p.pidNs}]`, join(d, 'ns', 'pid'));
      if (p.mntNs !== undefined) symlinkSync(`mnt:[${p.mntNs}]`, join(d, 'ns', 'mnt'));
    }
    writeFileSync(join(d, 'cmdline'), p.args && p.args.length > 0 ? `${p.args.join('\0')}\0` : '');
    if (p.exe) symlinkSync(p.exe, join(d, 'exe'));
    if (p.cwd) symlinkSync(p.cwd, join(d, 'cwd'));
    writeFileSync(join(d, 'cgroup'), `0::${p.cgroup ?? '/system.slice'}\n`);
  }
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

export interface Harness {
  n: Normalizer;
  out: EqlEvent[];
  docs: () => Record<string, unknown>[];
  push: (...raws: RawEvent[]) => void;
}

export function makeNormalizer(opts: Partial<NormalizerOptions> = {}): Harness {
  const n = new Normalizer({
    host: HOST,
    logger: pino({ level: 'silent' }),
    excludePids: () => false,
    procFallback: false,
    procRoot: '/nonexistent',
    users: new UserDb({
      passwdPath: join(GOLDEN_DIR, 'etc/passwd'),
      groupPath: join(GOLDEN_DIR, 'etc/group'),
      nssLookup: false,
    }),
    clock: new WallClock({ source: fixedClockSource() }),
    agent: { version: '0.1.0' },
    eventIdPrefix: 'T',
    // the seeded fixtures are set-up, not events under test (tests of already_running turn it on)
    alreadyRunning: false,
    ...opts,
  });
  const out: EqlEvent[] = [];
  n.onEvent((e) => out.push(e));
  return {
    n,
    out,
    docs: () => out.map((e) => e.doc),
    push: (...raws) => {
      for (const r of raws) n.push(r);
    },
  };
}

/** Reads a dotted path from a document ("process.parent.entity_id"). */
export function field(doc: Record<string, unknown>, path: string): unknown {
  let v: unknown = doc;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** A normalizer whose /proc (a fake one) shows init (1) and a login shell (100, alice, cwd
 *  /home/alice) already running, seeded from it; `cleanups` gets the fake /proc's removal. */
export async function seededNormalizer(
  cleanups: (() => void)[],
  opts: Partial<NormalizerOptions> = {},
): Promise<Harness> {
  const proc = fakeProcRoot([
    {
      pid: 1,
      comm: 'systemd',
      ppid: 0,
      startTicks: 1,
      exe: '/usr/lib/systemd/systemd',
      args: ['/sbin/init'],
    },
    {
      pid: 100,
      comm: 'bash',
      ppid: 1,
      sid: 100,
      startTicks: 50,
      uid: 1000,
      exe: '/usr/bin/bash',
      cwd: '/home/alice',
      args: ['-bash'],
    },
  ]);
  cleanups.push(proc.cleanup);
  const h = makeNormalizer({ procRoot: proc.root, ...opts });
  await h.n.seedFromProc();
  return h;
}
