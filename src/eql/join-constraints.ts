// Optimizer.PropagateJoinKeyConstraints (x-pack/plugin/eql .../optimizer/Optimizer.java): a
// condition a sequence or sample stage puts on one of its join keys is added to every other stage,
// on that stage's key in the same position: `sequence by k [a where k == "x"] [b]` runs as
// `[a where k == "x"] [b where k == "x"]`. Only a conjunct of the stage's condition (the
// condition split on `and`) with no `or` in it counts, and only one that reads no field but the
// key (elastic/elasticsearch PR #133134); missing-event stages give none but receive them
// (PR #145813). For single-valued keys this changes nothing a sequence can match (the joined
// events share the key's value); for a multi-valued key it does: an event whose values only
// partly satisfy the condition no longer joins on its other values.
import type { Expr } from './ast.js';
import { logicalParts } from './chains.js';

/** the children of an expression node */
function children(e: Expr): Expr[] {
  switch (e.kind) {
    case 'literal':
    case 'field':
      return [];
    case 'not':
    case 'neg':
    case 'isnull':
      return [e.expr];
    case 'logical':
      return [e.left, e.right];
    case 'compare':
    case 'arith':
      return [e.left, e.right];
    case 'in':
      return [e.left, ...e.values];
    case 'match':
      return [e.left];
    case 'call':
      return e.args;
  }
}

/** the fields an expression reads, or undefined when it has an `or` */
function fieldsWithoutOr(e: Expr): Set<string> | undefined {
  const out = new Set<string>();
  const todo = [e];
  while (todo.length > 0) {
    const x = todo.pop() as Expr;
    if (x.kind === 'logical' && x.op === 'or') return undefined;
    if (x.kind === 'field') out.add(x.name);
    else todo.push(...children(x));
  }
  return out;
}

/** the expression with every read of field `from` replaced by `to` */
export function replaceField(e: Expr, from: string, to: Expr): Expr {
  const r = (x: Expr) => replaceField(x, from, to);
  switch (e.kind) {
    case 'literal':
      return e;
    case 'field':
      return e.name === from ? { ...to, at: e.at } : e;
    case 'not':
    case 'neg':
    case 'isnull':
      return { ...e, expr: r(e.expr) };
    case 'logical': {
      // long chains without recursion: the operands of one operator, rebuilt left-deep
      const parts = logicalParts(e).map(r);
      let out = parts[0] as Expr;
      for (let i = 1; i < parts.length; i++)
        out = { kind: 'logical', op: e.op, left: out, right: parts[i] as Expr, at: e.at };
      return out;
    }
    case 'compare':
    case 'arith':
      return { ...e, left: r(e.left), right: r(e.right) };
    case 'in':
      return { ...e, left: r(e.left), values: e.values.map(r) };
    case 'match':
      return { ...e, left: r(e.left) };
    case 'call':
      return { ...e, args: e.args.map(r) };
  }
}

export interface KeyConstraint {
  /** the stage it comes from */
  stage: number;
  /** the position of the key among the stage's join keys */
  key: number;
  /** the key's field in that stage */
  field: string;
  condition: Expr;
}

/**
 * The constraints each stage puts on its join keys. `conditions` are the stages' rewritten
 * conditions, `keys` their join keys as field names (null: not a field, such as an unmapped
 * optional key), `missing` which stages are missing-event ones.
 */
export function keyConstraints(
  conditions: readonly Expr[],
  keys: readonly (readonly (string | null)[])[],
  missing: readonly boolean[],
): KeyConstraint[] {
  const out: KeyConstraint[] = [];
  conditions.forEach((cond, stage) => {
    if (missing[stage]) return;
    const stageKeys = keys[stage] as readonly (string | null)[];
    const conjuncts = cond.kind === 'logical' && cond.op === 'and' ? logicalParts(cond) : [cond];
    for (const c of conjuncts) {
      const fields = fieldsWithoutOr(c);
      if (fields?.size !== 1) continue;
      const [field] = fields as Set<string>;
      const key = stageKeys.indexOf(field as string);
      if (key >= 0) out.push({ stage, key, field: field as string, condition: c });
    }
  });
  return out;
}
