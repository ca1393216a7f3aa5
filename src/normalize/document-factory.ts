// Assembles the ECS documents the normalizer emits: the shared top (@timestamp, event.*, host,
// agent, ecs, data_stream, stamped with event.id and event.sequence) and the process.* block from
// process-table entries. It reads the table through a lookup and never changes it.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Credentials } from '../collector/raw-event.js';
import { type CredBlocks, CredFields } from './cred-fields.js';
import {
  type AgentInfo,
  type Dataset,
  ECS_VERSION,
  type EventKind,
  eventFields,
  hostFields,
} from './ecs-event.js';
import {
  NO_PROCESS_EXTRAS,
  ProcessDoc,
  type ProcessExtras,
  type ProcessFieldContext,
  relative,
} from './ecs-process.js';
import type { EntityIdFn } from './entity-id.js';
import type { HostInfo } from './host-info.js';
import type { ProcEntry } from './process-table.js';
import { RecentProcesses } from './recent-processes.js';
import type { UserDb } from './user-db.js';
import { IsoMicrosFormatter, type WallClock } from './wall-clock.js';

type Doc = Record<string, unknown>;

/** package.json's version: ../../package.json from both src/normalize and dist/normalize */
function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** the machine id (32 hex digits) written as a UUID, for agent.id */
function agentId(hostId: string): string {
  const h = hostId;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A network event's own fields (source.*, destination.*, network.*, error.* when the connect failed). */
export interface NetworkParts {
  source: Doc | undefined;
  destination: Doc;
  network: Doc;
  error: Doc | undefined;
}

interface EventDocConstructor {
  new (
    timestamp: string,
    event: Doc,
    host: Doc,
    agent: Readonly<AgentInfo>,
    ecs: Doc,
    dataStream: Doc,
    cred: CredBlocks | undefined,
    process: Doc,
    network: NetworkParts | undefined,
    file: Doc | undefined,
    container: Doc | undefined,
    eqld: Doc | undefined,
  ): Doc;
}

/**
 * One document, built by a constructor so that all its fields are in the object itself (see
 * ProcessDoc in ecs-process.ts); its prototype is Object.prototype, a plain object as before.
 */
const EventDoc = function EventDoc(
  this: Doc,
  timestamp: string,
  event: Doc,
  host: Doc,
  agent: Readonly<AgentInfo>,
  ecs: Doc,
  dataStream: Doc,
  cred: CredBlocks | undefined,
  process: Doc,
  network: NetworkParts | undefined,
  file: Doc | undefined,
  container: Doc | undefined,
  eqld: Doc | undefined,
): void {
  this['@timestamp'] = timestamp;
  this.event = event;
  this.host = host;
  this.agent = agent;
  this.ecs = ecs;
  this.data_stream = dataStream;
  if (cred) {
    this.user = cred.user;
    this.group = cred.group;
  }
  this.process = process;
  if (network) {
    if (network.source) this.source = network.source;
    this.destination = network.destination;
    this.network = network.network;
    if (network.error) this.error = network.error;
  }
  if (file) this.file = file;
  if (container) this.container = container;
  if (eqld) this.eqld = eqld;
} as unknown as EventDocConstructor;
EventDoc.prototype = Object.prototype;
// V8 settles the object size after the first few constructions: make the first one the largest
new EventDoc(
  '',
  {},
  {},
  { id: '', type: '', version: '' },
  {},
  {},
  {
    user: {},
    group: {},
    processUser: {},
    processGroup: {},
    processRealUser: {},
    processRealGroup: {},
  },
  {},
  { source: {}, destination: {}, network: {}, error: {} },
  {},
  {},
  {},
);

export interface DocumentFactoryOptions {
  host: HostInfo;
  clock: WallClock;
  users: UserDb;
  /** entity ids of this host and boot (entityIdEncoder) */
  entityId: EntityIdFn;
  lookup: (pid: number, ticks?: number) => ProcEntry | undefined;
  agent?: Partial<AgentInfo>;
  /** prefix of event.id (default: 8 random bytes, so ids are unique across runs) */
  eventIdPrefix?: string;
}

export class DocumentFactory {
  private readonly clock: WallClock;
  private readonly lookup: DocumentFactoryOptions['lookup'];
  private readonly hostDoc: Doc;
  private readonly agentDoc: Readonly<AgentInfo>;
  private readonly ecsDoc = Object.freeze({ version: ECS_VERSION });
  private readonly dataStreams: Record<Dataset, Doc>;
  private readonly idPrefix: string;
  private readonly fieldCtx: ProcessFieldContext;
  private readonly credFields: CredFields;
  private readonly recent: RecentProcesses;
  private seq = 0;
  /** event.sequence of the document started by the last stamp() */
  sequence = 0;
  private currentTs = '';
  private readonly containers = new Map<string, Doc>();
  /** event times and start times fall in different seconds: one formatter (cache) each */
  private readonly eventIso = new IsoMicrosFormatter();
  /** wall-clock ms (fractional) of the document started by the last stamp() */
  currentMs = 0;

  constructor(o: DocumentFactoryOptions) {
    this.clock = o.clock;
    this.lookup = o.lookup;
    this.hostDoc = hostFields(o.host);
    this.agentDoc = Object.freeze({
      id: o.agent?.id ?? agentId(o.host.id),
      type: o.agent?.type ?? 'eqld',
      version: o.agent?.version ?? packageVersion(),
    });
    this.idPrefix = o.eventIdPrefix ?? randomBytes(8).toString('base64url');
    const ds = (dataset: Dataset) => Object.freeze({ type: 'logs', dataset, namespace: 'default' });
    this.dataStreams = {
      'endpoint.events.process': ds('endpoint.events.process'),
      'endpoint.events.network': ds('endpoint.events.network'),
      'endpoint.events.file': ds('endpoint.events.file'),
    };
    const tickNs = 1e9 / o.host.clkTck;
    // process.start repeats on every event of a process (fork, exec, exit follow each other):
    // a direct-mapped cache by tick, emptied when the clock is re-sampled. Small on purpose: a
    // string replaced within a few hundred processes dies young instead of being promoted to the
    // old space, as a large memo's entries were (parents and leaders keep theirs in their blocks)
    const SLOTS = 256;
    const slotTicks = new Float64Array(SLOTS).fill(-1);
    const slotIso: string[] = new Array<string>(SLOTS).fill('');
    const startFmt = new IsoMicrosFormatter();
    let memoGen = this.clock.generation;
    const startIso = (ticks: number) => {
      if (memoGen !== this.clock.generation) {
        slotTicks.fill(-1);
        memoGen = this.clock.generation;
      }
      const i = ticks & (SLOTS - 1);
      if (slotTicks[i] === ticks) return slotIso[i] as string;
      const s = startFmt.format(this.clock.boottimeToEpochMs(ticks * tickNs));
      slotTicks[i] = ticks;
      slotIso[i] = s;
      return s;
    };
    this.credFields = new CredFields(o.users);
    // entity ids and args are not kept per table entry (memory): parents and leaders keep
    // theirs in their blocks, acting processes in a small cache of the recently named
    const recent = new RecentProcesses(o.entityId);
    this.recent = recent;
    this.fieldCtx = {
      args: (e) => recent.argsOf(e.pid, e.startTicks, e.image),
      credBlocks: (c) => this.credFields.of(c),
      entityId: o.entityId,
      entityIdOf: (e) => recent.entityId(e.pid, e.startTicks),
      startIso,
      startOf: (e) => startIso(e.startTicks),
      generation: () => this.clock.generation * 1_000_003 + o.users.generation,
    };
  }

  /**
   * Starts the next document: takes its event.sequence and @timestamp (returned; an exit's
   * process.end is the same string). document() then assembles it.
   */
  stamp(ktimeNs: number): string {
    const ms = this.clock.toEpochMs(ktimeNs);
    this.currentMs = ms;
    this.currentTs = this.eventIso.format(ms);
    this.sequence = ++this.seq;
    return this.currentTs;
  }

  /** The document started by stamp(), with the parts every event shares. */
  document(
    dataset: Dataset,
    kind: EventKind,
    creds: Credentials | undefined,
    process: Doc,
    network: NetworkParts | undefined,
    file: Doc | undefined,
    containerId: string | undefined,
    unresolved: readonly string[] | undefined,
  ): Doc {
    const ts = this.currentTs;
    const seq = this.sequence;
    return new EventDoc(
      ts,
      eventFields(ts, this.idPrefix + seq.toString(36), seq, kind, dataset),
      this.hostDoc,
      this.agentDoc,
      this.ecsDoc,
      this.dataStreams[dataset],
      creds ? this.credFields.of(creds) : undefined,
      process,
      network,
      file,
      containerId === undefined ? undefined : this.containerBlock(containerId),
      unresolved === undefined ? undefined : { unresolved },
    );
  }

  /** container.* of a container id: one frozen object per id, shared by its documents */
  private containerBlock(id: string): Doc {
    let b = this.containers.get(id);
    if (b === undefined) {
      if (this.containers.size >= 1024) this.containers.clear();
      b = Object.freeze({ id });
      this.containers.set(id, b);
    }
    return b;
  }

  /** Notes the argv `e`'s image was just built from (exec), so its documents reuse that array. */
  rememberArgs(e: ProcEntry, argv: readonly string[]): void {
    this.recent.rememberArgs(e.pid, e.startTicks, e.image, argv);
  }

  /** `e` as a process.parent block (shared, frozen) */
  relative(e: ProcEntry): Doc {
    return relative(this.fieldCtx, e);
  }

  /** {pid, entity_id, start} of a process known only by its pid and start tick */
  stub(pid: number, ticks: number): Doc {
    return { pid, entity_id: this.fieldCtx.entityId(pid, ticks), start: this.fieldCtx.startIso(ticks) };
  }

  /** process.* for the acting process `e`, with its parent and leaders. */
  process(
    e: ProcEntry,
    parent: ProcEntry | undefined,
    parentPid: number,
    parentTicks: number | undefined,
    creds: Credentials | undefined,
    exitCode?: number,
    end?: string,
    extras: ProcessExtras = NO_PROCESS_EXTRAS,
  ): Doc {
    const el = e.entryLeader;
    return new ProcessDoc(
      this.fieldCtx,
      e,
      parent,
      parentPid,
      parentTicks,
      creds,
      e.pgid === e.pid ? e : this.lookup(e.pgid),
      e.sid === e.pid ? e : this.lookup(e.sid),
      el ? this.lookup(el.ppid, el.parentTicks) : undefined,
      exitCode,
      end,
      extras,
    );
  }
}
