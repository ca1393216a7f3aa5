// Loads rules from files and directories: detection-rules TOML files and Kibana exports (NDJSON,
// told apart by content: rule-files.ts), in one pass so that a rule takes the exception lists of
// every export loaded with it. Each rule is checked, its query compiled and its exception lists
// resolved; a bad file, line or rule becomes a RuleFileError in `errors` and never stops the good
// ones; what a loaded rule does not apply as Kibana would is in its `warnings`.
// Versions: a rule's own `version` (Kibana exports), else a version lock found beside the rules
// (see version-lock.ts).
import { readFileSync } from 'node:fs';
import { ruleCoverage } from './coverage.js';
import type { CompiledQuery, CompileFn } from './engine.js';
import type { ExceptionItem } from './exception-item.js';
import { ExceptionListPool } from './kibana/exception-lists.js';
import { loadKibanaExport } from './kibana/load-export.js';
import { parseRuleFile } from './parse-rule-file.js';
import type { Rule } from './rule.js';
import { RuleFileError } from './rule-error.js';
import { listRuleFiles } from './rule-files.js';
import { ruleFieldWarnings } from './rule-table.js';
import { findVersionLock, readVersionLock, type VersionLock } from './version-lock.js';

export interface LoadedRule {
  rule: Rule;
  compiled: CompiledQuery;
  /** what eqld never collects or fills that the rule needs (rules/coverage.ts); empty = active */
  inactiveNeeds: string[];
  /** the items of the exception lists the rule references (Kibana exports) */
  exceptions?: readonly ExceptionItem[];
  /** what of the rule eqld does not apply as Kibana would; the rule still runs */
  warnings?: readonly RuleFileError[];
  /** fields of an exclusion eqld never fills: the rule may alert where Elastic Defend would not */
  coverageNotes?: string[];
}

export interface LoadResult {
  rules: LoadedRule[];
  errors: RuleFileError[];
  /** about files rather than one rule: export summaries, exception lists no rule references */
  warnings: RuleFileError[];
  /** path of the version lock used, if any */
  versionLock?: string;
}

export interface LoadOptions {
  compile: CompileFn;
  /** explicit version lock path; default: searched upward from each directory given */
  versionLockPath?: string;
}

/** Where a rule is, for messages: `file` or, in an export, `file:line`. */
export const ruleWhere = (rule: Pick<Rule, 'path' | 'line'>): string =>
  rule.line === undefined ? rule.path : `${rule.path}:${rule.line}`;

/** Reads EqlError-style positions (line/column on the error, or on its `position`/`loc`). A TOML
 *  query's line is shifted from query-relative to file-relative; a Kibana rule's query is one JSON
 *  string, so the error sits on the rule's line and names the place inside the query. */
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
  const column = pos && typeof pos.column === 'number' ? pos.column : undefined;
  const first = (e.message ?? String(err)).split('\n')[0] ?? '';
  if (rule.line !== undefined) {
    // src/eql's messages end with `(line L, column C)` of the query already
    const at =
      pos && !first.includes(`line ${pos.line}`)
        ? ` (query line ${pos.line}${column === undefined ? '' : `, column ${column}`})`
        : '';
    return new RuleFileError('query', rule.path, `query${at}: ${first}`, rule.line, undefined, {
      cause: err,
    });
  }
  const line = pos ? rule.queryLine + pos.line - 1 : rule.queryLine;
  return new RuleFileError('query', rule.path, `query: ${first}`, line, column, { cause: err });
}

/** Compiles a parsed rule; throws RuleFileError. */
function compileRule(rule: Rule, compile: CompileFn, versions?: VersionLock): LoadedRule {
  if (rule.version === undefined) {
    const version = versions?.get(rule.ruleId);
    if (version !== undefined) rule.version = version;
  }
  let compiled: CompiledQuery;
  try {
    compiled = compile(rule.query);
  } catch (err) {
    throw queryError(rule, err);
  }
  const coverage = ruleCoverage(compiled.statement);
  const loaded: LoadedRule = { rule, compiled, inactiveNeeds: coverage.needs };
  if (coverage.notes.length > 0) loaded.coverageNotes = coverage.notes;
  return loaded;
}

/** Parses + compiles one TOML rule text; throws RuleFileError. */
export function loadRuleText(
  text: string,
  path: string,
  compile: CompileFn,
  versions?: VersionLock,
): LoadedRule {
  return compileRule(parseRuleFile(text, path), compile, versions);
}

const asError = (path: string, err: unknown): RuleFileError =>
  err instanceof RuleFileError
    ? err
    : new RuleFileError('read', path, String(err), undefined, undefined, { cause: err });

export function loadRules(paths: readonly string[], opts: LoadOptions): LoadResult {
  const errors: RuleFileError[] = [];
  const result: LoadResult = { rules: [], errors, warnings: [] };
  const files = listRuleFiles(paths, errors);

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

  // every file first: an export's exception lists may serve the rules of another file
  const pool = new ExceptionListPool();
  const parsed: Rule[] = [];
  for (const file of files) {
    try {
      const text = readFileSync(file.path, 'utf8');
      if (file.format === 'toml') {
        parsed.push(parseRuleFile(text, file.path));
        continue;
      }
      const exp = loadKibanaExport(text, file.path, pool);
      parsed.push(...exp.rules);
      errors.push(...exp.errors);
      result.warnings.push(...exp.warnings);
    } catch (err) {
      errors.push(asError(file.path, err));
    }
  }

  const seen = new Map<string, string>();
  for (const rule of parsed) {
    const where = ruleWhere(rule);
    const prev = seen.get(rule.ruleId);
    if (prev !== undefined) {
      errors.push(
        new RuleFileError(
          'duplicate',
          rule.path,
          `rule_id ${rule.ruleId} already loaded from ${prev}; skipped`,
          rule.line,
        ),
      );
      continue;
    }
    let loaded: LoadedRule;
    try {
      loaded = compileRule(rule, opts.compile, versions);
    } catch (err) {
      errors.push(asError(rule.path, err));
      continue;
    }
    seen.set(rule.ruleId, where);
    const { items, warnings } = pool.resolve(rule.exceptionsList);
    const ruleWarnings = [
      ...ruleFieldWarnings(rule).map((w) => new RuleFileError('field', rule.path, w, rule.line)),
      ...warnings.map((w) => new RuleFileError('exception', rule.path, w, rule.line)),
    ];
    if (items.length > 0) loaded.exceptions = items;
    if (ruleWarnings.length > 0) loaded.warnings = ruleWarnings;
    result.rules.push(loaded);
  }

  for (const l of pool.unreferenced())
    result.warnings.push(
      new RuleFileError(
        'exception',
        l.path,
        `exception list ${JSON.stringify(l.listId)} (namespace ${l.namespaceType}, ${l.items} item(s)${
          l.notApplied > 0 ? `, ${l.notApplied} not applicable` : ''
        }) is referenced by no loaded rule: it applies to nothing`,
        l.line,
      ),
    );
  return result;
}
