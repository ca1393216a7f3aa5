// Evaluation helpers shared by compiled conditions: and/or chains, and identical tests compiled
// once for all queries with their result remembered for the document last seen (which changes no
// result: conditions have no side effects and documents are not changed after they are pushed).
import type { Expr } from './ast.js';

export type Doc = Record<string, unknown>;
export type Pred = (d: Doc) => boolean;

/**
 * An and/or chain in the order written, as a loop (a rule may `or` thousands of alternatives).
 * This is the closure form, used where filters are not generated (codegen.ts); it once learned its
 * order (the condition deciding most often first), which measured no faster on the corpus bench
 * (docs/decisions.md), and the generated filters keep the written order too.
 */
export function chain(preds: Pred[], isAnd: boolean): Pred {
  const n = preds.length;
  if (n === 2) {
    const [a, b] = preds as [Pred, Pred];
    return isAnd ? (d) => a(d) && b(d) : (d) => a(d) || b(d);
  }
  if (isAnd)
    return (d) => {
      for (let i = 0; i < n; i++) if (!(preds[i] as Pred)(d)) return false;
      return true;
    };
  return (d) => {
    for (let i = 0; i < n; i++) if ((preds[i] as Pred)(d)) return true;
    return false;
  };
}

/** most distinct shared predicates kept for reuse by later compilations */
const MAX_SHARED = 50_000;
/** a compiled test, and the memoized one its later users share */
const SHARED = new Map<string, { pred: Pred; memo?: Pred }>();

function memoize(p: Pred): Pred {
  let lastDoc: Doc | undefined;
  let last = false;
  return (d) => {
    if (d === lastDoc) return last;
    last = p(d);
    lastDoc = d;
    return last;
  };
}

/**
 * Identical tests are compiled once for all queries and their result is remembered for the
 * document last seen: the corpus repeats `event.type == "start"`, the same `event.action in (...)`
 * list and the like in hundreds of rules, and each is then evaluated once per event. The first
 * query to use a test gets it plain (most tests are used by one query, and the memo would only
 * add a call); the queries after it share one memoized copy. Tests are pure, so this cannot change
 * a result (documents must not be changed after they are pushed).
 */
export function shared(e: Expr, build: () => Pred): Pred {
  const key = JSON.stringify(e, (k, v) => (k === 'at' ? undefined : v));
  const hit = SHARED.get(key);
  if (hit) {
    hit.memo ??= memoize(hit.pred);
    return hit.memo;
  }
  const p = build();
  if (SHARED.size >= MAX_SHARED) SHARED.clear();
  SHARED.set(key, { pred: p });
  return p;
}

/** The operands of a chain of one logical operator (parsed as a left-deep tree), without
 *  recursion: a rule may `or` thousands of alternatives. */
export function logicalParts(e: Expr): Expr[] {
  if (e.kind !== 'logical') return [e];
  const op = e.op;
  const parts: Expr[] = [];
  const todo: Expr[] = [e];
  while (todo.length > 0) {
    const x = todo.pop() as Expr;
    if (x.kind === 'logical' && x.op === op) todo.push(x.right, x.left);
    else parts.push(x);
  }
  return parts;
}
