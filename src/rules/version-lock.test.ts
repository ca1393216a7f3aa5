import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RuleFileError } from './rule-error.js';
import { findVersionLock, parseVersionLock } from './version-lock.js';

const root = mkdtempSync(join(tmpdir(), 'eqld-lock-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('version lock', () => {
  it('reads versions keyed by rule_id and skips entries without an integer version', () => {
    const lock = parseVersionLock(
      '{"a":{"version":9,"sha256":"x"},"b":{"rule_name":"n"},"c":{"version":"3"}}',
      'v.json',
    );
    expect([...lock]).toEqual([['a', 9]]);
  });
  it('reports bad JSON as a RuleFileError naming the file', () => {
    expect(() => parseVersionLock('{', 'v.json')).toThrow(RuleFileError);
  });
  it('finds detection_rules/etc/version.lock.json above a rules directory, and nothing when absent', () => {
    mkdirSync(join(root, 'repo', 'detection_rules', 'etc'), { recursive: true });
    mkdirSync(join(root, 'repo', 'rules', 'linux'), { recursive: true });
    writeFileSync(join(root, 'repo', 'detection_rules', 'etc', 'version.lock.json'), '{}');
    expect(findVersionLock(join(root, 'repo', 'rules', 'linux'))).toBe(
      join(root, 'repo', 'detection_rules', 'etc', 'version.lock.json'),
    );
    mkdirSync(join(root, 'nolock', 'rules'), { recursive: true });
    expect(findVersionLock(join(root, 'nolock', 'rules'))).toBeUndefined();
  });
});
