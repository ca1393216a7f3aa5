import { describe, expect, it } from 'vitest';
import { OrderError, OrderedEvents } from './ordered-events.js';

const line = (ts: number, seq?: number) =>
  JSON.stringify({ '@timestamp': ts, ...(seq === undefined ? {} : { event: { sequence: seq } }) });

function run(window: number, input: string[]) {
  const o = new OrderedEvents(window);
  const out: number[] = [];
  const released: number[] = [];
  for (const l of input) {
    const got = o.push(l).map((e) => e.timestamp);
    released.push(got.length);
    out.push(...got);
  }
  out.push(...o.end().map((e) => e.timestamp));
  return { out, released, stats: o.stats };
}

describe('OrderedEvents', () => {
  // [window, input timestamps, expected order]
  const CASES: [number, number[], number[]][] = [
    [10, [3, 1, 2], [1, 2, 3]], // input within the window: sorted whole, as if read at once
    [2, [2, 1, 4, 3, 6, 5], [1, 2, 3, 4, 5, 6]], // locally out of order: sorted as it streams
    [1, [1, 2, 3], [1, 2, 3]],
    [3, [5, 5, 5], [5, 5, 5]],
  ];
  it.each(CASES)('window %i: %j comes out as %j', (window, input, expected) => {
    expect(
      run(
        window,
        input.map((t) => line(t)),
      ).out,
    ).toEqual(expected);
  });

  it('releases events while input still comes, holding no more than the window', () => {
    const r = run(
      3,
      [1, 2, 3, 4, 5, 6].map((t) => line(t)),
    );
    expect(r.released).toEqual([0, 0, 0, 1, 1, 1]);
  });

  it('breaks @timestamp ties by event.sequence, then by line', () => {
    const o = new OrderedEvents(10);
    for (const l of [line(1, 9), line(1, 2), line(1), line(0)]) o.push(l);
    expect(o.end().map((e) => e.sequence)).toEqual([4, 2, 3, 9]);
  });

  it('refuses, naming the line, an event that sorts before one already released', () => {
    const o = new OrderedEvents(2);
    for (const t of [5, 6, 7]) o.push(line(t)); // 5 is released
    expect(() => o.push(line(1))).toThrow(OrderError);
    const e2 = new OrderedEvents(2);
    for (const t of [5, 6, 7]) e2.push(line(t));
    expect(() => e2.push(line(4))).toThrow(/^line 4: this event sorts before events already evaluated/);
  });

  it('counts malformed lines with the first reasons and skips blank ones', () => {
    const r = run(10, [line(1), '', 'nope', '[1]', '{"a":1}', line(2)]);
    expect(r.out).toEqual([1, 2]);
    expect(r.stats).toMatchObject({ lines: 6, events: 2, malformed: 3 });
    expect(r.stats.problems.map((p) => p.replace(/ \(.*/, ''))).toEqual([
      'line 3: not JSON',
      'line 4: not a JSON object',
      'line 5: no valid @timestamp',
    ]);
  });
});
