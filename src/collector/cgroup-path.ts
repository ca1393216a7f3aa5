// Resolves a cgroup v2 id (bpftrace `cgroup`, the kernfs node id) to its path below the
// cgroup2 mount: on cgroup2 the id is the directory's inode number. The tree is walked lazily on
// a miss. kernfs numbers its nodes in increasing order, so an id above every id of the last walk
// is a cgroup made since: it is walked for at once (a container's first exec comes right after
// its cgroup is made, often within a second of another walk), and only once per such id. Other
// misses (a cgroup gone, or past maxEntries) walk at most once per `rescanMs`; unknown ids
// resolve to undefined.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function findCgroup2Mount(mountinfo = '/proc/self/mountinfo'): string | undefined {
  try {
    for (const line of readFileSync(mountinfo, 'utf8').split('\n')) {
      const sep = line.indexOf(' - ');
      if (sep < 0) continue;
      const fstype = line.slice(sep + 3).split(' ')[0];
      if (fstype === 'cgroup2') return line.split(' ')[4];
    }
  } catch {
    // no /proc: no cgroup paths
  }
  return undefined;
}

export class CgroupPaths {
  private readonly byId = new Map<bigint, string>();
  private lastScan = -Infinity;
  /** the highest id walked for or found: ids above it are cgroups made since */
  private newest = -1n;
  /** walks of the tree so far */
  walks = 0;

  constructor(
    private readonly root: string | undefined = findCgroup2Mount(),
    private readonly rescanMs = 1000,
    private readonly maxEntries = 100_000,
  ) {}

  resolve(id: bigint): string | undefined {
    const hit = this.byId.get(id);
    if (hit !== undefined || this.root === undefined) return hit;
    const now = performance.now();
    if (id <= this.newest && now - this.lastScan < this.rescanMs) return undefined;
    this.lastScan = now;
    this.scan();
    if (id > this.newest) this.newest = id;
    return this.byId.get(id);
  }

  private scan(): void {
    this.walks++;
    this.byId.clear();
    const root = this.root!;
    const stack: string[] = [''];
    while (stack.length > 0 && this.byId.size < this.maxEntries) {
      const rel = stack.pop()!;
      const abs = join(root, rel);
      try {
        const id = BigInt(statSync(abs, { bigint: true }).ino);
        this.byId.set(id, rel === '' ? '/' : rel);
        if (id > this.newest) this.newest = id;
        for (const d of readdirSync(abs, { withFileTypes: true })) {
          if (d.isDirectory()) stack.push(`${rel}/${d.name}`);
        }
      } catch {
        // a cgroup removed while walking
      }
    }
  }
}
