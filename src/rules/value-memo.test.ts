import { describe, expect, it } from 'vitest';
import { MEMO_ENTRIES, MEMO_KEY_CHARS, ValueMemo } from './value-memo.js';

describe('ValueMemo', () => {
  it('returns what was remembered for a value, and nothing for another', () => {
    const m = new ValueMemo<number[]>();
    m.set('bash', [1, 2]);
    expect(m.get('bash')).toEqual([1, 2]);
    expect(m.get('Bash')).toBeUndefined();
  });

  it('keeps no value longer than MEMO_KEY_CHARS', () => {
    const m = new ValueMemo<number[]>();
    const long = 'x'.repeat(MEMO_KEY_CHARS + 1);
    m.set(long, [1]);
    expect(m.get(long)).toBeUndefined();
    m.set(long.slice(1), [1]);
    expect(m.get(long.slice(1))).toEqual([1]);
  });

  it('holds at most MEMO_ENTRIES values, starting again when full', () => {
    const m = new ValueMemo<number[]>();
    for (let i = 0; i < MEMO_ENTRIES; i++) m.set(`v${i}`, [i]);
    expect(m.get(`v${MEMO_ENTRIES - 1}`)).toEqual([MEMO_ENTRIES - 1]);
    m.set('one more', [0]);
    expect(m.get('v0')).toBeUndefined();
    expect(m.get('one more')).toEqual([0]);
  });

  it('turns itself off for a field whose values do not repeat, and stays correct', () => {
    const m = new ValueMemo<number[]>();
    for (let i = 0; i < 5000 && m.on; i++) {
      expect(m.get(`cmd ${i}`)).toBeUndefined();
      m.set(`cmd ${i}`, [i]);
    }
    expect(m.on).toBe(false);
    m.set('again', [1]);
    expect(m.get('again')).toBeUndefined();
  });

  it('stays on for a field whose values repeat', () => {
    const m = new ValueMemo<number[]>();
    for (let i = 0; i < 20_000; i++) {
      const v = `name ${i % 40}`;
      if (m.get(v) === undefined) m.set(v, [i % 40]);
    }
    expect(m.on).toBe(true);
    expect(m.get('name 7')).toEqual([7]);
  });
});
