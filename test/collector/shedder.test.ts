// Load shedding under floods: only connect/tcpsyn lines, loopback first, by how far behind the
// kernel eqld is, with hysteresis, counted.
import { describe, expect, it } from 'vitest';
import { LoadShedder } from '../../src/collector/shedder.js';
import { commWords } from '../support/hex-words.js';

const MS = 1e6;
const connect = (ts: number, addr: string, fam = addr.includes(':') ? 6 : 4) =>
  `connect ${ts} 7 7 100 0 0 0 0 ${fam} 1 9 ${addr} -111 ${commWords('storm')}`;
const tcpsyn = (ts: number, addr: string) => `tcpsyn ${ts} 7 7 100 0 0 0 0 4 443 ${addr} ${commWords('x')}`;
const NEVER = [
  `exec 5 9 9 1 0 0 0 0 1 5 6 1 3 2 2 ${commWords('a')} 1`,
  'exec_arg 5 9 0 2 0000000000000000 0000000000006161',
  'fork 1 2 7 9 8 9',
  'exit 1 2 3 4 9',
  `setsid 1 2 2 3 0 0 0 0 2 ${commWords('sh')}`,
  'Lost 12 events',
];

describe('LoadShedder', () => {
  it('sheds nothing while eqld keeps up', () => {
    const s = new LoadShedder();
    s.observe(40 * MS);
    expect(s.shed(connect(1, '127.0.0.1'), 2)).toBe(false);
    expect(s.stats()).toMatchObject({ level: 0, total: 0, episodes: 0 });
  });

  // [lag ms, line, shed?]
  const CASES: [number, string, boolean][] = [
    [300, connect(1, '127.0.0.1'), true],
    [300, connect(1, '127.255.3.4'), true],
    [300, connect(1, '::1'), true],
    [300, connect(1, '::ffff:127.0.0.1'), true],
    [300, tcpsyn(1, '127.0.0.1'), true],
    [300, connect(1, '10.1.2.3'), false], // level 1: loopback only
    [300, connect(1, '2001:db8::127'), false],
    [1500, connect(1, '10.1.2.3'), true], // level 2: every connect
    [1500, tcpsyn(1, '8.8.8.8'), true],
    ...NEVER.map((l): [number, string, boolean] => [5000, l, false]),
  ];
  it.each(CASES)('%i ms behind: %s shed = %s', (lagMs, line, expected) => {
    const s = new LoadShedder();
    s.observe(lagMs * MS);
    expect(s.shed(line, 2)).toBe(expected);
  });

  it('counts what it sheds by kind, and stops once eqld is under the resume lag again', () => {
    const s = new LoadShedder();
    s.observe(2000 * MS);
    for (let i = 0; i < 3; i++) s.shed(connect(1, '127.0.0.1'), 2);
    s.shed(connect(1, '1.2.3.4'), 2);
    s.observe(150 * MS); // between resume and level one: stays on
    expect(s.shed(connect(1, '127.0.0.1'), 2)).toBe(true);
    s.observe(50 * MS);
    expect(s.shed(connect(1, '127.0.0.1'), 2)).toBe(false);
    expect(s.stats()).toEqual({ level: 0, loopbackConnects: 4, otherConnects: 1, total: 5, episodes: 1 });
  });

  it('watches the lag on the lines it sheds, so a storm made only of shed lines still ends', () => {
    const s = new LoadShedder();
    s.observe(400 * MS);
    const now = 10_000 * MS;
    // caught up: the shed lines are recent now; every 64th one is timed
    for (let i = 0; i < 64; i++) s.shed(connect(now - 1 * MS, '127.0.0.1'), now);
    expect(s.active).toBe(false);
  });
});
