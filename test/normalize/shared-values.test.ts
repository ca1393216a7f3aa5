// Interned credential sets and cgroups: equal values share one frozen object, different
// values never do, and a full map starts over without changing what callers already hold.
import { describe, expect, it } from 'vitest';
import { CgroupSets, CredentialSets } from '../../src/normalize/shared-values.js';

const ids = (uid: number, euid = uid, gid = uid, egid = gid) => ({ uid, euid, gid, egid });

describe('CredentialSets', () => {
  it('gives equal id sets one frozen object and different ones their own', () => {
    const sets = new CredentialSets();
    const a = sets.of(ids(1000));
    expect(sets.of(ids(0))).not.toBe(a);
    expect(sets.of(ids(1000))).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    // a setuid-root binary: real 1000, effective 0 is another set
    expect(sets.of(ids(1000, 0))).not.toBe(a);
    expect(sets.of(ids(1000, 0))).toEqual({ uid: 1000, euid: 0, gid: 1000, egid: 1000 });
  });

  it("returns the process's own set when the ids did not change", () => {
    const sets = new CredentialSets();
    const known = Object.freeze(ids(7));
    expect(sets.of(ids(7), known)).toBe(known);
    expect(sets.of(ids(8), known)).toEqual(ids(8));
  });

  it('keeps interning correctly past its bound', () => {
    const sets = new CredentialSets();
    const first = sets.of(ids(0));
    for (let u = 1; u <= 5000; u++) expect(sets.of(ids(u)).uid).toBe(u);
    expect(first).toEqual(ids(0));
    expect(sets.of(ids(4999))).toBe(sets.of(ids(4999)));
  });
});

describe('CgroupSets', () => {
  it('shares one object per path, with the container id the path names', () => {
    const cg = new CgroupSets();
    const path =
      '/system.slice/docker-0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef.scope';
    const c = cg.of(path);
    expect(cg.of(path)).toBe(c);
    expect(c.containerId).toBe('0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef');
    expect(cg.of('/user.slice/user-0.slice/session-3.scope').containerId).toBeUndefined();
  });
});
