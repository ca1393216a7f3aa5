// The single-pass parseLine against the split-based parser it replaced
// (split-line-parser.ts): same Line, field for field, and the same malformed reason, on
// real captures, synthetic storms and many seeded mutations of them (spaces added and
// removed, digits and hex broken, fields cut, numbers too long or negative).
import { describe, expect, it } from 'vitest';
import { parseLine } from '../../src/collector/line-parser.js';
import { chunkFields, commWords } from '../support/hex-words.js';
import { mulberry32 } from '../support/prng.js';
import { goldenLines } from './golden.js';
import { parseLine as splitParseLine } from './split-line-parser.js';
import { syntheticTrace } from './synthetic-trace.js';

const NOISE = [
  '0',
  '9',
  '-',
  ' ',
  '  ',
  'x',
  '\\',
  'g',
  'G',
  ':',
  '.',
  'f',
  '\u0100',
  '\t',
  '99999999999999999999',
  '-0',
  '',
];

function mutate(line: string, rnd: () => number): string {
  const at = Math.floor(rnd() * (line.length + 1));
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  switch (Math.floor(rnd() * 6)) {
    case 0:
      return line.slice(0, at) + line.slice(at + 1);
    case 1:
      return line.slice(0, at) + pick(NOISE) + line.slice(at);
    case 2:
      return line.slice(0, at) + pick(NOISE) + line.slice(at + 1);
    case 3:
      return line.slice(0, at);
    case 4: {
      const f = line.split(' ');
      f[Math.floor(rnd() * f.length)] = pick(NOISE);
      return f.join(' ');
    }
    default: {
      const f = line.split(' ');
      f.splice(Math.floor(rnd() * f.length), 1);
      return f.join(' ');
    }
  }
}

/** Canonical text of a Line: bigints, byte arrays, -0 and undefined properties kept distinct. */
function canon(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (typeof x === 'bigint') return `bigint:${x}`;
    if (x instanceof Uint8Array) return `bytes:${Array.from(x).join(',')}`;
    if (Object.is(x, -0)) return 'number:-0';
    if (x === undefined) return 'undefined';
    return x;
  });
}

function baseLines(): string[] {
  const lines = [...goldenLines('capture-hostile.lines'), ...goldenLines('malformed.lines')];
  for (const workload of ['exec', 'exec-long-argv', 'connect'] as const)
    lines.push(...syntheticTrace({ workload, ops: 60, seed: 3 }).split('\n'));
  lines.push(
    `setsid 1 2 3 4 0 0 0 0 5 ${commWords('sh')}`,
    `connect 10 2 2 3 1000 1000 0 0 6 2 53 fe80::1 -101 ${commWords('dig')}`,
    `connect 10 2 2 3 0 0 0 0 4 3 65536 10.0.0.1 0 ${commWords('a')}`,
    `exec_arg 5 9 0 ${chunkFields(Buffer.from('a\0b\0'))}`,
    `exec_fn 5 9 200 ${chunkFields(Buffer.from('x'.repeat(33)))}`,
    'exit 1 2 3 4 9',
    'exit 1 2 3 12345678901234567 256',
    'fork 1 0 7 18446744073709551615 8 9',
    'fork 1 2 7 9999999999999999 8 999999999999999',
    'hello 3 2 3',
    'ready 5',
    'counters 6',
  );
  return lines;
}

describe('single-pass parseLine', () => {
  it('returns exactly what the split-based parser returned, on real, synthetic and mutated lines', () => {
    const rnd = mulberry32(20261125);
    const inputs = baseLines();
    for (const l of baseLines()) for (let k = 0; k < 25; k++) inputs.push(mutate(l, rnd));
    const differ: { line: string; got: unknown; want: unknown }[] = [];
    let malformed = 0;
    for (const line of inputs) {
      const got = parseLine(line);
      const want = splitParseLine(line);
      if (want.kind === 'malformed') malformed++;
      if (canon(got) !== canon(want)) differ.push({ line, got, want });
    }
    expect(differ.slice(0, 5)).toEqual([]);
    expect(inputs.length).toBeGreaterThan(10_000);
    // the mutations must actually reach the error paths, not only the happy one
    expect(malformed).toBeGreaterThan(inputs.length / 4);
    expect(inputs.length - malformed).toBeGreaterThan(1000);
  });
});
