// Reads Elastic's version lock (detection_rules/etc/version.lock.json): upstream keeps each rule's
// `version` there, not in the TOML. eqld uses it when present and never invents a version.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { RuleFileError } from './rule-error.js';

export type VersionLock = ReadonlyMap<string, number>;

const CANDIDATES = ['version.lock.json', join('detection_rules', 'etc', 'version.lock.json')];

/** Looks in `dir` and its ancestors for a version lock; returns the first found, or undefined. */
export function findVersionLock(dir: string): string | undefined {
  let d = resolve(dir);
  for (;;) {
    for (const c of CANDIDATES) {
      const p = join(d, c);
      if (existsSync(p)) return p;
    }
    const up = dirname(d);
    if (up === d) return undefined;
    d = up;
  }
}

/** Parses `{ "<rule_id>": { "version": N, ... } }`; entries without an integer version are skipped. */
export function parseVersionLock(text: string, path: string): VersionLock {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new RuleFileError(
      'read',
      path,
      `Expected JSON in the version lock: ${(err as Error).message}`,
      undefined,
      undefined,
      { cause: err },
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new RuleFileError('schema', path, 'Expected the version lock to be a JSON object keyed by rule_id');
  }
  const out = new Map<string, number>();
  for (const [ruleId, entry] of Object.entries(data as Record<string, unknown>)) {
    const v = (entry as { version?: unknown } | null)?.version;
    if (typeof v === 'number' && Number.isInteger(v)) out.set(ruleId, v);
  }
  return out;
}

export function readVersionLock(path: string): VersionLock {
  return parseVersionLock(readFileSync(path, 'utf8'), path);
}
