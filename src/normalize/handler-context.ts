// What the normalizer lends the modules that handle one family of raw events
// (network-events.ts, change-events.ts, file-events.ts, lifecycle-events.ts): the table, the resolver, the counters, and the two ways
// to emit a document. The Normalizer builds one; nothing else does.
import type { Credentials, ExitEvent } from '../collector/raw-event.js';
import type { NetworkParts } from './document-factory.js';
import type { EventKind } from './ecs-event.js';
import type { ProcessExtras } from './ecs-process.js';
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
  /** a network document (endpoint.events.network) for e */
  emitNetwork(
    ktimeNs: number,
    kind: EventKind,
    e: ProcEntry,
    parent: ProcEntry | undefined,
    creds: Credentials,
    net: NetworkParts,
  ): void;
  /** a file document (endpoint.events.file) for e; `file` holds the file.* fields */
  emitFile(
    ktimeNs: number,
    kind: EventKind,
    e: ProcEntry,
    parent: ProcEntry | undefined,
    creds: Credentials,
    file: Record<string, unknown>,
  ): void;
}
