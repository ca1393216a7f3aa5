// Interning of the small values that many process-table entries share: one frozen object per
// distinct credential set and per cgroup path, so 100k entries hold pointers, not copies, and
// the document cache can compare them by identity. Each map is bounded (cleared when full:
// entries keep the objects they hold, new ones are interned afresh).
import type { Credentials } from '../collector/raw-event.js';
import { containerIdFromCgroup } from './container-id.js';
import type { Cgroup, Namespaces } from './process-table.js';

const MAX_DISTINCT = 4096;

export class CredentialSets {
  private readonly sets = new Map<string, Credentials>();
  private last: Credentials | undefined;

  /** The shared object for c's ids; `known` (the process's current set) is returned when equal. */
  of(c: Credentials, known?: Credentials): Credentials {
    // the common cases: the same ids as last time for this process, or as the last set looked up
    if (known !== undefined && sameIds(known, c)) return known;
    const last = this.last;
    if (last !== undefined && sameIds(last, c)) return last;
    const k = `${c.uid}:${c.euid}:${c.gid}:${c.egid}`;
    let v = this.sets.get(k);
    if (!v) {
      if (this.sets.size >= MAX_DISTINCT) this.sets.clear();
      v = Object.freeze({ uid: c.uid, euid: c.euid, gid: c.gid, egid: c.egid });
      this.sets.set(k, v);
    }
    this.last = v;
    return v;
  }
}

function sameIds(a: Credentials, b: Credentials): boolean {
  return a.uid === b.uid && a.euid === b.euid && a.gid === b.gid && a.egid === b.egid;
}

export class CgroupSets {
  private readonly byPath = new Map<string, Cgroup>();

  /** The shared cgroup object (path and container id) for a path. */
  of(path: string): Cgroup {
    let c = this.byPath.get(path);
    if (c === undefined) {
      if (this.byPath.size >= MAX_DISTINCT) this.byPath.clear();
      c = Object.freeze({ path, containerId: containerIdFromCgroup(path) || undefined });
      this.byPath.set(path, c);
    }
    return c;
  }
}

export class NamespaceSets {
  private readonly sets = new Map<string, Namespaces>();

  /** The shared object for a pid and mount namespace pair. */
  of(pid: number, mnt: number): Namespaces {
    const k = `${pid}:${mnt}`;
    let v = this.sets.get(k);
    if (v === undefined) {
      if (this.sets.size >= MAX_DISTINCT) this.sets.clear();
      v = Object.freeze({ pid, mnt });
      this.sets.set(k, v);
    }
    return v;
  }
}
