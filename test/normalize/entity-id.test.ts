import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  decodeEntityId,
  entityId,
  entityIdEncoder,
  entityIdFor,
  startTicksFromNs,
} from '../../src/normalize/entity-id.js';

const HOST = '0123456789abcdef0123456789abcdef';
const BOOT = 'd1b0a1e2-0000-4000-8000-123456789abc';

describe('entity ids', () => {
  it('truncates start_boottime ns to clock ticks the way /proc/PID/stat does', () => {
    expect(startTicksFromNs(1_234_567_890_123n)).toBe(123_456);
    expect(startTicksFromNs(9_999_999n)).toBe(0);
    expect(startTicksFromNs(10_000_000n)).toBe(1);
    // past 2^53 ns (104 days of uptime) the bigint path stays exact
    expect(startTicksFromNs(9_007_199_254_740_993n)).toBe(900_719_925);
  });

  it('gives the same id for every start time within one tick, and different ids across ticks', () => {
    const a = entityId(HOST, BOOT, 42, startTicksFromNs(5_000_000_001n));
    const b = entityId(HOST, BOOT, 42, startTicksFromNs(5_009_999_999n));
    const c = entityId(HOST, BOOT, 42, startTicksFromNs(5_010_000_000n));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });

  it('differs by pid, by boot and by host', () => {
    const base = entityId(HOST, BOOT, 42, 100);
    expect(entityId(HOST, BOOT, 43, 100)).not.toBe(base);
    expect(entityId(HOST, BOOT.replace('d1', 'd2'), 42, 100)).not.toBe(base);
    expect(entityId(HOST.replace('01', '02'), BOOT, 42, 100)).not.toBe(base);
  });

  it('decodes back to its inputs and the bound form agrees with the plain one', () => {
    const id = entityIdFor(HOST, BOOT)(4242, 987654);
    expect(id).toBe(entityId(HOST, BOOT, 4242, 987654));
    expect(decodeEntityId(id)).toEqual({
      hostId: HOST,
      bootId: BOOT.replaceAll('-', ''),
      pid: 4242,
      startTicks: 987654,
    });
    expect(decodeEntityId('bm90IG91cnM=')).toBeUndefined();
  });

  it('gives the exact tick on both sides of every tick boundary, like BigInt division', () => {
    for (const tick of [1n, 99n, 123_456n, 899_999_999n, 900_719_924n]) {
      for (const clkTck of [100, 250, 1000]) {
        const tickNs = BigInt(1_000_000_000 / clkTck);
        for (const ns of [tick * tickNs - 1n, tick * tickNs, tick * tickNs + 1n]) {
          expect(startTicksFromNs(ns, clkTck)).toBe(Number(ns / tickNs));
        }
      }
    }
  });

  it('encodes through a reused buffer exactly what entityId gives, for every digit count', () => {
    for (const host of [HOST, `${HOST}a`, `${HOST}ab`, 'x', '']) {
      const encode = entityIdEncoder(host, BOOT);
      const values = [
        0,
        1,
        9,
        10,
        99,
        100,
        4_194_303,
        4_194_304,
        2_147_483_647,
        987_654_321_012,
        2 ** 53 - 1,
      ];
      for (const pid of values) {
        for (const ticks of values) expect(encode(pid, ticks)).toBe(entityId(host, BOOT, pid, ticks));
      }
    }
  });

  it('encodes ids it cannot write as digits (negative, fractional, unsafe) like entityId', () => {
    const encode = entityIdEncoder(HOST, BOOT);
    for (const [pid, ticks] of [
      [-1, 5],
      [5, -1],
      [1.5, 2],
      [3, 2 ** 60],
    ] as const) {
      expect(encode(pid, ticks)).toBe(entityId(HOST, BOOT, pid, ticks));
    }
    // the buffer is reused: earlier results are not changed by later ids
    const a = encode(12_345_678, 1);
    encode(1, 12_345_678);
    expect(a).toBe(entityId(HOST, BOOT, 12_345_678, 1));
  });

  it('is the base64 of text, like Elastic Defend ids', () => {
    const text = Buffer.from(entityId(HOST, BOOT, 7, 12), 'base64').toString();
    expect(text).toBe(`${HOST}-d1b0a1e2000040008000123456789abc-7-12`);
  });

  it('matches /proc/self/stat field 22 for this process', () => {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[19]);
    // start_boottime of a process started `ticks` ticks after boot, anywhere in that tick
    expect(startTicksFromNs(BigInt(ticks) * 10_000_000n + 3_456_789n)).toBe(ticks);
  });
});
