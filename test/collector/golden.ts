// Golden-file helper for collector tests: compares JSON (bigints as strings) with a file
// under test/golden/collector, or rewrites it when UPDATE_GOLDEN=1.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { expect } from 'vitest';

export const GOLDEN_DIR = new URL('../golden/collector/', import.meta.url);

export function toJson(v: unknown): string {
  return `${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2)}\n`;
}

export function expectGolden(name: string, value: unknown): void {
  const file = new URL(name, GOLDEN_DIR);
  const text = toJson(value);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(file)) {
    if (process.env.UPDATE_GOLDEN !== '1')
      throw new Error(`golden ${name} missing; run with UPDATE_GOLDEN=1`);
    writeFileSync(file, text);
    return;
  }
  expect(text).toBe(readFileSync(file, 'utf8'));
}

export function goldenLines(name: string): string[] {
  return readFileSync(new URL(name, GOLDEN_DIR), 'latin1').split('\n');
}
