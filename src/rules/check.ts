// `rules check` as a library: loads rule files and describes each as ok, inactive (with the event
// kinds eqld does not collect) or a positioned error. The CLI only prints these lines.
import type { CompileFn } from './engine.js';
import { loadRules } from './load-rules.js';

export type CheckVerdict =
  | { status: 'ok'; path: string; ruleId: string; name: string }
  | { status: 'inactive'; path: string; ruleId: string; name: string; needs: string[] }
  | { status: 'error'; path: string; line?: number; column?: number; message: string };

export interface CheckReport {
  verdicts: CheckVerdict[];
  ok: number;
  inactive: number;
  errors: number;
}

export function checkRules(paths: readonly string[], compile: CompileFn): CheckReport {
  const res = loadRules(paths, { compile });
  const verdicts: CheckVerdict[] = [];
  for (const { rule, inactiveNeeds } of res.rules) {
    const base = { path: rule.path, ruleId: rule.ruleId, name: rule.name };
    verdicts.push(
      inactiveNeeds.length > 0
        ? { status: 'inactive', ...base, needs: inactiveNeeds }
        : { status: 'ok', ...base },
    );
  }
  for (const e of res.errors) {
    const v: CheckVerdict = { status: 'error', path: e.path, message: e.message };
    if (e.line !== undefined) v.line = e.line;
    if (e.column !== undefined) v.column = e.column;
    verdicts.push(v);
  }
  verdicts.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const count = (s: CheckVerdict['status']) => verdicts.filter((v) => v.status === s).length;
  return { verdicts, ok: count('ok'), inactive: count('inactive'), errors: count('error') };
}

/** One line per verdict, e.g. `inactive  path  Name: needs file events`. */
export function formatVerdict(v: CheckVerdict): string {
  switch (v.status) {
    case 'ok':
      return `ok        ${v.path}  ${v.name}`;
    case 'inactive':
      return `inactive  ${v.path}  ${v.name}: needs ${v.needs.join(', ')}`;
    case 'error':
      return `error     ${v.message}`;
  }
}
