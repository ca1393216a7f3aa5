import { describe, expect, it } from 'vitest';
import { neutralize } from './neutralize.js';

describe('neutralize', () => {
  it('escapes newlines and control characters so a value cannot start a second line', () => {
    expect(neutralize('a\nb\rc\td\u0000e\u001bf\u007f')).toBe('a\\nb\\rc\\td\\x00e\\x1bf\\x7f');
  });
  it('escapes C1 controls, line separators and bidi overrides', () => {
    expect(neutralize('x\u0085y\u2028z\u202ew')).toBe('x\\x85y\\u{2028}z\\u{202e}w');
  });
  it('doubles backslashes so an escape in the input cannot pose as ours', () => {
    expect(neutralize('\\n')).toBe('\\\\n');
  });
  it('escapes lone surrogates but keeps valid pairs', () => {
    expect(neutralize('\ud800x😀')).toBe('\\u{d800}x😀');
  });
  it('cuts long values with a marker', () => {
    expect(neutralize('a'.repeat(300), 10)).toBe('aaaaaaaaaa…[truncated]');
  });
  it('renders numbers and treats null as empty', () => {
    expect(neutralize(4242)).toBe('4242');
    expect(neutralize(null)).toBe('');
  });
});
