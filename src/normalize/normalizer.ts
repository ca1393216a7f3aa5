// The normalizer: raw kernel events in, Elastic Defend-shaped ECS documents out (as EqlEvent).
// It keeps the process table (seeded from /proc, updated by fork/exec/exit/setsid), derives
// entity ids and leaders, filters eqld's own processes, and stamps @timestamp, event.id and
// event.sequence. It does not reorder events: the collector emits them in kernel-timestamp
// order (common API); see docs/ecs-mapping.md for what happens to a late parent.
import type pino from 'pino';
import type { Credentials, ExecEvent, ExitEvent, RawEvent } from '../collector/raw-event.js';
import type { EqlEvent } from '../rules/engine.js';
import { onChdir, onCredChange, onModule, onSetpgid } from './change-events.js';
import { DocumentFactory, type NetworkParts } from './document-factory.js';
import {
  type AgentInfo,
  ALREADY_RUNNING,
  type Dataset,
  type EventKind,
  EXEC,
  GID_CHANGE,
  UID_CHANGE,
} from './ecs-event.js';
import type { ProcessExtras } from './ecs-process.js';
import { decodeEntityId, entityIdEncoder, startTicksFromNs } from './entity-id.js';
import { evaluateEntryLeader } from './entry-leader.js';
import { EventDemand, type KindDemand, type NotBuiltListener } from './event-demand.js';
import { onFile } from './file-events.js';
import type { HandlerContext } from './handler-context.js';
import type { HostInfo } from './host-info.js';
import { onExit, onFork, onSetsid } from './lifecycle-events.js';
import { onAccept, onConnect, onDisconnect } from './network-events.js';
import { imageFromExec, type ProcImage } from './proc-image.js';
import { readAllProcs, readCwdSync } from './proc-reader.js';
import { ProcessResolver } from './process-resolver.js';
import {
  MAX_PREVIOUS,
  newEntry,
  type ProcEntry,
  ProcessTable,
  type ProcessTableStats,
} from './process-table.js';
import { ttyNrOf } from './tty.js';
import { UserDb, type UserDbStats } from './user-db.js';
import { WallClock, type WallClockStats } from './wall-clock.js';

export interface NormalizerOptions {
  host: HostInfo;
  logger: pino.Logger;
  /** processes to keep out of the stream (with all their descendants); default: this process */
  excludePids?: (pid: number) => boolean;
  /** report UDP connect() calls as connection_attempted (default false) */
  udpConnects?: boolean;
  /** process table cap (default 65,536) */
  maxProcesses?: number;
  /** how long exited processes stay resolvable, ms of kernel time (default 5,000) */
  exitGraceMs?: number;
  /** read a missing process from /proc in the event path (default true) */
  procFallback?: boolean;
  procRoot?: string;
  users?: UserDb;
  clock?: WallClock;
  agent?: Partial<AgentInfo>;
  /** prefix of event.id (default: 8 random bytes, so ids are unique across runs) */
  eventIdPrefix?: string;
  /** emit an already_running event for each process found in /proc by the first seeding
   *  (default true, as Elastic Defend does when it starts) */
  alreadyRunning?: boolean;
}

export interface NormalizerStats {
  received: number;
  /** documents built and handed to the listeners, in all and by event.action */
  emitted: number;
  byAction: Record<string, number>;
  /** events no consumer could use, so not built (event-demand.ts) */
  notBuilt: number;
  excluded: number;
  droppedUdp: number;
  droppedOtherSocket: number;
  /** EALREADY/EISCONN re-polls of an attempt already reported */
  droppedRepoll: number;
  droppedFailedSetsid: number;
  /** setuid/setgid events of a thread repeating what another thread of its process reported */
  droppedThreadCredRepeats: number;
  /** setpgid calls on another process by a caller in a pid namespace (its pids are not host pids) */
  droppedSetpgidNamespaced: number;
  /** module loads by pid 1/2 or their children (the kernel's own requests), skipped as Defend does */
  droppedKernelModuleLoads: number;
  /** sum of bpftrace "Lost N events" */
  lostRecords: number;
  gaps: number;
  lastGap?: { fromNs: number; toNs: number; reason: string };
  reseeds: number;
  /** live entries found gone from /proc at a re-seed: their exit was never seen */
  reapedUnseenExits: number;
  procFallbackHits: number;
  procFallbackMisses: number;
  /** events emitted with an unresolved process or parent (see eqld.unresolved) */
  unresolved: number;
  table: ProcessTableStats;
  clock: WallClockStats;
  users: UserDbStats;
}

type Doc = Record<string, unknown>;

// eqld.unresolved: what an event could not resolve (docs/ecs-mapping.md)
const UNRESOLVED_SELF: readonly string[] = Object.freeze(['process']);
const UNRESOLVED_PARENT: readonly string[] = Object.freeze(['process.parent']);
const UNRESOLVED_BOTH: readonly string[] = Object.freeze(['process', 'process.parent']);

export class Normalizer {
  private readonly host: HostInfo;
  private readonly log: pino.Logger;
  private readonly exclude: (pid: number) => boolean;
  private readonly procFallback: boolean;
  private readonly procRoot: string;
  private readonly users: UserDb;
  private readonly clock: WallClock;
  private readonly table: ProcessTable;
  private readonly docs: DocumentFactory;
  private readonly resolver: ProcessResolver;
  /** what the handlers of network-events.ts and change-events.ts use */
  private readonly ctx: HandlerContext;
  private readonly alreadyRunning: boolean;
  /** whether /proc numbers processes as the kernel does (false in a pid namespace of eqld's own) */
  private readonly procUsable: boolean;
  private seeded = false;
  private readonly listeners: ((e: EqlEvent) => void)[] = [];
  /** which kinds of event get a document (event-demand.ts) */
  private readonly demand: EventDemand;
  private lastKtimeNs = 0;
  private reseeding = false;
  private lastLostReseedNs = 0;
  private readonly st = {
    received: 0,
    emitted: 0,
    byAction: {} as Record<string, number>,
    excluded: 0,
    droppedUdp: 0,
    droppedOtherSocket: 0,
    droppedRepoll: 0,
    droppedFailedSetsid: 0,
    droppedThreadCredRepeats: 0,
    droppedSetpgidNamespaced: 0,
    droppedKernelModuleLoads: 0,
    lostRecords: 0,
    gaps: 0,
    lastGap: undefined as NormalizerStats['lastGap'],
    reseeds: 0,
    reapedUnseenExits: 0,
    procFallbackHits: 0,
    procFallbackMisses: 0,
    unresolved: 0,
  };

  constructor(opts: NormalizerOptions) {
    this.host = opts.host;
    this.log = opts.logger;
    const self = process.pid;
    this.exclude = opts.excludePids ?? ((pid) => pid === self);
    // in a pid namespace of eqld's own, /proc's pids are not the kernel's: nothing is read from
    // it by an event's pid, and there is no seeding (host-info.ts foreignPidNamespace)
    this.procUsable = opts.host.foreignPidNamespace === undefined;
    this.procFallback = opts.procFallback ?? this.procUsable;
    this.procRoot = opts.procRoot ?? '/proc';
    this.alreadyRunning = opts.alreadyRunning ?? true;
    this.users = opts.users ?? new UserDb();
    this.clock = opts.clock ?? new WallClock();
    this.demand = new EventDemand((ns) => this.clock.toEpochMs(ns));
    this.table = new ProcessTable({
      maxEntries: opts.maxProcesses ?? 65_536,
      exitGraceNs: (opts.exitGraceMs ?? 5_000) * 1e6,
    });
    this.docs = new DocumentFactory({
      host: this.host,
      clock: this.clock,
      users: this.users,
      entityId: entityIdEncoder(this.host.id, this.host.bootId),
      lookup: (pid, ticks) => this.table.get(pid, ticks),
      ...(opts.agent ? { agent: opts.agent } : {}),
      ...(opts.eventIdPrefix !== undefined ? { eventIdPrefix: opts.eventIdPrefix } : {}),
    });
    this.resolver = new ProcessResolver({
      table: this.table,
      host: this.host,
      exclude: this.exclude,
      procFallback: this.procFallback,
      procRoot: this.procRoot,
      counters: this.st,
    });
    this.ctx = {
      host: this.host,
      table: this.table,
      resolver: this.resolver,
      counters: this.st,
      udpConnects: opts.udpConnects ?? false,
      isExcluded: (e: ProcEntry) => this.isExcluded(e),
      excludesPid: (pid: number) => this.exclude(pid),
      boottimeNsFromMono: (ns: number) => this.clock.boottimeNsFromMono(ns),
      emitProcess: (...a: Parameters<HandlerContext['emitProcess']>) => this.emitProcess(...a),
      emitNetwork: (
        ktimeNs: number,
        kind: EventKind,
        e: ProcEntry,
        parent: ProcEntry | undefined,
        creds: Credentials,
        net: () => NetworkParts,
      ) => {
        if (!this.demand.build('endpoint.events.network', kind, ktimeNs)) return;
        this.docs.stamp(ktimeNs);
        const proc = this.docs.process(e, parent, e.ppid, e.parentTicks, creds);
        const unresolvedParent = !parent && e.ppid > 0;
        this.emit(
          'endpoint.events.network',
          kind,
          creds,
          proc,
          net(),
          e,
          e.source === 'event',
          unresolvedParent,
        );
      },
      emitFile: (
        ktimeNs: number,
        kind: EventKind,
        e: ProcEntry,
        parent: ProcEntry | undefined,
        creds: Credentials,
        file: () => Doc,
      ) => {
        if (!this.demand.build('endpoint.events.file', kind, ktimeNs)) return;
        this.docs.stamp(ktimeNs);
        const proc = this.docs.process(e, parent, e.ppid, e.parentTicks, creds);
        this.emit(
          'endpoint.events.file',
          kind,
          creds,
          proc,
          undefined,
          e,
          e.source === 'event',
          !parent && e.ppid > 0,
          file(),
        );
      },
    };
  }

  onEvent(cb: (e: EqlEvent) => void): void {
    this.listeners.push(cb);
  }

  /** Which kinds of event to build documents for (default: all); see event-demand.ts. */
  setDemand(wants: KindDemand): void {
    this.demand.set(wants);
  }

  /** Called, instead of the onEvent listeners, with the kind and time of each event not built. */
  onNotBuilt(cb: NotBuiltListener): void {
    this.demand.onNotBuilt(cb);
  }

  /**
   * Loads every live process from /proc; known processes (same pid and start) are kept as they
   * are. The first seeding reports each process it finds as already_running.
   */
  async seedFromProc(): Promise<void> {
    if (!this.procUsable) {
      // /proc shows another pid namespace's processes: their pids are not the kernel's
      this.seeded = true;
      return;
    }
    // live entries known before the scan: any of them missing from /proc afterwards has exited
    // unseen (its exit was lost or fell in a gap)
    const before = [...this.table.entries()].filter((e) => e.exitedAtNs === undefined);
    const all = await readAllProcs(this.procRoot);
    // parents start before their children: insert in start order so parents resolve
    all.sort((a, b) => a.startTicks - b.startTicks || a.pid - b.pid);
    let added = 0;
    const present = new Set<string>();
    const found: ProcEntry[] = [];
    for (const f of all) {
      present.add(`${f.pid}:${f.startTicks}`);
      if (this.table.get(f.pid, f.startTicks)) continue;
      found.push(this.resolver.insertFromFacts(f));
      added++;
    }
    if (!this.seeded && this.alreadyRunning) this.reportAlreadyRunning(found);
    this.seeded = true;
    let reaped = 0;
    for (const e of before) {
      if (e.exitedAtNs !== undefined || present.has(`${e.pid}:${e.startTicks}`)) continue;
      // exit code unknown; the entry stays resolvable for the grace period like any exit
      this.table.markExited(e, this.lastKtimeNs, -1);
      reaped++;
    }
    this.st.reapedUnseenExits += reaped;
    this.log.debug({ scanned: all.length, added, reaped }, 'process table seeded from /proc');
  }

  push(raw: RawEvent): void {
    this.st.received++;
    if (raw.ktimeNs > this.lastKtimeNs) {
      this.lastKtimeNs = raw.ktimeNs;
      this.table.expire(raw.ktimeNs);
    }
    switch (raw.kind) {
      case 'exec':
        this.onExec(raw);
        return;
      case 'fork':
        onFork(this.ctx, raw);
        return;
      case 'exit':
        onExit(this.ctx, raw);
        return;
      case 'setsid':
        onSetsid(this.ctx, raw);
        return;
      case 'connect':
        onConnect(this.ctx, raw);
        return;
      case 'file':
        onFile(this.ctx, raw);
        return;
      case 'accept':
        onAccept(this.ctx, raw);
        return;
      case 'disconnect':
        onDisconnect(this.ctx, raw);
        return;
      case 'setuid':
      case 'setgid':
        onCredChange(this.ctx, raw);
        return;
      case 'setpgid':
        onSetpgid(this.ctx, raw);
        return;
      case 'chdir':
        onChdir(this.ctx, raw);
        return;
      case 'module':
        onModule(this.ctx, raw);
        return;
      case 'lost':
        this.st.lostRecords += raw.count;
        // file events do not change the process table: nothing to reconcile
        if (raw.source === 'file') return;
        this.log.warn({ lost: raw.count, total: this.st.lostRecords }, 'kernel events lost; re-seeding');
        // lost forks and exits leave the table stale: reconcile with /proc (at most every 10 s)
        if (raw.ktimeNs - this.lastLostReseedNs >= 10e9 || this.lastLostReseedNs === 0) {
          this.lastLostReseedNs = raw.ktimeNs;
          this.reseed();
        }
        return;
      case 'gap':
        this.st.gaps++;
        if (raw.source === 'file') return;
        this.st.lastGap = { fromNs: raw.fromNs, toNs: raw.toNs, reason: raw.reason };
        this.log.warn(
          { fromNs: raw.fromNs, toNs: raw.toNs, reason: raw.reason },
          'telemetry gap; re-seeding',
        );
        this.reseed();
        return;
    }
  }

  /**
   * The ancestors of the process `entityId` names, nearest first (parent, grandparent, ...), as
   * the table holds them now, each as its process.parent block (pid, entity_id, executable, name,
   * args, command_line, start, working_directory, user). Ends at pid 1, after `max` (Defend's
   * process.Ext.ancestry holds 20), or at a parent the table does not hold, which is given as
   * {pid, entity_id, start} when its start is known. For alerts; never on the event path.
   */
  ancestry(entityId: string, max = 20): Doc[] {
    const id = decodeEntityId(entityId);
    // an id of another host or boot names none of this table's processes
    if (!id || id.hostId !== this.host.id || id.bootId !== this.host.bootId.replaceAll('-', '')) return [];
    let e = this.table.get(id.pid, id.startTicks);
    const out: Doc[] = [];
    const seen = new Set<ProcEntry>();
    while (e && out.length < max && e.ppid > 0 && e.parentTicks !== undefined) {
      seen.add(e);
      const parent = this.table.get(e.ppid, e.parentTicks);
      if (!parent) out.push(this.docs.stub(e.ppid, e.parentTicks));
      else if (!seen.has(parent)) out.push(this.docs.relative(parent));
      e = parent && !seen.has(parent) ? parent : undefined;
    }
    return out;
  }

  /** Periodic upkeep: clock re-sample/jump check, passwd/group re-read, exited-entry expiry. */
  tick(_nowMs?: number): void {
    this.clock.check();
    this.users.maybeRefresh();
    this.table.expire(this.lastKtimeNs);
  }

  stats(): NormalizerStats {
    return {
      ...this.st,
      byAction: { ...this.st.byAction },
      notBuilt: this.demand.notBuilt,
      table: this.table.stats(),
      clock: this.clock.stats(),
      users: this.users.stats(),
    };
  }

  // ---- table maintenance ----

  private reseed(): void {
    if (this.reseeding) return;
    this.reseeding = true;
    this.st.reseeds++;
    this.seedFromProc()
      .catch((err: unknown) => this.log.error({ err }, 're-seeding the process table failed'))
      .finally(() => {
        this.reseeding = false;
      });
  }

  /** already_running: one event per process found at start-up (kernel threads left out) */
  private reportAlreadyRunning(found: readonly ProcEntry[]): void {
    const now = this.clock.nowMonoNs();
    for (const e of found) {
      if (e.pid === 2 || e.ppid === 2 || e.image.executable === '') continue;
      const parent = this.table.get(e.ppid, e.parentTicks);
      this.emitProcess(now, ALREADY_RUNNING, e, parent, e.ppid, e.parentTicks, e.creds, false);
    }
  }

  // ---- events ----

  private onExec(r: ExecEvent): void {
    const ticks = startTicksFromNs(r.startNs, this.host.clkTck);
    const parentTicks = startTicksFromNs(r.parentStartNs, this.host.clkTck);
    const parent = this.resolver.resolve(r.ppid, parentTicks);
    let e = this.table.get(r.pid, ticks);
    // the kernel's cwd comes with the exec (protocol 3); otherwise read it while the process still runs; without
    // /proc (tests) the cwd at fork is the best knowledge; a dead process gets none, not a guess
    // (nor a failed read when the collector already saw it exit)
    const cwd =
      r.cwd ??
      (this.procFallback
        ? r.exitedBeforeRelease
          ? undefined
          : readCwdSync(this.procRoot, r.pid)
        : (e?.cwd ?? parent?.cwd));
    // path.resolve builds a tree of string pieces: keep one copy per distinct path instead
    const image = imageFromExec(
      this.resolver.strings.get(r.filename),
      r.argv,
      r.argvTruncated,
      cwd,
      this.resolver.images,
      r.bytesEscaped,
      r.argc,
    );
    // the ids before the exec: a set-user-ID or set-group-ID program changes them (uid_change)
    const before = e?.creds;
    if (e) {
      e.previous = withPrevious(e.previous, e.image);
      e.image = image;
      if (e.approxStart) {
        e.startTicks = ticks;
        e.approxStart = false;
      }
      e.source = 'exec';
    } else {
      e = newEntry({
        pid: r.pid,
        startTicks: ticks,
        approxStart: false,
        ppid: r.ppid,
        // 0 = unknown: never guess a session from a missing parent
        pgid: parent?.pgid ?? 0,
        sid: parent?.sid ?? 0,
        ttyNr: parent?.ttyNr ?? 0,
        image,
        excluded: parent?.excluded ?? false,
        source: 'exec',
      });
      if (parent?.cgroup !== undefined) e.cgroup = parent.cgroup;
      // the process was forked unseen from this parent: its first image was the parent's
      if (parent) e.previous = [parent.image];
      this.table.insert(e);
    }
    e.ppid = r.ppid;
    e.parentTicks = parentTicks;
    if (r.sid !== undefined) e.sid = r.sid;
    if (cwd !== undefined) e.cwd = this.resolver.strings.get(cwd);
    else e.cwd = undefined;
    e.creds = this.resolver.credsOf(r);
    e.caps = this.resolver.capsOf(r, e.caps);
    if (r.tty) e.ttyNr = ttyNrOf(r.tty.major, r.tty.minor);
    else if (r.pidNs !== undefined) e.ttyNr = 0; // the kernel said: no controlling terminal
    if (r.pidNs !== undefined && r.mntNs !== undefined) e.ns = this.resolver.nsOf(r.pidNs, r.mntNs);
    e.env = r.envVars;
    this.resolver.setCgroup(e, r.cgroupPath);
    if (this.exclude(r.pid)) e.excluded = true;
    evaluateEntryLeader(e, parent, (pid) => this.table.get(pid), this.host);
    if (parent) this.table.touch(parent);
    this.table.touch(e);
    this.docs.rememberArgs(e, r.argv);
    const unresolved = !parent;
    this.emitProcess(r.ktimeNs, EXEC, e, parent, r.ppid, parentTicks, e.creds, unresolved);
    // Elastic Defend reports a set-user-ID/-group-ID exec as uid_change/gid_change too (its probe
    // is commit_creds, which the exec calls): after the exec, with the new image
    const now = e.creds;
    if (before !== undefined && before !== now) {
      if (before.uid !== now.uid || before.euid !== now.euid)
        this.emitProcess(r.ktimeNs, UID_CHANGE, e, parent, r.ppid, parentTicks, now, unresolved);
      if (before.gid !== now.gid || before.egid !== now.egid)
        this.emitProcess(r.ktimeNs, GID_CHANGE, e, parent, r.ppid, parentTicks, now, unresolved);
    }
  }

  // ---- documents ----

  private isExcluded(e: ProcEntry): boolean {
    if (e.excluded) return true;
    if (this.exclude(e.pid)) {
      e.excluded = true;
      return true;
    }
    return false;
  }

  private emitProcess(
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
  ): void {
    if (this.isExcluded(e)) {
      this.st.excluded++;
      return;
    }
    if (!this.demand.build('endpoint.events.process', kind, ktimeNs)) return;
    const ts = this.docs.stamp(ktimeNs);
    const env = e.env;
    const proc = this.docs.process(
      e,
      parent,
      parentPid,
      parentTicks,
      creds,
      exit?.exitCode,
      exit ? ts : undefined,
      // one shape for every extras object (NO_PROCESS_EXTRAS)
      env === undefined ? extras : { envVars: env, loadModule: extras?.loadModule },
    );
    this.emit(
      'endpoint.events.process',
      kind,
      creds,
      proc,
      undefined,
      e,
      e.source === 'event',
      unresolvedParent && parentPid > 0,
    );
  }

  /** Assembles the document started by docs.stamp() and hands it to the listeners. */
  private emit(
    dataset: Dataset,
    kind: EventKind,
    creds: Credentials | undefined,
    proc: Doc,
    net: NetworkParts | undefined,
    e: ProcEntry,
    unresolvedSelf: boolean,
    unresolvedParent: boolean,
    file?: Doc,
  ): void {
    let unresolved: readonly string[] | undefined;
    if (unresolvedSelf || unresolvedParent) {
      unresolved = unresolvedSelf
        ? unresolvedParent
          ? UNRESOLVED_BOTH
          : UNRESOLVED_SELF
        : UNRESOLVED_PARENT;
      this.st.unresolved++;
    }
    const doc = this.docs.document(dataset, kind, creds, proc, net, file, e.cgroup?.containerId, unresolved);
    this.st.emitted++;
    this.st.byAction[kind.action] = (this.st.byAction[kind.action] ?? 0) + 1;
    const out: EqlEvent = {
      doc,
      timestamp: Math.floor(this.docs.currentMs),
      sequence: this.docs.sequence,
    };
    for (const cb of this.listeners) cb(out);
  }
}

/** `previous` with `image` appended, the oldest dropped beyond MAX_PREVIOUS */
function withPrevious(
  previous: readonly ProcImage[] | undefined,
  image: ProcImage,
): readonly ProcImage[] | undefined {
  // an image known only by its comm (a process first seen without its executable) says nothing
  if (image.executable === '') return previous;
  const list = previous === undefined ? [image] : [...previous, image];
  return list.length > MAX_PREVIOUS ? list.slice(list.length - MAX_PREVIOUS) : list;
}
