// Finds the table entry an event names, falling back to /proc for a process the table missed,
// and builds entries from /proc facts or from an event alone. It also holds the interning of
// what entries share (paths, images, credentials, capability sets, namespaces, cgroups). State
// only the table's and the interners'; the one I/O is the synchronous /proc read of a miss.
import type { Capabilities, Credentials } from '../collector/raw-event.js';
import type { CapabilitySets } from './capabilities.js';
import { CapabilityInterner } from './capabilities.js';
import { evaluateEntryLeader } from './entry-leader.js';
import type { HostInfo } from './host-info.js';
import { ImageSharing, imageFromProc } from './proc-image.js';
import { type ProcFacts, readProcSync } from './proc-reader.js';
import { Interner, type Namespaces, newEntry, type ProcEntry, type ProcessTable } from './process-table.js';
import { CgroupSets, CredentialSets, NamespaceSets } from './shared-values.js';

export interface ProcessResolverOptions {
  table: ProcessTable;
  host: HostInfo;
  exclude: (pid: number) => boolean;
  procFallback: boolean;
  procRoot: string;
  /** where /proc fallback hits and misses are counted */
  counters: { procFallbackHits: number; procFallbackMisses: number };
}

export class ProcessResolver {
  /** paths (executables, names, cwds, cgroups) repeat across processes: one copy each */
  readonly strings = new Interner();
  readonly images = new ImageSharing((s) => this.strings.get(s));
  private readonly cgroups = new CgroupSets();
  private readonly creds = new CredentialSets();
  private readonly capSets = new CapabilityInterner();
  private readonly namespaces = new NamespaceSets();

  constructor(private readonly o: ProcessResolverOptions) {}

  /** The shared credentials object for c's ids (`known` when equal). */
  credsOf(c: Credentials, known?: Credentials): Credentials {
    return this.creds.of(c, known);
  }

  /** The shared capability sets of an event's masks; `known` when the event has none. */
  capsOf(c: Partial<Capabilities>, known: CapabilitySets | undefined): CapabilitySets | undefined {
    return c.capEffective === undefined || c.capPermitted === undefined
      ? known
      : this.capSets.of(c.capEffective, c.capPermitted);
  }

  nsOf(pid: number | undefined, mnt: number | undefined): Namespaces | undefined {
    return pid === undefined || mnt === undefined ? undefined : this.namespaces.of(pid, mnt);
  }

  setCgroup(e: ProcEntry, path: string | undefined): void {
    if (path !== undefined) e.cgroup = this.cgroups.of(path);
  }

  /** A new table entry from /proc facts, its parent linked when the table knows it. */
  insertFromFacts(f: ProcFacts): ProcEntry {
    const table = this.o.table;
    const parent = table.get(f.ppid);
    const usable = parent && parent.startTicks <= f.startTicks ? parent : undefined;
    const e = newEntry({
      pid: f.pid,
      startTicks: f.startTicks,
      approxStart: false,
      ppid: f.ppid,
      pgid: f.pgid,
      sid: f.sid,
      ttyNr: f.ttyNr,
      image: imageFromProc(f.exe, f.comm, f.args, this.images, f.bytesEscaped),
      excluded: this.o.exclude(f.pid) || (usable?.excluded ?? false),
      source: 'proc',
    });
    if (usable) e.parentTicks = usable.startTicks;
    if (f.cwd !== undefined) e.cwd = f.cwd;
    if (f.uid >= 0) e.creds = this.creds.of(f);
    e.caps = this.capsOf(f, undefined);
    e.ns = this.nsOf(f.pidNs, f.mntNs);
    this.setCgroup(e, f.cgroupPath);
    table.insert(e);
    evaluateEntryLeader(e, usable, (pid) => table.get(pid), this.o.host);
    return e;
  }

  /** Table entry for (pid, ticks), else /proc when it still holds that same process. */
  resolve(pid: number, ticks: number | undefined): ProcEntry | undefined {
    const e = this.o.table.get(pid, ticks);
    if (e || !this.o.procFallback || pid <= 0) return e;
    const f = readProcSync(this.o.procRoot, pid);
    if (f && (ticks === undefined || f.startTicks === ticks)) {
      this.o.counters.procFallbackHits++;
      return this.insertFromFacts(f);
    }
    this.o.counters.procFallbackMisses++;
    return undefined;
  }

  /** A process known only from its event (it is gone from /proc): identity and comm. */
  placeholder(pid: number, ticks: number, comm: string, ppid = 0): ProcEntry {
    const e = newEntry({
      pid,
      startTicks: ticks,
      approxStart: false,
      ppid,
      pgid: 0,
      sid: 0,
      ttyNr: 0,
      image: imageFromProc(undefined, comm, []),
      excluded: this.o.exclude(pid),
      source: 'event',
    });
    this.o.table.insert(e);
    return e;
  }

  /** resolve(), else a placeholder: the acting process of an event always has an entry. */
  actor(pid: number, ticks: number, comm: string): ProcEntry {
    return this.resolve(pid, ticks) ?? this.placeholder(pid, ticks, comm);
  }
}
