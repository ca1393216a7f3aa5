// A live Collector feeding a Normalizer, as `eqld run` wires them, for real-kernel tests that look
// at the ECS documents of workloads they start: run a shell script, wait until its process has
// ended, and take the documents of that process and its descendants. The collector sees the whole
// host, and CI runs another test file beside this one that may flood it: every document of a
// workload is kept, of the rest only the first OTHER_DOCS_KEPT (they still feed the field
// catalogue's checks), so a storm next door cannot run the test out of memory.
import { spawn } from 'node:child_process';
import pino from 'pino';
import type { EnvVarSpec } from '../../src/collector/env-match.js';
import { Collector, type RawEvent } from '../../src/collector/index.js';
import { readHostInfo } from '../../src/normalize/host-info.js';
import { Normalizer } from '../../src/normalize/normalizer.js';
import type { EqlEvent } from '../../src/rules/engine.js';
import { collectorLossProbe, type RetryOnLossOptions, retryOnLoss } from './retry-on-loss.js';

export type Doc = Record<string, unknown>;

/** Reads a dotted path from a nested document. */
export function get(doc: Doc, path: string): unknown {
  let v: unknown = doc;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Doc)[k];
  }
  return v;
}

/** documents of processes outside the workloads kept at most (the host's, a storm's next door) */
const OTHER_DOCS_KEPT = 20_000;

export interface LiveStream {
  /** every document of the workloads run, and the first OTHER_DOCS_KEPT of other processes */
  docs: Doc[];
  collector: Collector;
  normalizer: Normalizer;
  /** runs `bash -c script` (env added to this process's), waits for its end document and returns
   *  the documents of it and its descendants */
  run(script: string, env?: Record<string, string>): Promise<Doc[]>;
  /** kernel records lost or dropped so far: both programs' perf-buffer losses and the file
   *  program's budget drops (printed every 5 s) */
  lost(): number;
  /** test/support/retry-on-loss.ts on this stream's loss count */
  retryOnLoss(
    what: string,
    body: (attempt: number) => Promise<void>,
    opts?: RetryOnLossOptions,
  ): Promise<void>;
  stop(): Promise<void>;
}

async function waitFor<T>(find: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = find();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The documents of process `root` and of every process it (transitively) started. */
export function treeDocs(docs: readonly Doc[], root: number): Doc[] {
  const inTree = new Set<number>([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const d of docs) {
      const pid = get(d, 'process.pid') as number;
      const ppid = get(d, 'process.parent.pid') as number | undefined;
      if (!inTree.has(pid) && ppid !== undefined && inTree.has(ppid)) {
        inTree.add(pid);
        grew = true;
      }
    }
  }
  return docs.filter((d) => inTree.has(get(d, 'process.pid') as number));
}

export async function startLiveStream(
  envVars: readonly EnvVarSpec[] = [],
  opts: { fileEvents?: boolean } = {},
): Promise<LiveStream> {
  const logger = pino({ level: 'warn' }, pino.destination(2));
  const host = await readHostInfo();
  const docs: Doc[] = [];
  /** the workloads' processes: each run's shell, and every process whose parent is one */
  const workload = new Set<number>();
  let othersKept = 0;
  const keep = (doc: Doc) => {
    const pid = get(doc, 'process.pid') as number;
    const ppid = get(doc, 'process.parent.pid') as number | undefined;
    if (workload.has(pid) || (ppid !== undefined && workload.has(ppid))) {
      workload.add(pid);
      docs.push(doc);
    } else if (othersKept < OTHER_DOCS_KEPT) {
      othersKept++;
      docs.push(doc);
    }
  };
  // the test's own children are the workload: only bpftrace is kept out
  const collector = new Collector({
    logger,
    excludeSelf: false,
    envVars,
    ...(opts.fileEvents ? { fileEvents: {} } : {}),
  });
  const normalizer = new Normalizer({
    host,
    logger,
    excludePids: (pid) => collector.isBpftracePid(pid),
  });
  normalizer.onEvent((e: EqlEvent) => keep(e.doc));
  let held: RawEvent[] | undefined = [];
  collector.onEvent((r) => (held ? held.push(r) : normalizer.push(r)));
  await collector.start();
  await normalizer.seedFromProc();
  const backlog = held;
  held = undefined;
  for (const r of backlog) normalizer.push(r);

  const run = async (script: string, env: Record<string, string> = {}): Promise<Doc[]> => {
    const child = spawn('/bin/bash', ['-c', script], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const pid = child.pid as number;
    // before any of its documents: they come through the collector's polls, after this task
    workload.add(pid);
    await new Promise<void>((r) => child.once('exit', () => r()));
    await waitFor(
      () => docs.find((d) => get(d, 'event.action') === 'end' && get(d, 'process.pid') === pid),
      15_000,
      `the end of ${pid} (${script.slice(0, 60)})`,
    );
    // the reorder window: events of its descendants released a little after its end
    await new Promise((r) => setTimeout(r, 150));
    return treeDocs(docs, pid);
  };

  const probe = collectorLossProbe(collector);

  return {
    docs,
    collector,
    normalizer,
    run,
    lost: probe.lost,
    retryOnLoss: (what, body, opts) => retryOnLoss(what, probe, body, opts),
    stop: async () => {
      await collector.stop();
    },
  };
}
