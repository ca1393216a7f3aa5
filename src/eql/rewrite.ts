// The rewrites Elasticsearch applies to a condition before running it that change what it means,
// in the order it applies them (x-pack/plugin/eql .../analysis/Analyzer.java, .../optimizer/
// Optimizer.java, ql .../optimizer/OptimizerRules.java):
// - optional fields: with a field list (the index mapping), `?f` that is not in it becomes null
//   (ResolveOrReplaceOptionalRefs) and a plain field that is not in it is an error (Verifier:
//   "Unknown column"); without one every field is taken to exist (Elastic Defend's mapping has
//   every field the rules read);
// - `x == null` / `null == x` becomes isnull(x), `!=` not(isnull(x)) (ReplaceNullChecks), for any x;
// - a comparison with the literal on the left is turned around (LiteralsOnTheRight);
// - `f == true` / `f != false` becomes f, `f == false` / `f != true` not(f), for f a function or
//   predicate (BooleanFunctionEqualsElimination);
// - expressions without fields are evaluated (ConstantFolding), with Elasticsearch's errors
//   (integer overflow, division by zero) reported at compile time.
// A bare field where a condition is expected (`where bool`) becomes `bool == true` in the
// translator (AddMissingEqualsToBoolField), which knows the positions.
import type { CompareNode, CompareOp, Expr, LiteralNode, LogicalNode } from './ast.js';
import { logicalParts } from './chains.js';
import { EqlError } from './errors.js';
import { foldConstant, ScriptCompileError, toLiteral } from './script.js';
import { ScriptError } from './values.js';

export interface RewriteOptions {
  /** the fields the searched data has (an index mapping); absent: every field exists */
  fields?: ReadonlySet<string>;
}

const SWAPPED: Readonly<Record<CompareOp, CompareOp>> = {
  '==': '==',
  '!=': '!=',
  '<': '>',
  '<=': '>=',
  '>': '<',
  '>=': '<=',
};

const isLiteral = (e: Expr): e is LiteralNode => e.kind === 'literal';
const isNullLiteral = (e: Expr) => e.kind === 'literal' && e.value === null;

/** predicates and functions: what BooleanFunctionEqualsElimination treats as a Function */
const BOOLEAN_FUNCTION_KINDS: ReadonlySet<Expr['kind']> = new Set([
  'call',
  'compare',
  'logical',
  'not',
  'in',
  'match',
  'isnull',
]);

function hasField(e: Expr): boolean {
  switch (e.kind) {
    case 'field':
      return true;
    case 'literal':
      return false;
    case 'not':
    case 'neg':
    case 'isnull':
      return hasField(e.expr);
    case 'logical':
      return logicalParts(e).some(hasField);
    case 'compare':
    case 'arith':
      return hasField(e.left) || hasField(e.right);
    case 'in':
      return hasField(e.left) || e.values.some(hasField);
    case 'match':
      return hasField(e.left);
    case 'call':
      return e.args.some(hasField);
  }
}

export class Rewriter {
  constructor(
    private readonly text: string,
    private readonly opts: RewriteOptions = {},
  ) {}

  /** a join key: a missing optional field is a constant null key, a missing plain field an error */
  key(e: Expr): Expr {
    return this.expr(e);
  }

  condition(e: Expr): Expr {
    return this.expr(e);
  }

  /** ConstantFolding of an expression without fields */
  foldConstant(e: Expr): Expr {
    return this.fold(e);
  }

  private fold(e: Expr): Expr {
    if (e.kind === 'literal' || hasField(e)) return e;
    try {
      return toLiteral(foldConstant(e), e.at);
    } catch (err) {
      if (err instanceof ScriptError)
        throw new EqlError(
          'type',
          `Cannot evaluate this constant expression: ${err.message}`,
          this.text,
          e.at,
          {
            cause: err,
          },
        );
      if (err instanceof ScriptCompileError) throw new EqlError(err.kind, err.message, this.text, err.at);
      throw err;
    }
  }

  private expr(e: Expr): Expr {
    let out: Expr;
    switch (e.kind) {
      case 'literal':
        return e;
      case 'field': {
        const f = this.opts.fields;
        if (!f || f.has(e.name)) return e;
        if (e.optional) return { kind: 'literal', value: null, at: e.at };
        throw new EqlError('unknown-field', `Unknown column [${e.name}]`, this.text, e.at);
      }
      case 'not':
        out = { ...e, expr: this.expr(e.expr) };
        break;
      case 'neg':
        out = { ...e, expr: this.expr(e.expr) };
        break;
      case 'isnull':
        out = { ...e, expr: this.expr(e.expr) };
        break;
      case 'logical':
        return this.logical(e);
      case 'arith':
        out = { ...e, left: this.expr(e.left), right: this.expr(e.right) };
        break;
      case 'compare':
        out = this.compare({ ...e, left: this.expr(e.left), right: this.expr(e.right) });
        break;
      case 'in':
        out = { ...e, left: this.expr(e.left), values: e.values.map((v) => this.expr(v)) };
        break;
      case 'match':
        out = { ...e, left: this.expr(e.left) };
        break;
      case 'call':
        out = { ...e, args: e.args.map((a) => this.expr(a)) };
        break;
    }
    return this.fold(out);
  }

  /** a chain of one operator, iteratively; folded only when every operand is constant */
  private logical(e: LogicalNode): Expr {
    const parts = logicalParts(e).map((p) => this.expr(p));
    let out = parts[0] as Expr;
    for (let i = 1; i < parts.length; i++)
      out = { kind: 'logical', op: e.op, left: out, right: parts[i] as Expr, at: e.at };
    return parts.every(isLiteral) ? this.fold(out) : out;
  }

  private compare(e: CompareNode): Expr {
    // ReplaceNullChecks
    if (e.op === '==' || e.op === '!=') {
      const other = isNullLiteral(e.right) ? e.left : isNullLiteral(e.left) ? e.right : undefined;
      if (other) {
        const isnull: Expr = { kind: 'isnull', expr: other, at: e.at };
        return e.op === '==' ? isnull : { kind: 'not', expr: isnull, at: e.at };
      }
    }
    // LiteralsOnTheRight
    let c = e;
    if (isLiteral(e.left) && !isLiteral(e.right))
      c = { ...e, op: SWAPPED[e.op], left: e.right, right: e.left };
    // BooleanFunctionEqualsElimination
    if (
      (c.op === '==' || c.op === '!=') &&
      isLiteral(c.right) &&
      typeof c.right.value === 'boolean' &&
      BOOLEAN_FUNCTION_KINDS.has(c.left.kind)
    ) {
      const keep = (c.op === '==') === c.right.value;
      return keep ? c.left : { kind: 'not', expr: c.left, at: c.at };
    }
    return c;
  }
}
