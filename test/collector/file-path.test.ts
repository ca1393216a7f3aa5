// Paths from walked names and from the strings processes pass (src/collector/file-path.ts),
// table-driven: the result must be the path as the process sees it, as elastic/ebpf's
// ebpf_resolve_path_to_string would give it for the same file.
import { describe, expect, it } from 'vitest';
import { joinUserPath, pathFromWalk } from '../../src/collector/file-path.js';

const b = (s: string): Uint8Array => Buffer.from(s, 'latin1');
const t = (p: { bytes: Uint8Array; cut: boolean }) => ({
  path: Buffer.from(p.bytes).toString('latin1'),
  cut: p.cut,
});

describe('pathFromWalk', () => {
  it.each([
    { leafFirst: ['passwd', 'etc'], root: true, path: '/etc/passwd', cut: false },
    { leafFirst: [], root: true, path: '/', cut: false },
    { leafFirst: ['x'], root: true, path: '/x', cut: false },
    // stopped before the process's root (too deep, or outside it): elastic/ebpf's "." marker
    { leafFirst: ['c', 'b'], root: false, path: './b/c', cut: true },
    { leafFirst: [], root: false, path: '.', cut: true },
  ])('$path from $leafFirst (root reached: $root)', ({ leafFirst, root, path, cut }) => {
    expect(t(pathFromWalk(leafFirst.map(b), root))).toEqual({ path, cut });
  });

  it('keeps every byte of a name: newline, quote, backslash, 0xff', () => {
    const name = Uint8Array.of(0x61, 0x0a, 0x22, 0x5c, 0xff);
    expect(Array.from(pathFromWalk([name], true).bytes)).toEqual([0x2f, ...name]);
  });
});

describe('joinUserPath', () => {
  const base = (s: string, cut = false) => ({ bytes: b(s), cut });
  it.each([
    { base: base('/home/u'), user: 'f', path: '/home/u/f', cut: false },
    { base: base('/home/u'), user: '/etc/passwd', path: '/etc/passwd', cut: false },
    { base: undefined, user: '/etc//cron.d/./x', path: '/etc/cron.d/x', cut: false },
    { base: base('/home/u'), user: '../v/./f', path: '/home/v/f', cut: false },
    { base: base('/'), user: '../../etc/shadow', path: '/etc/shadow', cut: false },
    { base: base('/tmp'), user: 'd/', path: '/tmp/d', cut: false },
    { base: base('/'), user: 'x', path: '/x', cut: false },
    // the directory could not be read (closed descriptor): what is known, marked
    { base: undefined, user: 'f', path: './f', cut: true },
    // a cut base stays cut: "." then the names read
    { base: base('./b/c', true), user: 'f', path: './b/c/f', cut: true },
    { base: base('./b/c', true), user: '../../x', path: './x', cut: true },
    // a cut base does not matter to an absolute path
    { base: base('./b', true), user: '/etc/x', path: '/etc/x', cut: false },
  ])('$user relative to $base.bytes -> $path', ({ base, user, path, cut }) => {
    expect(t(joinUserPath(base, b(user), false))).toEqual({ path, cut });
  });

  it('marks a string read without its end as cut', () => {
    expect(joinUserPath(undefined, b('/etc/x'), true).cut).toBe(true);
  });
});
