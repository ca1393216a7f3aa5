// File events from the file program's lines (parseFileLine + FileAssembler through the
// FileLineDecoder), without a kernel: the lines are written as bpf/eqld-file.bt.in prints them
// (test/support/file-lines.ts). Real-kernel output is checked in file-kernel.test.ts.
import { describe, expect, it } from 'vitest';
import { FileLineDecoder } from '../../src/collector/file-decoder.js';
import { parseFileLine } from '../../src/collector/file-line-parser.js';
import type { FileEvent, RawEvent } from '../../src/collector/raw-event.js';
import { createLines, deleteLines, renameLines, stringLines, walkLines } from '../support/file-lines.js';

function decodeAll(lines: string[], d = new FileLineDecoder()): { events: RawEvent[]; malformed: string[] } {
  const events: RawEvent[] = [];
  const malformed: string[] = [];
  for (const l of lines) {
    const r = d.decode(l);
    if (r.kind === 'event') events.push(r.event);
    else if (r.kind === 'malformed') malformed.push(r.reason);
  }
  return { events, malformed };
}

const one = (lines: string[]): FileEvent => {
  const { events, malformed } = decodeAll(lines);
  expect(malformed).toEqual([]);
  expect(events).toHaveLength(1);
  return events[0] as FileEvent;
};

const k = { ts: 5_000_000, tid: 42 };
const actor = { pid: 42, start: 123_000_000_000n, uid: 1000, comm: 'touch' };

describe('file events from the file program’s lines', () => {
  it('a creation carries the walked path, the actor and the mode', () => {
    const e = one(createLines(k, actor, ['etc', 'cron.d', 'job']));
    expect(e).toEqual({
      kind: 'file',
      action: 'creation',
      ktimeNs: k.ts,
      pid: 42,
      tid: 42,
      startNs: 123_000_000_000n,
      uid: 1000,
      gid: 1000,
      euid: 1000,
      egid: 1000,
      comm: 'touch',
      path: '/etc/cron.d/job',
      mode: 0o100644,
    });
  });

  it('a path deeper than one line of six names comes in several walk lines', () => {
    const deep = Array.from({ length: 14 }, (_, i) => `d${i}`);
    expect(one(createLines(k, actor, deep)).path).toBe(`/${deep.join('/')}`);
  });

  it('a path of exactly six names ends in a line of none', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'];
    const lines = createLines(k, actor, six);
    expect(lines.filter((l) => l.startsWith('fp '))).toHaveLength(2);
    expect(one(lines).path).toBe('/a/b/c/d/e/f');
  });

  it('mount crossings (steps without a name) do not show in the path', () => {
    const lines = [...walkLines(k, 0, ['mnt', 'data', 'f'], { crossings: [1, 3] })];
    lines.push(`fcreate ${k.ts} ${k.tid} 42 1 0 0 0 0 ${'0'.repeat(32)} ${lines.length} 33188`);
    expect(one(lines).path).toBe('/mnt/data/f');
  });

  it('long names (32-255 bytes) come whole from their fn lines', () => {
    const long = 'L'.repeat(200);
    const mid = 'M'.repeat(40);
    expect(one(createLines(k, actor, ['tmp', mid, long])).path).toBe(`/tmp/${mid}/${long}`);
    expect(one(createLines(k, actor, ['x'.repeat(255)])).path).toBe(`/${'x'.repeat(255)}`);
  });

  it('more long names than the kernel keeps: their first 32 bytes, and the path marked cut', () => {
    const names = Array.from({ length: 10 }, (_, i) => `${i}`.padEnd(40, 'n'));
    const e = one(createLines(k, actor, names));
    expect(e.pathCut).toBe(true);
    expect(e.path.startsWith('./')).toBe(true);
    // the two names nearest the root were beyond the 8 kept: 32 bytes each
    expect(e.path.split('/').slice(1, 3)).toEqual([names[0]!.slice(0, 32), names[1]!.slice(0, 32)]);
  });

  it('a walk that stopped outside the process’s root is marked with elastic/ebpf’s "."', () => {
    const lines = walkLines(k, 0, ['srv', 'f'], { status: 2 });
    lines.push(`fcreate ${k.ts} ${k.tid} 42 1 0 0 0 0 ${'0'.repeat(32)} ${lines.length} 33188`);
    expect(one(lines)).toMatchObject({ path: './srv/f', pathCut: true });
  });

  it('a deletion joins the working directory and the relative name it was given', () => {
    expect(one(deleteLines(k, actor, '../x/./y', ['home', 'u', 'w'])).path).toBe('/home/u/x/y');
    expect(one(deleteLines(k, actor, '/etc/ld.so.preload')).path).toBe('/etc/ld.so.preload');
  });

  it('a rename carries the old and the new path and its flags', () => {
    const e = one(renameLines(k, actor, { user: 'a.tmp', base: ['etc'] }, { user: '/etc/shadow' }, 2));
    expect(e).toMatchObject({ action: 'rename', oldPath: '/etc/a.tmp', path: '/etc/shadow', renameFlags: 2 });
  });

  it('user strings at every alignment, across chunks', () => {
    for (let offset = 0; offset < 8; offset++) {
      for (const s of ['/a', `/${'p'.repeat(197)}`, `/${'q/'.repeat(300)}z`]) {
        const pieces = stringLines(k, 1, s, offset);
        const e = one([
          ...pieces,
          `fdelete ${k.ts} ${k.tid} 42 1 0 0 0 0 ${'0'.repeat(32)} ${pieces.length}`,
        ]);
        expect(e.path).toBe(s.replace(/\/+$/, '').replaceAll('//', '/'));
      }
    }
  });

  it('hostile bytes in names (newline, quotes, 0xff) neither split a line nor change a byte', () => {
    const name = Uint8Array.of(0x2e, 0x0a, 0x22, 0x27, 0x5c, 0x20, 0x65);
    const lines = createLines(k, actor, ['tmp', name as unknown as string]);
    expect(lines.every((l) => !l.includes('\n'))).toBe(true);
    expect(one(lines).path).toBe('/tmp/.\n"\'\\ e');
    const bad = one(createLines(k, actor, ['tmp', Uint8Array.of(0x61, 0xff, 0x62) as unknown as string]));
    expect(bad.bytesEscaped).toBe(true);
    expect(bad.path).toBe('/tmp/a\\xffb');
  });

  it('drops and counts an event whose pieces did not all arrive', () => {
    const d = new FileLineDecoder();
    const lines = createLines(
      k,
      actor,
      Array.from({ length: 8 }, (_, i) => `d${i}`),
    );
    lines.splice(0, 1); // the first walk line was lost
    expect(decodeAll(lines, d).events).toEqual([]);
    expect(d.assembler.stats.incomplete).toBe(1);
  });

  it('drops pieces whose event line never came, after the age limit', () => {
    let now = 0;
    const d = new FileLineDecoder();
    (d.assembler as unknown as { now: () => number }).now = () => now;
    decodeAll(createLines(k, actor, ['a', 'b']).slice(0, -1), d);
    expect(d.assembler.size).toBe(1);
    now = 3e9;
    d.assembler.expire(now);
    expect(d.assembler.size).toBe(0);
    expect(d.assembler.stats.orphanPieces).toBe(1);
  });

  it('keeps two events of one thread apart by their timestamps', () => {
    const a = createLines({ ts: 1, tid: 7 }, actor, ['a']);
    const b2 = createLines({ ts: 2, tid: 7 }, actor, ['b']);
    const { events } = decodeAll([a[0]!, b2[0]!, a[1]!, b2[1]!]);
    expect(events.map((e) => (e as FileEvent).path)).toEqual(['/a', '/b']);
  });
});

describe('parseFileLine', () => {
  it.each([
    ['fp 1 2 0 0', /fp line has 5 fields, expected 18/],
    [
      `fp 1 2 4 0 0 ${'0 0000000000000000000000000000000000000000000000000000000000000000 '.repeat(6).trim()}`,
      /slot 4 is not 0-3/,
    ],
    [
      `fp 1 2 0 17 0 ${'0 0000000000000000000000000000000000000000000000000000000000000000 '.repeat(6).trim()}`,
      /past the walk/,
    ],
    [
      `fp 1 2 0 0 3 ${'0 0000000000000000000000000000000000000000000000000000000000000000 '.repeat(6).trim()}`,
      /status 3/,
    ],
    [
      `fp 1 2 0 0 0 ${'256 0000000000000000000000000000000000000000000000000000000000000000 '.repeat(6).trim()}`,
      /NAME_MAX/,
    ],
    [
      `fp 1 2 0 0 0 ${'1 00000000000000zz000000000000000000000000000000000000000000000000 '.repeat(6).trim()}`,
      /hex words/,
    ],
    [`fn 1 2 0 0 20 0 ${'0'.repeat(256)} ${'0'.repeat(16)}`, /fn name length 20/],
    [`fs 1 2 1 8 3 0 ${'0'.repeat(400)}`, /offset 8/],
    [`fs 1 2 1 0 3 7 ${'0'.repeat(400)}`, /chunk offset 7/],
    [`fs 1 2 1 0 5000 0 ${'0'.repeat(400)}`, /length 5000/],
    [`fcreate 1 2 3 4 0 0 0 0 ${'0'.repeat(32)} 1`, /fcreate line has 11 fields, expected 12/],
    [`fdelete 1 2 3 -4 0 0 0 0 ${'0'.repeat(32)} 1`, /negative/],
  ])('%s is malformed (%s)', (line, reason) => {
    const l = parseFileLine(line);
    expect(l.kind).toBe('malformed');
    expect((l as { reason: string }).reason).toMatch(reason);
  });

  it('leaves the process program’s lines and bpftrace’s notices to parseLine', () => {
    expect(parseFileLine('Lost 3 events')).toEqual({ kind: 'lost', count: 3 });
    expect(parseFileLine('@file_dropped: 12')).toEqual({ kind: 'counter', name: 'file_dropped', value: 12 });
    expect(parseFileLine('hello 1 5 0')).toMatchObject({ kind: 'hello', version: 1 });
    expect(parseFileLine('fork 1 2 3 4 5 6').kind).toBe('event');
    expect(parseFileLine('fnord 1').kind).toBe('malformed');
  });
});
