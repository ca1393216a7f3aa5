// `rules check` as a library: loads rule files (TOML and Kibana exports) and describes each rule
// as ok (with notes on exclusions that never apply), disabled (`enabled: false` in a Kibana
// export), inactive (with the events or fields eqld does not collect), unsupported (another rule type or language, named) or a positioned error, with
// the warnings of each loaded rule (exception items or lists not applied, fields not applied as
// Kibana would) and of each file (export summaries, unreferenced exception lists). The CLI only
// prints these lines.
import type { CompileFn } from './engine.js';
import { loadRules, ruleWhere } from './load-rules.js';
import { printable } from './printable.js';

interface RuleVerdictBase {
  path: string;
  line?: number;
  ruleId: string;
  name: string;
  /** what of the rule eqld does not apply as Kibana would */
  warnings: string[];
}

export type CheckVerdict =
  | ({ status: 'ok' | 'disabled'; notes?: string[] } & RuleVerdictBase)
  | ({ status: 'inactive'; needs: string[] } & RuleVerdictBase)
  | { status: 'unsupported'; path: string; line?: number; message: string }
  | { status: 'error'; path: string; line?: number; column?: number; message: string }
  | { status: 'warning'; path: string; line?: number; message: string };

export interface CheckReport {
  verdicts: CheckVerdict[];
  ok: number;
  disabled: number;
  inactive: number;
  unsupported: number;
  errors: number;
  /** rule and file warnings together */
  warnings: number;
}

export function checkRules(paths: readonly string[], compile: CompileFn): CheckReport {
  const res = loadRules(paths, { compile });
  const verdicts: CheckVerdict[] = [];
  for (const { rule, inactiveNeeds, warnings, coverageNotes } of res.rules) {
    const base: RuleVerdictBase = {
      path: rule.path,
      ruleId: rule.ruleId,
      name: rule.name,
      warnings: (warnings ?? []).map((w) => w.detail),
    };
    if (rule.line !== undefined) base.line = rule.line;
    if (inactiveNeeds.length > 0) verdicts.push({ status: 'inactive', ...base, needs: inactiveNeeds });
    else {
      const status = rule.enabled === false ? 'disabled' : 'ok';
      verdicts.push(coverageNotes ? { status, ...base, notes: coverageNotes } : { status, ...base });
    }
  }
  for (const e of res.errors) {
    const status = e.kind === 'unsupported' ? 'unsupported' : 'error';
    const v: CheckVerdict = { status, path: e.path, message: e.message };
    if (e.line !== undefined) v.line = e.line;
    if (e.column !== undefined && v.status === 'error') v.column = e.column;
    verdicts.push(v);
  }
  for (const w of res.warnings) {
    const v: CheckVerdict = { status: 'warning', path: w.path, message: w.message };
    if (w.line !== undefined) v.line = w.line;
    verdicts.push(v);
  }
  verdicts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : (a.line ?? 0) - (b.line ?? 0)));
  const count = (s: CheckVerdict['status']) => verdicts.filter((v) => v.status === s).length;
  const ruleWarnings = verdicts.reduce((n, v) => n + ('warnings' in v ? v.warnings.length : 0), 0);
  return {
    verdicts,
    ok: count('ok'),
    disabled: count('disabled'),
    inactive: count('inactive'),
    unsupported: count('unsupported'),
    errors: count('error'),
    warnings: count('warning') + ruleWarnings,
  };
}

const label = (s: string) => s.padEnd(12);

/** The lines of one verdict, e.g. `inactive     path  Name: needs file events`, or `ok  path
 *  Name: but process.x is never set: the exclusion never applies`, then its warnings indented. */
export function formatVerdict(v: CheckVerdict): string[] {
  switch (v.status) {
    case 'ok':
    case 'disabled':
    case 'inactive': {
      const where = ruleWhere({ path: v.path, ...(v.line === undefined ? {} : { line: v.line }) });
      const tail =
        v.status === 'inactive'
          ? `: needs ${v.needs.join(', ')}`
          : v.status === 'disabled'
            ? ' (enabled: false in the export; eqld runs it only if the tuning file enables it)'
            : '';
      const notes = v.status !== 'inactive' && v.notes ? `: but ${v.notes.join('; ')}` : '';
      return [
        `${label(v.status)} ${where}  ${printable(v.name)}${tail}${notes}`,
        ...v.warnings.map((w) => `  ${label('warning')}${printable(w)}`),
      ];
    }
    case 'unsupported':
    case 'error':
    case 'warning':
      return [`${label(v.status)} ${printable(v.message)}`];
  }
}

/** `12 rules checked: 9 ok, 1 disabled, 1 inactive, 1 unsupported, 0 errors; 2 warnings` */
export function formatSummary(r: CheckReport): string {
  const rules = r.ok + r.disabled + r.inactive + r.unsupported;
  return `${rules} rules checked: ${r.ok} ok, ${r.disabled} disabled, ${r.inactive} inactive, ${r.unsupported} unsupported, ${r.errors} errors; ${r.warnings} warnings`;
}
