// The synthetic bpftrace output that bench/collector-parse.bench.ts times must be valid
// protocol: every line decodes, every exec assembles whole, in the counts generated.
import { describe, expect, it } from 'vitest';
import { LineDecoder } from '../../src/collector/decoder.js';
import type { ExecEvent, RawEvent } from '../../src/collector/raw-event.js';
import { syntheticTrace } from './synthetic-trace.js';

function decode(text: string) {
  const d = new LineDecoder();
  const events: RawEvent[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    const r = d.decode(line);
    if (r.kind === 'event') events.push(r.event);
    if (r.kind === 'malformed') malformed++;
  }
  return { events, malformed, pending: d.assembler.pendingCount, stats: d.assembler.stats };
}

describe('synthetic bpftrace trace', () => {
  it('is the same text for the same seed and differs for another', () => {
    const a = syntheticTrace({ workload: 'exec', ops: 50, seed: 7 });
    expect(syntheticTrace({ workload: 'exec', ops: 50, seed: 7 })).toBe(a);
    expect(syntheticTrace({ workload: 'exec', ops: 50, seed: 8 })).not.toBe(a);
  });

  it('decodes to fork, exec and exit per operation, with whole argv, and no malformed line', () => {
    const { events, malformed, pending, stats } = decode(syntheticTrace({ workload: 'exec', ops: 200 }));
    expect(malformed).toBe(0);
    expect(pending).toBe(0);
    expect(stats).toEqual({ incomplete: 0, orphanChunks: 0, badChunks: 0 });
    for (const kind of ['fork', 'exec', 'exit'])
      expect(events.filter((e) => e.kind === kind)).toHaveLength(200);
  });

  it('cuts a 4 KiB argv at the bound and flags it truncated', () => {
    const { events, malformed } = decode(
      syntheticTrace({ workload: 'exec-long-argv', ops: 20, argvBound: 1024 }),
    );
    expect(malformed).toBe(0);
    const execs = events.filter((e): e is ExecEvent => e.kind === 'exec');
    expect(execs).toHaveLength(20);
    for (const e of execs) {
      expect(e.argvTruncated).toBe(true);
      expect(e.argv.join('\0').length).toBe(1024);
      expect(e.argv[1]).toBe('a'.repeat(99));
    }
  });

  it('gives one connect event per connect operation', () => {
    const { events, malformed } = decode(syntheticTrace({ workload: 'connect', ops: 300 }));
    expect(malformed).toBe(0);
    expect(events).toHaveLength(300);
    expect(events.every((e) => e.kind === 'connect' && e.comm === 'python3')).toBe(true);
  });
});
