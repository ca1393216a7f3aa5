// What the normalizer lends the modules that handle one family of raw events
// (network-events.ts, change-events.ts, file-events.ts, lifecycle-events.ts): the table, the resolver, the counters, and the two ways
// to emit a document. The Normalizer builds one; nothing else does.
import type { Capabilities, Credentials, ExitEvent } from '../collector/raw-event.js';
import type { NetworkParts } from './document-factory.js';
import type { EventKind } from './ecs-event.js';
import type { ProcessExtras } from './ecs-process.js';
import { startTicksFromNs } from './entity-id.js';
import type { HostInfo } from './host-info.js';
import type { ProcessResolver } from './process-resolver.js';
import type { ProcEntry, ProcessTable } from './process-table.js';

/** The normalizer's counters these handlers add to (NormalizerStats). */
export interface HandlerCounters {
  excluded: number;
  droppedUdp: number;
  droppedOtherSocket: number;
  droppedRepoll: number;
  droppedThreadCredRepeats: number;
  droppedSetpgidNamespaced: number;
  droppedKernelModuleLoads: number;
  droppedFailedSetsid: number;
}

export interface HandlerContext {
  readonly host: HostInfo;
  readonly table: ProcessTable;
  readonly resolver: ProcessResolver;
  readonly counters: HandlerCounters;
  readonly udpConnects: boolean;
  /** whether e is kept out of the stream (eqld itself and its descendants) */
  isExcluded(e: ProcEntry): boolean;
  /** whether the normalizer's exclusion predicate names this pid (by default eqld itself) */
  excludesPid(pid: number): boolean;
  /** a monotonic kernel time (ns) on the boot clock (CLOCK_BOOTTIME) */
  boottimeNsFromMono(ns: number): number;
  /** a process document (endpoint.events.process) for e, unless e is excluded */
  emitProcess(
    ktimeNs: number,
    kind: EventKind,
    e: ProcEntry,
    parent: ProcEntry | undefined,
    parentPid: number,
    parentTicks: number | undefined,
    creds: Credentials | undefined,
    unresolvedParent: boolean,
    exit?: ExitEvent,
    extras?: ProcessExtras,
  ): void;
  /** a network document (endpoint.events.network) for e; `net()` makes its network parts, only
   *  when the document is built (event-demand.ts) */
  emitNetwork(
    ktimeNs: number,
    kind: EventKind,
    e: ProcEntry,
    parent: ProcEntry | undefined,
    creds: Credentials,
    net: () => NetworkParts,
  ): void;
  /** a file document (endpoint.events.file) for e; `file()` makes its file.* fields, only when
   *  the document is built */
  emitFile(
    ktimeNs: number,
    kind: EventKind,
    e: ProcEntry,
    parent: ProcEntry | undefined,
    creds: Credentials,
    file: () => Record<string, unknown>,
  ): void;
}

/** What a network or file event says about the process that made it. */
export type ActingRaw = Credentials & Partial<Capabilities> & { pid: number; startNs: bigint; comm: string };

/** The acting process of a network or file event, resolved (a placeholder if unknown), its
 *  credentials (and capabilities, when the event carries them) refreshed from the event and the
 *  table entry touched; undefined, counted, when the process is excluded. */
export function actingProcess(
  ctx: HandlerContext,
  r: ActingRaw,
): { e: ProcEntry; parent: ProcEntry | undefined; creds: Credentials } | undefined {
  const e = ctx.resolver.actor(r.pid, startTicksFromNs(r.startNs, ctx.host.clkTck), r.comm);
  if (ctx.isExcluded(e)) {
    ctx.counters.excluded++;
    return undefined;
  }
  const parent = ctx.resolver.resolve(e.ppid, e.parentTicks);
  const creds = ctx.resolver.credsOf(r, e.creds);
  e.creds = creds;
  e.caps = ctx.resolver.capsOf(r, e.caps);
  ctx.table.touch(e);
  return { e, parent, creds };
}
