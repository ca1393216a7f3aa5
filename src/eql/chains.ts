// Evaluation helpers shared by compiled conditions: and/or chains that learn which condition
// decides most often, and identical tests compiled once for all queries with their result
// remembered for the document last seen. Neither changes a result: conditions have no side
// effects and documents are not changed after they are pushed.
import type { Expr } from './ast.js';

export type Doc = Record<string, unknown>;
export type Pred = (d: Doc) => boolean;

/** how many evaluations between re-orderings of an and/or chain */
const REORDER_EVERY = 4096;

/**
 * An and/or chain that learns its order: conditions are side-effect free, so the result does not
 * depend on their order, and the one that most often decides the outcome (false for `and`, true
 * for `or`) is moved to the front. Rules put always-true tests such as host.os.type == "linux"
 * first; this skips them for most events.
 */
export function adaptiveChain(preds: Pred[], isAnd: boolean): Pred {
  if (preds.length === 2) return adaptivePair(preds[0] as Pred, preds[1] as Pred, isAnd);
  const n = preds.length;
  let order = preds.slice();
  let decided = new Float64Array(n);
  let calls = 0;
  const reorder = () => {
    const idx = order.map((_, i) => i).sort((a, b) => (decided[b] as number) - (decided[a] as number));
    order = idx.map((i) => order[i] as Pred);
    decided = new Float64Array(idx.map((i) => (decided[i] as number) / 2));
  };
  if (isAnd)
    return (d) => {
      if (++calls === REORDER_EVERY) {
        calls = 0;
        reorder();
      }
      for (let i = 0; i < n; i++)
        if (!(order[i] as Pred)(d)) {
          decided[i] = (decided[i] as number) + 1;
          return false;
        }
      return true;
    };
  return (d) => {
    if (++calls === REORDER_EVERY) {
      calls = 0;
      reorder();
    }
    for (let i = 0; i < n; i++)
      if ((order[i] as Pred)(d)) {
        decided[i] = (decided[i] as number) + 1;
        return true;
      }
    return false;
  };
}

/** adaptiveChain for two conditions (the commonest chain), without the arrays */
function adaptivePair(first: Pred, second: Pred, isAnd: boolean): Pred {
  let a = first;
  let b = second;
  let da = 0;
  let db = 0;
  let calls = 0;
  const reorder = () => {
    if (db > da) {
      const p = a;
      a = b;
      b = p;
      const n = da;
      da = db;
      db = n;
    }
    da /= 2;
    db /= 2;
  };
  if (isAnd)
    return (d) => {
      if (++calls === REORDER_EVERY) {
        calls = 0;
        reorder();
      }
      if (!a(d)) {
        da++;
        return false;
      }
      if (!b(d)) {
        db++;
        return false;
      }
      return true;
    };
  return (d) => {
    if (++calls === REORDER_EVERY) {
      calls = 0;
      reorder();
    }
    if (a(d)) {
      da++;
      return true;
    }
    if (b(d)) {
      db++;
      return true;
    }
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
