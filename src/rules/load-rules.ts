// Loads rule files from files and directories: every `*.toml` is parsed, checked and its query
// compiled; a bad file becomes a RuleFileError in `errors` and never stops the good ones.
// Versions come from a version lock when one is found beside the rules (see version-lock.ts).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { missingEventKinds } from './coverage.js';
import type { CompiledQuery, CompileFn } from './engine.js';
import { parseRuleFile } from './parse-rule-file.js';
import type { Rule } from './rule.js';
import { RuleFileError } from './rule-error.js';
import { findVersionLock, readVersionLock, type VersionLock } from './version-lock.js';

export interface LoadedRule {
  rule: Rule;
  compiled: CompiledQuery;
  /** event kinds eqld does not collect that the rule needs; empty = active */
  inactiveNeeds: string[];
}

export interface LoadResult {
  rules: LoadedRule[];
  errors: RuleFileError[];
  /** path of the version lock used, if any */
  versionLock?: string;
}

export interface LoadOptions {
  compile: CompileFn;
  /** explicit version lock path; default: searched upward from each directory given */
  versionLockPath?: string;
}

function listTomlFiles(path: string, out: string[], errors: RuleFileError[]): void {
  let st: ReturnType<typeof statSync>;
  try {
    st = statSync(path);
  } catch (err) {
    errors.push(
      new RuleFileError('read', path, `Cannot read: ${(err as Error).message}`, undefined, undefined, {
        cause: err,
      }),
    );
    return;
  }
  if (!st.isDirectory()) {
    out.push(path);
    return;
  }
  for (const name of readdirSync(path).sort()) {
    const p = join(path, name);
    if (name.startsWith('.')) continue;
    try {
      if (statSync(p).isDirectory()) listTomlFiles(p, out, errors);
      else if (name.endsWith('.toml')) out.push(p);
    } catch (err) {
      errors.push(
        new RuleFileError('read', p, `Cannot read: ${(err as Error).message}`, undefined, undefined, {
          cause: err,
        }),
      );
    }
  }
}

/** Reads EqlError-style positions (line/column on the error, or on its `position`/`loc`) and
 *  shifts the line from query-relative to file-relative. */
function queryError(rule: Rule, err: unknown): RuleFileError {
  const e = (err ?? {}) as {
    message?: string;
    line?: unknown;
    column?: unknown;
    position?: unknown;
    loc?: unknown;
  };
  const pos = [e, e.position, e.loc].find(
    (p): p is { line: number; column?: unknown } =>
      typeof p === 'object' && p !== null && typeof (p as { line?: unknown }).line === 'number',
  );
  const line = pos ? rule.queryLine + pos.line - 1 : rule.queryLine;
  const column = pos && typeof pos.column === 'number' ? pos.column : undefined;
  const first = (e.message ?? String(err)).split('\n')[0] ?? '';
  return new RuleFileError('query', rule.path, `query: ${first}`, line, column, { cause: err });
}

/** Parses + compiles one rule text; throws RuleFileError. */
export function loadRuleText(
  text: string,
  path: string,
  compile: CompileFn,
  versions?: VersionLock,
): LoadedRule {
  const rule = parseRuleFile(text, path);
  if (rule.language !== 'eql') {
    throw new RuleFileError(
      'schema',
      path,
      `Expected \`rule.language\` to be \`eql\` (the only language eqld runs), got \`${rule.language}\``,
    );
  }
  const version = versions?.get(rule.ruleId);
  if (version !== undefined) rule.version = version;
  let compiled: CompiledQuery;
  try {
    compiled = compile(rule.query);
  } catch (err) {
    throw queryError(rule, err);
  }
  return { rule, compiled, inactiveNeeds: missingEventKinds(rule.query) };
}

export function loadRules(paths: readonly string[], opts: LoadOptions): LoadResult {
  const errors: RuleFileError[] = [];
  const files: string[] = [];
  for (const p of paths) listTomlFiles(p, files, errors);

  const result: LoadResult = { rules: [], errors };
  let versions: VersionLock | undefined;
  const lockPath = opts.versionLockPath ?? paths.map((p) => findVersionLock(p)).find((p) => p !== undefined);
  if (lockPath) {
    try {
      versions = readVersionLock(lockPath);
      result.versionLock = lockPath;
    } catch (err) {
      errors.push(err instanceof RuleFileError ? err : new RuleFileError('read', lockPath, String(err)));
    }
  }

  const seen = new Map<string, string>();
  for (const file of files) {
    try {
      const loaded = loadRuleText(readFileSync(file, 'utf8'), file, opts.compile, versions);
      const prev = seen.get(loaded.rule.ruleId);
      if (prev !== undefined) {
        errors.push(
          new RuleFileError(
            'duplicate',
            file,
            `rule_id ${loaded.rule.ruleId} already loaded from ${prev}; skipped`,
          ),
        );
        continue;
      }
      seen.set(loaded.rule.ruleId, file);
      result.rules.push(loaded);
    } catch (err) {
      errors.push(
        err instanceof RuleFileError
          ? err
          : new RuleFileError('read', file, String(err), undefined, undefined, { cause: err }),
      );
    }
  }
  return result;
}
