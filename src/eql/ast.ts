// The kind-discriminated EQL abstract syntax tree produced by the parser and consumed by the
// compiler. Every node keeps the offset of its first token so later passes can raise positioned
// errors. A new node kind fails the build until every Record<Node['kind'], ...> handler has it.

export type Literal = string | number | boolean | null;

export type CompareOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type ArithOp = '+' | '-' | '*' | '/' | '%';
/** `:` (case-insensitive wildcard equality), like, like~, regex, regex~ */
export type MatchOp = ':' | 'like' | 'like~' | 'regex' | 'regex~';

export interface LiteralNode {
  kind: 'literal';
  value: Literal;
  /** numbers written without fraction/exponent: integer division applies */
  integer?: boolean;
  at: number;
}
export interface FieldNode {
  kind: 'field';
  name: string;
  optional: boolean;
  at: number;
}
export interface NotNode {
  kind: 'not';
  expr: Expr;
  at: number;
}
export interface LogicalNode {
  kind: 'logical';
  op: 'and' | 'or';
  left: Expr;
  right: Expr;
  at: number;
}
export interface CompareNode {
  kind: 'compare';
  op: CompareOp;
  left: Expr;
  right: Expr;
  at: number;
}
export interface InNode {
  kind: 'in';
  insensitive: boolean;
  negated: boolean;
  left: Expr;
  values: Expr[];
  at: number;
}
export interface MatchNode {
  kind: 'match';
  op: MatchOp;
  negated: boolean;
  left: Expr;
  patterns: LiteralNode[];
  at: number;
}
export interface ArithNode {
  kind: 'arith';
  op: ArithOp;
  left: Expr;
  right: Expr;
  at: number;
}
export interface NegNode {
  kind: 'neg';
  expr: Expr;
  at: number;
}
/** `x == null` / `null == x` after Elasticsearch's ReplaceNullChecks (`!=` becomes not(isnull)) */
export interface IsNullNode {
  kind: 'isnull';
  expr: Expr;
  at: number;
}
export interface CallNode {
  kind: 'call';
  /** as written */
  name: string;
  insensitive: boolean;
  args: Expr[];
  at: number;
}

export type Expr =
  | LiteralNode
  | FieldNode
  | NotNode
  | LogicalNode
  | CompareNode
  | InNode
  | MatchNode
  | ArithNode
  | NegNode
  | IsNullNode
  | CallNode;

export interface EventQuery {
  kind: 'event';
  /** 'any' for `any where` */
  category: string;
  condition: Expr;
  at: number;
}

export interface Stage {
  kind: 'stage';
  query: EventQuery;
  /** per-stage join keys (after the top-level `by` keys) */
  by: Expr[];
  runs: number;
  /** `![ ... ]` missing-event stage */
  missing: boolean;
  at: number;
}

export interface SequenceQuery {
  kind: 'sequence';
  by: Expr[];
  maxspanMs?: number;
  stages: Stage[];
  until?: Stage;
  at: number;
}

export interface SampleQuery {
  kind: 'sample';
  by: Expr[];
  stages: Stage[];
  at: number;
}

export interface Pipe {
  kind: 'head' | 'tail';
  count: number;
  at: number;
}

export type QueryBody = EventQuery | SequenceQuery | SampleQuery;

export interface Statement {
  query: QueryBody;
  pipes: Pipe[];
  source: string;
}
