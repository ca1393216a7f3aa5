// Which environment variables the loaded rules read: the names in their `process.env_vars`
// patterns ("LD_PRELOAD=*", "RUNNER_TRACKING_ID*", "*GLIBC_TUNABLES=glibc.*=*"), so the collector
// captures those and nothing else of an environment (Elastic Defend captures a configured list
// of at most five names instead; docs/ecs-mapping.md). A case-insensitive comparison (`:`,
// `like~`, `in~`) asks for the name in any case. Pure: reads the rules' syntax trees.
import type { Expr } from './engine.js';
import type { LoadedRule } from './load-rules.js';

/** A variable to capture (structurally the collector's EnvVarSpec). */
export interface RuleEnvVar {
  name: string;
  /** the pattern has a wildcard right after the name: every name that starts so */
  prefix: boolean;
  caseInsensitive: boolean;
}

const FIELD = 'process.env_vars';
const NAME_CHAR = /[A-Za-z0-9_]/;

/**
 * The variable a pattern names: leading wildcards skipped (a variable's binding starts at its
 * name), then the name up to `=`; a wildcard before any `=` makes it a prefix. Undefined when no
 * name can be read (the pattern starts with something else, or the name is empty).
 */
export function envVarOfPattern(
  pattern: string,
  wildcards: boolean,
): Omit<RuleEnvVar, 'caseInsensitive'> | undefined {
  let i = 0;
  if (wildcards) while (pattern[i] === '*' || pattern[i] === '?') i++;
  let name = '';
  for (; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '=') return name === '' ? undefined : { name, prefix: false };
    if (wildcards && (c === '*' || c === '?')) return name === '' ? undefined : { name, prefix: true };
    if (!NAME_CHAR.test(c)) return undefined;
    name += c;
  }
  // `"NAME"` compared whole: no `=` and no wildcard names no binding at all
  return undefined;
}

function walk(e: Expr, out: RuleEnvVar[]): void {
  const isField = (x: Expr) => x.kind === 'field' && x.name === FIELD;
  const add = (text: unknown, wildcards: boolean, caseInsensitive: boolean) => {
    if (typeof text !== 'string') return;
    const v = envVarOfPattern(text, wildcards);
    if (v) out.push({ ...v, caseInsensitive });
  };
  switch (e.kind) {
    case 'not':
    case 'neg':
      walk(e.expr, out);
      return;
    case 'logical':
    case 'arith':
      walk(e.left, out);
      walk(e.right, out);
      return;
    case 'compare':
      if (isField(e.left) && e.right.kind === 'literal') add(e.right.value, false, false);
      return;
    case 'in':
      if (isField(e.left))
        for (const v of e.values) if (v.kind === 'literal') add(v.value, false, e.insensitive);
      return;
    case 'match':
      if (isField(e.left)) {
        const ci = e.op === ':' || e.op === 'like~' || e.op === 'regex~';
        const wildcards = e.op !== 'regex' && e.op !== 'regex~';
        for (const p of e.patterns) add(p.value, wildcards, ci);
      }
      return;
    case 'call':
      for (const a of e.args) walk(a, out);
      return;
    default:
      return;
  }
}

/** The variables the rules' `process.env_vars` conditions name, in rule order (repeats kept). */
export function envVarsOfRules(rules: readonly Pick<LoadedRule, 'compiled'>[]): RuleEnvVar[] {
  const out: RuleEnvVar[] = [];
  for (const r of rules) {
    const q = r.compiled.statement.query;
    const stages = q.kind === 'event' ? [q] : q.stages.map((s) => s.query);
    for (const s of stages) walk(s.condition, out);
  }
  return out;
}
