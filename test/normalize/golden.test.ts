// Golden tests: raw event fixtures (test/golden/normalize/*.raw.json: a fake /proc and a raw
// event stream) -> the exact ECS documents in *.ecs.ndjson. UPDATE_GOLDEN=1 rewrites them.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { RawEvent } from '../../src/collector/raw-event.js';
import { reviveRaw } from '../support/raw-builders.js';
import { type FakeProc, fakeProcRoot, GOLDEN_DIR, HOST, makeNormalizer } from './harness.js';

interface Scenario {
  description: string;
  options?: { udpConnects?: boolean; alreadyRunning?: boolean };
  proc: FakeProc[];
  events: RawEvent[];
}

const update = process.env.UPDATE_GOLDEN === '1';
const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

const files = readdirSync(GOLDEN_DIR)
  .filter((f) => f.endsWith('.raw.json'))
  .sort();

describe('golden: raw events -> ECS documents', () => {
  it('has scenarios', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const f of files) {
    const name = f.replace(/\.raw\.json$/, '');
    it(`${name} produces the expected documents`, async () => {
      const sc = JSON.parse(readFileSync(join(GOLDEN_DIR, f), 'utf8'), reviveRaw) as Scenario;
      const proc = fakeProcRoot(sc.proc);
      cleanups.push(proc.cleanup);
      const h = makeNormalizer({
        procRoot: proc.root,
        udpConnects: sc.options?.udpConnects ?? false,
        alreadyRunning: sc.options?.alreadyRunning ?? false,
        host: { ...HOST, pidNs: 4026531836, mntNs: 4026531832 },
      });
      await h.n.seedFromProc();
      h.push(...sc.events);
      const text = h
        .docs()
        .map((d) => `${JSON.stringify(d)}\n`)
        .join('');
      const expectedPath = join(GOLDEN_DIR, `${name}.ecs.ndjson`);
      if (update) writeFileSync(expectedPath, text);
      const expected = readFileSync(expectedPath, 'utf8');
      expect(text).toBe(expected);
      // every line parses back to the very document that was emitted
      const back = expected
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(back).toEqual(JSON.parse(JSON.stringify(h.docs())));
      for (const e of h.out) expect(e.sequence).toBe((e.doc.event as { sequence: number }).sequence);
    });
  }
});
