import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { completeLines, readCompleteNdjson } from './ndjson.js';

describe('reading an NDJSON file being appended to', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eqld-ndjson-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('leaves out a last line whose newline has not been written yet', () => {
    expect(completeLines('{"a":1}\n{"b":2}\n{"c":')).toEqual(['{"a":1}', '{"b":2}']);
    expect(completeLines('{"a":1}\n\n{"b":2}\n')).toEqual(['{"a":1}', '{"b":2}']);
    expect(completeLines('{"a":')).toEqual([]);
  });

  it('parses the line once its newline is there', () => {
    const path = join(dir, 'events.ndjson');
    writeFileSync(path, '{"n":1}\n{"n":');
    expect(readCompleteNdjson(path)).toEqual([{ n: 1 }]);
    appendFileSync(path, '2}\n');
    expect(readCompleteNdjson(path)).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('reads a file that does not exist yet as empty, and still rejects a broken complete line', () => {
    expect(readCompleteNdjson(join(dir, 'missing.ndjson'))).toEqual([]);
    const path = join(dir, 'broken.ndjson');
    writeFileSync(path, '{"n":1\n');
    expect(() => readCompleteNdjson(path)).toThrow(SyntaxError);
  });
});
