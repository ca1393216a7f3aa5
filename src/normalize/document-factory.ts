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
import { ArgsCache, type ProcessFieldContext, processFields } from './ecs-process.js';
import type { EntityIdParts } from './entity-id.js';
import type { HostInfo } from './host-info.js';
import type { ProcEntry, ProcImage } from './process-table.js';
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

export interface DocumentFactoryOptions {
  host: HostInfo;
  clock: WallClock;
  users: UserDb;
  entityIds: EntityIdParts;
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
  private readonly argsCache = new ArgsCache();
  private seq = 0;
  /** event times and start times fall in different seconds: one formatter (cache) each */
  private readonly eventIso = new IsoMicrosFormatter();
  /** wall-clock ms (fractional) of the last document started with base() */
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
    };
    const tickNs = 1e9 / o.host.clkTck;
    // process.start repeats on every event of a process (fork, exec, exit follow each other):
    // a direct-mapped cache by tick, emptied when the clock is re-sampled. Small on purpose: a
    // string replaced within a few thousand events dies young instead of being promoted to the
    // old space, as a large memo's entries were (parents and leaders keep theirs in their blocks)
    const SLOTS = 1024;
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
    const { head, tail } = o.entityIds;
    // entity ids are not kept per table entry (memory): the tail is encoded when a document
    // needs it, through a direct-mapped cache (a process's fork, exec and exit follow each other;
    // parents and leaders keep theirs in their blocks)
    const ID_SLOTS = 1024;
    const idPid = new Float64Array(ID_SLOTS).fill(-1);
    const idTicks = new Float64Array(ID_SLOTS);
    const idTail: string[] = new Array<string>(ID_SLOTS).fill('');
    const tailOf = (pid: number, ticks: number): string => {
      const i = (pid ^ ticks) & (ID_SLOTS - 1);
      if (idPid[i] === pid && idTicks[i] === ticks) return idTail[i] as string;
      const t = tail(pid, ticks);
      idPid[i] = pid;
      idTicks[i] = ticks;
      idTail[i] = t;
      return t;
    };
    this.fieldCtx = {
      args: (img) => this.argsCache.get(img),
      credBlocks: (c) => this.credFields.of(c),
      entityId: (pid, ticks) => head + tail(pid, ticks),
      entityIdOf: (e) => head + tailOf(e.pid, e.startTicks),
      startIso,
      startOf: (e) => startIso(e.startTicks),
      generation: () => this.clock.generation * 1_000_003 + o.users.generation,
    };
  }

  /** A new document's shared top, with the next event.id and event.sequence. */
  base(ktimeNs: number, dataset: Dataset, h: EventKind): Doc {
    const ms = this.clock.toEpochMs(ktimeNs);
    this.currentMs = ms;
    const ts = this.eventIso.format(ms);
    const sequence = ++this.seq;
    return {
      '@timestamp': ts,
      event: eventFields(ts, this.idPrefix + sequence.toString(36), sequence, h, dataset),
      host: this.hostDoc,
      agent: this.agentDoc,
      ecs: this.ecsDoc,
      data_stream: this.dataStreams[dataset],
    };
  }

  /** Notes the argv an image was just built from, so its documents reuse that array. */
  rememberArgs(img: ProcImage, argv: readonly string[]): void {
    this.argsCache.remember(img, argv);
  }

  /** The shared user/group blocks for a set of credentials (top level and process.*). */
  credBlocks(c: Credentials): CredBlocks {
    return this.credFields.of(c);
  }

  /** process.* for the acting process `e`, with its parent and leaders. */
  process(
    e: ProcEntry,
    parent: ProcEntry | undefined,
    parentPid: number,
    parentTicks: number | undefined,
    creds: Credentials | undefined,
  ): Doc {
    const el = e.entryLeader;
    return processFields(this.fieldCtx, {
      self: e,
      parent,
      parentPid,
      parentTicks,
      creds,
      groupLeader: e.pgid === e.pid ? e : this.lookup(e.pgid),
      sessionLeader: e.sid === e.pid ? e : this.lookup(e.sid),
      entryLeaderParent: el ? this.lookup(el.ppid, el.parentTicks) : undefined,
    });
  }
}
