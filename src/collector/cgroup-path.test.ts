// On the host's cgroup2 mount (eqld runs as root, as the suite does): a cgroup made right after
// a walk resolves at once, as a container's first exec needs.
import { mkdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CgroupPaths, findCgroup2Mount } from './cgroup-path.js';

const root = findCgroup2Mount();
const writable = (() => {
  if (root === undefined) return false;
  try {
    const probe = join(root, `eqld-probe-${process.pid}`);
    mkdirSync(probe);
    rmdirSync(probe);
    return true;
  } catch {
    return false;
  }
})();
if (!writable)
  process.stderr.write(`SKIPPED (no writable cgroup2 mount: ${root ?? 'none'}): cgroup path resolution\n`);

describe.skipIf(!writable)('cgroup id to path', () => {
  const made: string[] = [];
  const make = (name: string) => {
    const dir = join(root!, `${name}-${process.pid}`);
    mkdirSync(dir);
    made.push(dir);
    return { id: BigInt(statSync(dir, { bigint: true }).ino), rel: dir.slice(root!.length) };
  };
  afterEach(() => {
    for (const d of made.splice(0).reverse()) rmdirSync(d);
  });

  it('resolves a cgroup made just after a walk at once, not a second later', () => {
    const paths = new CgroupPaths(root, 60_000);
    const a = make('eqld-test-a');
    expect(paths.resolve(a.id)).toBe(a.rel);
    const b = make('eqld-test-b'); // within the rescan interval of the walk that found a
    expect(paths.resolve(b.id)).toBe(b.rel);
  });

  it('walks again for an unknown older id (a cgroup gone) only after the rescan interval', () => {
    const paths = new CgroupPaths(root, 60_000);
    const gone = make('eqld-test-c');
    expect(paths.resolve(gone.id)).toBe(gone.rel);
    rmdirSync(join(root!, gone.rel));
    made.pop();
    const newer = make('eqld-test-d');
    expect(paths.resolve(newer.id)).toBe(newer.rel);
    const walks = paths.walks;
    // the walk for `newer` did not find `gone`, older than it: no walk for it within the interval
    expect(paths.resolve(gone.id)).toBeUndefined();
    expect(paths.walks).toBe(walks);
    // a newer cgroup still walks at once
    const newest = make('eqld-test-e');
    expect(paths.resolve(newest.id)).toBe(newest.rel);
    expect(paths.walks).toBe(walks + 1);
  });
});
