// The process table: what eqld knows about each process (image, cwd, ids, leaders) keyed by pid,
// with exited processes kept for a grace period (late events still resolve) and a size cap.
// Eviction order when full: exited entries first (oldest exit first), then the least recently
// used live entry (an event naming a process, as actor, parent or leader, counts as a use); each
// eviction is counted. It holds state only: no I/O, no ECS.
import type { Credentials } from '../collector/raw-event.js';
import type { CapabilitySets } from './capabilities.js';
import type { ProcImage } from './proc-image.js';

/** An executable image; shared by a forked child and its parent until the child execs. */
export type { ProcImage };

export type EntryType = 'init' | 'sshd' | 'ssm' | 'container' | 'terminal' | 'console' | 'unknown';

export interface ProcEntry {
  pid: number;
  startTicks: number;
  /** start tick derived from the fork's timestamp, not from start_boottime: exec corrects it */
  approxStart: boolean;
  ppid: number;
  parentTicks?: number;
  pgid: number;
  sid: number;
  /** tty_nr (major<<8 | minor, with the extended bits); 0 = no controlling terminal */
  ttyNr: number;
  image: ProcImage;
  cwd?: string;
  /** last known credentials (from exec, /proc or inherited at fork) */
  creds?: Credentials;
  /** last known capability sets (from exec, uid/gid changes, network events, /proc, or the
   *  parent's at fork) */
  caps?: CapabilitySets;
  /** the pid and mount namespaces it runs in (exec, /proc; the parent's at fork) */
  ns?: Namespaces;
  /** the images it ran before its current one, oldest first (the parent's at fork, then each
   *  exec's predecessor; at most MAX_PREVIOUS) */
  previous?: readonly ProcImage[];
  /** environment variables captured at its last exec ("NAME=value") */
  env?: readonly string[];
  /** the process's cgroup and the container id in it (one shared object per cgroup path) */
  cgroup?: Cgroup;
  /** set on an entry leader itself */
  entryType?: EntryType;
  entryLeader?: ProcEntry;
  excluded: boolean;
  source: 'proc' | 'fork' | 'exec' | 'event';
  exitedAtNs?: number;
  /** table use counter at the last event that named this process (LRU for live eviction) */
  lastUsed: number;
  /** this process's shared parent/leader document blocks (ecs-process.ts) */
  blocks: BlockCache | undefined;
}

export interface Cgroup {
  readonly path: string;
  readonly containerId: string | undefined;
}

/** Namespace inode numbers (as /proc/PID/ns/* links show them); one shared object per pair. */
export interface Namespaces {
  readonly pid: number;
  readonly mnt: number;
}

/** how many earlier images process.previous keeps */
export const MAX_PREVIOUS = 8;

/** Document blocks for a process named as parent or leader, and what they were built from. */
export interface BlockCache {
  image: ProcImage;
  cwd: string | undefined;
  creds: Credentials | undefined;
  ttyNr: number;
  gen: number;
  entryType: EntryType | undefined;
  rel: Record<string, unknown>;
  asLeader: Record<string, unknown>;
  asEntry: Record<string, unknown> | undefined;
  entryParent: ProcEntry | undefined;
}

/** The fields every entry has from the start. */
export type ProcEntryInit = Pick<
  ProcEntry,
  'pid' | 'startTicks' | 'approxStart' | 'ppid' | 'pgid' | 'sid' | 'ttyNr' | 'image' | 'excluded' | 'source'
>;

const SOURCES: readonly ProcEntry['source'][] = ['proc', 'fork', 'exec', 'event'];
const SOURCE_BITS: Record<ProcEntry['source'], number> = { proc: 0, fork: 4, exec: 8, event: 12 };
const ENTRY_TYPES: readonly (EntryType | undefined)[] = [
  undefined,
  'init',
  'sshd',
  'ssm',
  'container',
  'terminal',
  'console',
  'unknown',
];
// bit 0 approxStart, bit 1 excluded, bits 2-3 source, bits 4-6 entry type
const APPROX = 1;
const EXCLUDED = 2;
const SOURCE_MASK = 12;
const TYPE_SHIFT = 4;
const TYPE_MASK = 7 << TYPE_SHIFT;

/**
 * The table's own entries. Every entry gets all fields in one order, so V8 gives all entries one
 * hidden class (fields in the object): optional fields are undefined, never deleted. The two
 * flags, the source and the entry type are packed into one number behind accessors (24 bytes
 * less per entry than a field each), so an entry still reads and writes as a ProcEntry.
 */
class TableEntry implements ProcEntry {
  pid: number;
  startTicks: number;
  ppid: number;
  parentTicks: number | undefined = undefined;
  pgid: number;
  sid: number;
  ttyNr: number;
  image: ProcImage;
  cwd: string | undefined = undefined;
  creds: Credentials | undefined = undefined;
  caps: CapabilitySets | undefined = undefined;
  ns: Namespaces | undefined = undefined;
  previous: readonly ProcImage[] | undefined = undefined;
  env: readonly string[] | undefined = undefined;
  cgroup: Cgroup | undefined = undefined;
  entryLeader: ProcEntry | undefined = undefined;
  exitedAtNs: number | undefined = undefined;
  lastUsed = 0;
  blocks: BlockCache | undefined = undefined;
  private bits: number;

  constructor(i: ProcEntryInit) {
    this.pid = i.pid;
    this.startTicks = i.startTicks;
    this.ppid = i.ppid;
    this.pgid = i.pgid;
    this.sid = i.sid;
    this.ttyNr = i.ttyNr;
    this.image = i.image;
    this.bits = (i.approxStart ? APPROX : 0) | (i.excluded ? EXCLUDED : 0) | SOURCE_BITS[i.source];
  }

  get approxStart(): boolean {
    return (this.bits & APPROX) !== 0;
  }
  set approxStart(v: boolean) {
    this.bits = v ? this.bits | APPROX : this.bits & ~APPROX;
  }

  get excluded(): boolean {
    return (this.bits & EXCLUDED) !== 0;
  }
  set excluded(v: boolean) {
    this.bits = v ? this.bits | EXCLUDED : this.bits & ~EXCLUDED;
  }

  get source(): ProcEntry['source'] {
    return SOURCES[(this.bits & SOURCE_MASK) >> 2] as ProcEntry['source'];
  }
  set source(v: ProcEntry['source']) {
    this.bits = (this.bits & ~SOURCE_MASK) | SOURCE_BITS[v];
  }

  get entryType(): EntryType | undefined {
    return ENTRY_TYPES[(this.bits & TYPE_MASK) >> TYPE_SHIFT];
  }
  set entryType(v: EntryType | undefined) {
    this.bits = (this.bits & ~TYPE_MASK) | (ENTRY_TYPES.indexOf(v) << TYPE_SHIFT);
  }
}

/** A new table entry; the optional fields start undefined. */
export function newEntry(i: ProcEntryInit): ProcEntry {
  return new TableEntry(i);
}

/** A copy of `e` (all its fields, the packed ones too) running `image`. */
export function entryWithImage(e: ProcEntry, image: ProcImage): ProcEntry {
  const c = newEntry({ ...pickInit(e), image });
  c.parentTicks = e.parentTicks;
  c.cwd = e.cwd;
  c.creds = e.creds;
  c.caps = e.caps;
  c.ns = e.ns;
  c.previous = e.previous;
  c.env = e.env;
  c.cgroup = e.cgroup;
  c.entryType = e.entryType;
  c.entryLeader = e.entryLeader;
  c.exitedAtNs = e.exitedAtNs;
  c.lastUsed = e.lastUsed;
  return c;
}

function pickInit(e: ProcEntry): ProcEntryInit {
  return {
    pid: e.pid,
    startTicks: e.startTicks,
    approxStart: e.approxStart,
    ppid: e.ppid,
    pgid: e.pgid,
    sid: e.sid,
    ttyNr: e.ttyNr,
    image: e.image,
    excluded: e.excluded,
    source: e.source,
  };
}

/** Shares equal strings (paths repeat across processes); cleared when full, so bounded. */
export class Interner {
  private map = new Map<string, string>();
  constructor(private readonly cap = 16_384) {}
  get(s: string): string {
    const hit = this.map.get(s);
    if (hit !== undefined) return hit;
    if (this.map.size >= this.cap) this.map.clear();
    this.map.set(s, s);
    return s;
  }
}

export interface ProcessTableOptions {
  maxEntries?: number;
  /** how long an exited entry stays resolvable, kernel ns */
  exitGraceNs?: number;
}

export interface ProcessTableStats {
  live: number;
  exited: number;
  size: number;
  maxEntries: number;
  evictedExited: number;
  evictedLive: number;
  expired: number;
  /** a live entry replaced by a new process with the same pid (its exit was never seen) */
  replacedWithoutExit: number;
}

export class ProcessTable {
  /** pid -> current entry */
  private readonly live = new Map<number, ProcEntry>();
  /**
   * exited entries displaced from `live` by pid reuse, kept until their grace ends, by pid (an
   * array in the rare case that one pid was reused more than once within the grace period):
   * small-integer keys hash without a key object per lookup
   */
  private readonly ghosts = new Map<number, ProcEntry | ProcEntry[]>();
  private ghostCount = 0;
  /** exited entries in exit order */
  private exitQueue: ProcEntry[] = [];
  private exitHead = 0;
  private exitedCount = 0;
  private useCounter = 0;
  readonly maxEntries: number;
  private readonly graceNs: number;
  private readonly st = { evictedExited: 0, evictedLive: 0, expired: 0, replacedWithoutExit: 0 };

  constructor(opts: ProcessTableOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 65_536;
    this.graceNs = opts.exitGraceNs ?? 5_000_000_000;
  }

  /** The entry for pid; with `ticks`, only the process that started at that tick. */
  get(pid: number, ticks?: number): ProcEntry | undefined {
    const e = this.live.get(pid);
    if (ticks === undefined) return e;
    if (e && (e.startTicks === ticks || (e.approxStart && Math.abs(e.startTicks - ticks) <= 1))) return e;
    const g = this.ghosts.get(pid);
    if (g === undefined) return undefined;
    if (!Array.isArray(g)) return g.startTicks === ticks ? g : undefined;
    for (const x of g) if (x.startTicks === ticks) return x;
    return undefined;
  }

  /** Marks an entry recently used so eviction spares it. */
  touch(e: ProcEntry): void {
    e.lastUsed = ++this.useCounter;
  }

  insert(e: ProcEntry): void {
    const old = this.live.get(e.pid);
    if (old && old !== e) {
      if (old.exitedAtNs !== undefined) this.addGhost(old);
      else this.st.replacedWithoutExit++;
    }
    // set over an existing key replaces in place (a delete first would leave a hole to rehash)
    this.live.set(e.pid, e);
    e.lastUsed = ++this.useCounter;
    this.enforceCap();
  }

  /** `exitCode` is reported in the exit's document, not kept */
  markExited(e: ProcEntry, ktimeNs: number, _exitCode: number): void {
    if (e.exitedAtNs !== undefined) return;
    e.exitedAtNs = ktimeNs;
    this.exitQueue.push(e);
    this.exitedCount++;
  }

  /** Drops exited entries whose grace period ended before `nowNs` (kernel time). */
  expire(nowNs: number): void {
    while (this.exitHead < this.exitQueue.length) {
      const e = this.exitQueue[this.exitHead] as ProcEntry;
      if ((e.exitedAtNs as number) + this.graceNs > nowNs) break;
      this.exitHead++;
      if (this.remove(e)) this.st.expired++;
    }
    this.compactQueue();
  }

  size(): number {
    return this.live.size + this.ghostCount;
  }

  /** Live (not exited) entries, for seeding checks and tests. */
  *entries(): IterableIterator<ProcEntry> {
    yield* this.live.values();
  }

  stats(): ProcessTableStats {
    return {
      live: this.live.size - this.liveExited(),
      exited: this.exitedCount,
      size: this.size(),
      maxEntries: this.maxEntries,
      ...this.st,
    };
  }

  private liveExited(): number {
    return this.exitedCount - this.ghostCount;
  }

  private addGhost(e: ProcEntry): void {
    const g = this.ghosts.get(e.pid);
    if (g === undefined) this.ghosts.set(e.pid, e);
    else if (Array.isArray(g)) g.push(e);
    else this.ghosts.set(e.pid, [g, e]);
    this.ghostCount++;
  }

  private removeGhost(e: ProcEntry): boolean {
    const g = this.ghosts.get(e.pid);
    if (g === e) this.ghosts.delete(e.pid);
    else if (Array.isArray(g) && g.includes(e)) {
      if (g.length === 2) this.ghosts.set(e.pid, g[0] === e ? (g[1] as ProcEntry) : (g[0] as ProcEntry));
      else g.splice(g.indexOf(e), 1);
    } else return false;
    this.ghostCount--;
    return true;
  }

  private remove(e: ProcEntry): boolean {
    let removed = false;
    if (this.live.get(e.pid) === e) {
      this.live.delete(e.pid);
      removed = true;
    } else removed = this.removeGhost(e);
    if (removed && e.exitedAtNs !== undefined) this.exitedCount--;
    return removed;
  }

  private enforceCap(): void {
    while (this.size() > this.maxEntries) {
      if (this.exitHead < this.exitQueue.length) {
        const e = this.exitQueue[this.exitHead++] as ProcEntry;
        if (this.remove(e)) this.st.evictedExited++;
        continue;
      }
      // no exited entry left: the least recently used live one goes (a full scan, but this
      // only happens when more processes are alive than the cap allows)
      let lru: ProcEntry | undefined;
      for (const e of this.live.values()) if (!lru || e.lastUsed < lru.lastUsed) lru = e;
      if (!lru) break;
      this.live.delete(lru.pid);
      this.st.evictedLive++;
    }
    this.compactQueue();
  }

  private compactQueue(): void {
    if (this.exitHead > 1024 && this.exitHead * 2 > this.exitQueue.length) {
      this.exitQueue = this.exitQueue.slice(this.exitHead);
      this.exitHead = 0;
    }
  }
}
