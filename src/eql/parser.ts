// Recursive-descent parser for Elasticsearch EQL: text -> Statement (ast.ts). It checks syntax only;
// function names, argument counts and pattern literals are checked by the compiler. Nesting is
// limited (MAX_DEPTH) so a hostile query cannot exhaust the stack.
//
// Grammar (EBNF; keywords case-sensitive as in Elasticsearch, function names case-insensitive):
//   statement   = query { "|" pipe } EOF
//   pipe        = ("head" | "tail") INTEGER
//   query       = eventQuery | sequence | sample
//   eventQuery  = (IDENT | STRING | "any") "where" expr
//   sequence    = "sequence" [ "by" keys ] [ "with" "maxspan" "=" DURATION ] stage { stage }
//                 [ "until" "[" eventQuery "]" [ "by" keys ] ]
//   sample      = "sample" [ "by" keys ] stage { stage }
//   stage       = [ "!" ] "[" eventQuery "]" [ "by" keys ] [ "with" "runs" "=" INTEGER ]
//   keys        = expr { "," expr }
//   DURATION    = INTEGER ("ms" | "s" | "m" | "h" | "d")
//   expr        = and { "or" and }
//   and         = not { "and" not }
//   not         = "not" not | predicate
//   predicate   = sum [ cmpOp sum
//                     | [ "not" ] ("in" | "in~") "(" expr { "," expr } ")"
//                     | matchOp ( STRING | "(" STRING { "," STRING } ")" ) ]
//   cmpOp       = "==" | "!=" | "<" | "<=" | ">" | ">="
//   matchOp     = ":" | "like" | "like~" | "regex" | "regex~"
//   sum         = product { ("+" | "-") product }
//   product     = unary { ("*" | "/" | "%") unary }
//   unary       = ("-" | "+") unary | primary
//   primary     = NUMBER | STRING | "true" | "false" | "null" | call | field | "(" expr ")"
//   call        = IDENT[~] "(" [ expr { "," expr } ] ")"
//   field       = [ "?" ] ( IDENT | BACKTICK )
import type {
  ArithOp,
  CompareOp,
  EventQuery,
  Expr,
  LiteralNode,
  MatchOp,
  Pipe,
  QueryBody,
  SampleQuery,
  SequenceQuery,
  Stage,
  Statement,
} from './ast.js';
import { EqlError } from './errors.js';
import { type Token, tokenize } from './lexer.js';

export const MAX_DEPTH = 128;
export const MAX_RUNS = 100;

const KEYWORDS = new Set([
  'and',
  'any',
  'by',
  'false',
  'in',
  'in~',
  'join',
  'like',
  'like~',
  'maxspan',
  'not',
  'null',
  'of',
  'or',
  'regex',
  'regex~',
  'runs',
  'sample',
  'sequence',
  'true',
  'until',
  'where',
  'with',
]);

const COMPARE_OPS: ReadonlySet<string> = new Set(['==', '!=', '<', '<=', '>', '>=']);
const MATCH_OPS: ReadonlySet<string> = new Set([':', 'like', 'like~', 'regex', 'regex~']);
const UNSUPPORTED_PIPES: Readonly<Record<string, string>> = {
  count: 'the `count` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support',
  filter: 'the `filter` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support',
  sort: 'the `sort` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support',
  unique: 'the `unique` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support',
  unique_count: 'the `unique_count` pipe is an Endgame EQL pipe that Elasticsearch EQL does not support',
  window: 'the `window` pipe is not supported',
};
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function describe(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of query';
    case 'string':
      return `string ${JSON.stringify(t.value)}`;
    case 'number':
      return `number ${t.value}`;
    case 'backtick':
      return `field \`${t.value}\``;
    case 'ident':
      return KEYWORDS.has(t.value) ? `keyword \`${t.value}\`` : `\`${t.value}\``;
    default:
      return `\`${t.value}\``;
  }
}

class Parser {
  private pos = 0;
  private depth = 0;
  private readonly toks: Token[];

  constructor(private readonly text: string) {
    this.toks = tokenize(text);
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)] as Token;
  }
  private next(): Token {
    const t = this.peek();
    if (t.type !== 'eof') this.pos++;
    return t;
  }
  private isKw(kw: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'ident' && t.value === kw;
  }
  private isOp(op: string, k = 0): boolean {
    const t = this.peek(k);
    return t.type === 'op' && t.value === op;
  }
  fail(expected: string, t: Token = this.peek(), kind: 'syntax' | 'unsupported' | 'limit' = 'syntax'): never {
    throw new EqlError(kind, `Expected ${expected}, got ${describe(t)}`, this.text, t.offset);
  }
  private error(kind: 'syntax' | 'unsupported' | 'limit', reason: string, at: number): never {
    throw new EqlError(kind, reason, this.text, at);
  }
  private expectOp(op: string, what = `\`${op}\``): Token {
    if (!this.isOp(op)) this.fail(what);
    return this.next();
  }
  private enter(at: number): void {
    if (++this.depth > MAX_DEPTH) {
      this.error('limit', `Query nests deeper than ${MAX_DEPTH} levels`, at);
    }
  }

  statement(): Statement {
    const query = this.query();
    const pipes: Pipe[] = [];
    while (this.isOp('|')) {
      this.next();
      pipes.push(this.pipe());
    }
    const t = this.peek();
    if (t.type !== 'eof') {
      if (
        t.type === 'ident' &&
        (t.value === 'descendant' || t.value === 'child' || t.value === 'event') &&
        this.isKw('of', 1)
      )
        this.error(
          'unsupported',
          `Lineage keyword \`${t.value} of\` is not supported by Elasticsearch EQL`,
          t.offset,
        );
      this.fail(query.kind === 'event' ? '`and`, `or`, `|` or end of query' : '`[`, `|` or end of query');
    }
    return { query, pipes, source: this.text };
  }

  private pipe(): Pipe {
    const t = this.peek();
    if (t.type !== 'ident') this.fail('a pipe name (`head` or `tail`)');
    this.next();
    if (t.value !== 'head' && t.value !== 'tail') {
      const why = UNSUPPORTED_PIPES[t.value];
      if (why)
        this.error(
          'unsupported',
          `Unsupported pipe \`${t.value}\`: ${why}; use \`head\` or \`tail\``,
          t.offset,
        );
      this.error('syntax', `Unknown pipe \`${t.value}\`; expected \`head\` or \`tail\``, t.offset);
    }
    const n = this.peek();
    if (n.type !== 'number' || !n.integer || (n.num as number) < 1)
      this.fail(`a positive whole number of results after \`${t.value}\``, n);
    this.next();
    return { kind: t.value, count: n.num as number, at: t.offset };
  }

  private query(): QueryBody {
    const t = this.peek();
    if (this.isKw('sequence')) return this.sequence();
    if (this.isKw('sample')) return this.sample();
    if (this.isKw('join'))
      this.error(
        'unsupported',
        '`join` queries are Endgame EQL and not supported by Elasticsearch EQL',
        t.offset,
      );
    if (t.type === 'eof') this.fail('a query such as `process where ...`, `sequence` or `sample`');
    return this.eventQuery();
  }

  private eventQuery(): EventQuery {
    const t = this.peek();
    let category: string;
    if (t.type === 'string') {
      category = t.value;
    } else if (
      t.type === 'ident' &&
      (t.value === 'any' || !KEYWORDS.has(t.value)) &&
      !t.value.endsWith('~')
    ) {
      category = t.value;
    } else {
      this.fail('an event category (e.g. `process`), `any`, `sequence` or `sample`');
    }
    this.next();
    if (!this.isKw('where')) {
      if (this.isOp('=') || this.isOp('==') || this.isOp(':'))
        this.fail(`\`where\` after the event category \`${category}\``);
      this.fail(`\`where\` after the event category \`${category}\``);
    }
    this.next();
    const condition = this.expr();
    return { kind: 'event', category, condition, at: t.offset };
  }

  private keys(): Expr[] {
    const out = [this.expr()];
    while (this.isOp(',')) {
      this.next();
      out.push(this.expr());
    }
    return out;
  }

  private sequence(): SequenceQuery {
    const at = this.next().offset;
    let by: Expr[] = [];
    let maxspanMs: number | undefined;
    if (this.isKw('by')) {
      this.next();
      by = this.keys();
    }
    if (this.isKw('with')) {
      this.next();
      maxspanMs = this.maxspan();
      if (this.isKw('by'))
        this.error('syntax', 'Expected `by` before `with maxspan=...`, not after it', this.peek().offset);
    }
    const stages: Stage[] = [];
    while (this.isOp('[') || this.isOp('!')) stages.push(this.stage(true));
    if (stages.length === 0) this.fail('`[` to start the first sequence stage');
    let until: Stage | undefined;
    if (this.isKw('until')) {
      this.next();
      until = this.stage(false);
      if (until.runs !== 1) this.error('syntax', '`with runs` is not allowed on `until`', until.at);
    }
    const positive = stages.reduce((n, s) => n + (s.missing ? 0 : s.runs), 0);
    const total = stages.reduce((n, s) => n + s.runs, 0);
    if (positive === 0)
      this.error('syntax', 'A sequence needs at least one stage that is not a missing event `![...]`', at);
    if (total < 2) this.fail('a second sequence stage `[`, or `with runs=N` on the first');
    if (stages.some((s) => s.missing) && maxspanMs === undefined)
      this.error('syntax', 'A sequence with missing events `![...]` requires `with maxspan=...`', at);
    const seq: SequenceQuery = { kind: 'sequence', by, stages, at };
    if (maxspanMs !== undefined) seq.maxspanMs = maxspanMs;
    if (until) seq.until = until;
    return seq;
  }

  private maxspan(): number {
    const kw = this.peek();
    if (kw.type !== 'ident' || kw.value !== 'maxspan') {
      if (kw.type === 'ident' && kw.value === 'runs')
        this.error(
          'syntax',
          '`with runs=N` belongs after a sequence stage `[...]`, not on `sequence`',
          kw.offset,
        );
      this.fail('`maxspan` after `with`');
    }
    this.next();
    this.expectOp('=', '`=` after `maxspan`');
    const n = this.peek();
    if (n.type !== 'number' || !n.integer) this.fail('a duration like 30s after `maxspan=`', n);
    this.next();
    const u = this.peek();
    if (u.type !== 'ident' || u.offset !== n.end || UNIT_MS[u.value] === undefined) {
      this.error(
        'syntax',
        `Expected \`maxspan\` to be a duration like 30s (units ms, s, m, h, d), got \`${this.text.slice(n.offset, u.type === 'ident' ? u.end : n.end)}\``,
        n.offset,
      );
    }
    this.next();
    return (n.num as number) * (UNIT_MS[u.value] as number);
  }

  private stage(allowMissing: boolean): Stage {
    const start = this.peek();
    let missing = false;
    if (this.isOp('!')) {
      if (!allowMissing) this.fail('`[` (a missing-event stage is not allowed here)');
      this.next();
      missing = true;
    }
    this.expectOp('[', '`[` to start a stage');
    this.enter(start.offset);
    const query = this.eventQuery();
    this.depth--;
    this.expectOp(']', '`]` to close the stage, or `and`/`or`');
    let by: Expr[] = [];
    if (this.isKw('by')) {
      this.next();
      by = this.keys();
    }
    let runs = 1;
    if (this.isKw('with') && this.isKw('runs', 1)) {
      this.next();
      this.next();
      this.expectOp('=', '`=` after `runs`');
      const n = this.peek();
      if (n.type !== 'number' || !n.integer || (n.num as number) < 1 || (n.num as number) > MAX_RUNS)
        this.fail(`a whole number from 1 to ${MAX_RUNS} after \`runs=\``, n);
      this.next();
      runs = n.num as number;
    } else if (this.isKw('with') && this.isKw('maxspan', 1)) {
      this.error(
        'syntax',
        'Expected `with maxspan=...` right after `sequence [by ...]`, not after a stage',
        this.peek().offset,
      );
    }
    return { kind: 'stage', query, by, runs, missing, at: start.offset };
  }

  private sample(): SampleQuery {
    const at = this.next().offset;
    let by: Expr[] = [];
    if (this.isKw('by')) {
      this.next();
      by = this.keys();
    }
    if (this.isKw('with'))
      this.error(
        'unsupported',
        '`with maxspan`/`with runs` are not supported on `sample`',
        this.peek().offset,
      );
    const stages: Stage[] = [];
    while (this.isOp('[') || this.isOp('!')) {
      if (this.isOp('!'))
        this.error(
          'unsupported',
          'Missing-event stages `![...]` are not supported on `sample`',
          this.peek().offset,
        );
      const s = this.stage(false);
      if (s.runs !== 1) this.error('unsupported', '`with runs` is not supported on `sample`', s.at);
      stages.push(s);
    }
    if (stages.length < 2) this.fail('at least two `[...]` stages in a `sample`');
    if (this.isKw('until'))
      this.error('unsupported', '`until` is not supported on `sample`', this.peek().offset);
    return { kind: 'sample', by, stages, at };
  }

  // ---- expressions

  expr(): Expr {
    let left = this.and();
    while (this.isKw('or')) {
      const at = this.next().offset;
      left = { kind: 'logical', op: 'or', left, right: this.and(), at };
    }
    return left;
  }

  private and(): Expr {
    let left = this.not();
    while (this.isKw('and')) {
      const at = this.next().offset;
      left = { kind: 'logical', op: 'and', left, right: this.not(), at };
    }
    return left;
  }

  private not(): Expr {
    if (this.isKw('not')) {
      const at = this.next().offset;
      this.enter(at);
      const expr = this.not();
      this.depth--;
      return { kind: 'not', expr, at };
    }
    return this.predicate();
  }

  private predicate(): Expr {
    const left = this.sum();
    const t = this.peek();
    if (t.type === 'op' && COMPARE_OPS.has(t.value)) {
      this.next();
      const right = this.sum();
      const again = this.peek();
      if (again.type === 'op' && COMPARE_OPS.has(again.value))
        this.error('syntax', 'Comparisons cannot be chained; join them with `and`', again.offset);
      return { kind: 'compare', op: t.value as CompareOp, left, right, at: t.offset };
    }
    if (t.type === 'op' && t.value === '=')
      this.error('syntax', 'Expected `==` or `:` for equality; `=` is not an EQL operator', t.offset);
    let negated = false;
    if (this.isKw('not') && (this.isKw('in', 1) || this.isKw('in~', 1))) {
      this.next();
      negated = true;
    } else if (this.isKw('not') && this.peek(1).type === 'ident' && MATCH_OPS.has(this.peek(1).value)) {
      this.error(
        'unsupported',
        `\`not ${this.peek(1).value}\` is not EQL; write \`not (field ${this.peek(1).value} ...)\``,
        t.offset,
      );
    }
    const op = this.peek();
    if (this.isKw('in') || this.isKw('in~')) {
      this.next();
      this.expectOp('(', `\`(\` to start the list after \`${op.value}\``);
      this.enter(op.offset);
      const values = [this.expr()];
      while (this.isOp(',')) {
        this.next();
        values.push(this.expr());
      }
      this.depth--;
      this.expectOp(')', '`,` or `)` to close the list');
      return { kind: 'in', insensitive: op.value === 'in~', negated, left, values, at: op.offset };
    }
    if ((op.type === 'op' && op.value === ':') || (op.type === 'ident' && MATCH_OPS.has(op.value))) {
      this.next();
      const patterns: LiteralNode[] = [];
      if (this.isOp('(')) {
        this.next();
        patterns.push(this.patternLiteral(op.value));
        while (this.isOp(',')) {
          this.next();
          patterns.push(this.patternLiteral(op.value));
        }
        this.expectOp(')', '`,` or `)` to close the pattern list');
      } else {
        patterns.push(this.patternLiteral(op.value));
      }
      return { kind: 'match', op: op.value as MatchOp, negated: false, left, patterns, at: op.offset };
    }
    return left;
  }

  private patternLiteral(op: string): LiteralNode {
    const t = this.peek();
    if (t.type !== 'string') this.fail(`a string pattern after \`${op}\``);
    this.next();
    return { kind: 'literal', value: t.value, at: t.offset };
  }

  private sum(): Expr {
    let left = this.product();
    let n = 0;
    while (this.isOp('+') || this.isOp('-')) {
      const t = this.next();
      if (++n > MAX_DEPTH) this.error('limit', `Query nests deeper than ${MAX_DEPTH} levels`, t.offset);
      left = { kind: 'arith', op: t.value as ArithOp, left, right: this.product(), at: t.offset };
    }
    return left;
  }

  private product(): Expr {
    let left = this.unary();
    let n = 0;
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const t = this.next();
      if (++n > MAX_DEPTH) this.error('limit', `Query nests deeper than ${MAX_DEPTH} levels`, t.offset);
      left = { kind: 'arith', op: t.value as ArithOp, left, right: this.unary(), at: t.offset };
    }
    return left;
  }

  private unary(): Expr {
    if (this.isOp('-') || this.isOp('+')) {
      const t = this.next();
      this.enter(t.offset);
      const expr = this.unary();
      this.depth--;
      if (t.value === '+') return expr;
      if (expr.kind === 'literal' && typeof expr.value === 'number')
        return { ...expr, value: -expr.value, at: t.offset };
      return { kind: 'neg', expr, at: t.offset };
    }
    return this.primary();
  }

  private primary(): Expr {
    const t = this.peek();
    switch (t.type) {
      case 'number':
        this.next();
        return { kind: 'literal', value: t.num as number, integer: t.integer === true, at: t.offset };
      case 'string':
        this.next();
        return { kind: 'literal', value: t.value, at: t.offset };
      case 'backtick':
        this.next();
        return { kind: 'field', name: t.value, optional: false, at: t.offset };
      case 'op':
        if (t.value === '(') {
          this.next();
          this.enter(t.offset);
          const e = this.expr();
          this.depth--;
          this.expectOp(')', '`)` or an operator');
          return e;
        }
        if (t.value === '?') {
          this.next();
          const f = this.peek();
          if (
            f.type === 'backtick' ||
            (f.type === 'ident' && !KEYWORDS.has(f.value) && !f.value.endsWith('~'))
          ) {
            if (f.offset !== t.end)
              this.error('syntax', 'Expected a field name directly after `?`', f.offset);
            this.next();
            return { kind: 'field', name: f.value, optional: true, at: t.offset };
          }
          this.fail('a field name after `?`', f);
        }
        break;
      case 'ident': {
        if (t.value === 'true' || t.value === 'false') {
          this.next();
          return { kind: 'literal', value: t.value === 'true', at: t.offset };
        }
        if (t.value === 'null') {
          this.next();
          return { kind: 'literal', value: null, at: t.offset };
        }
        if (this.isOp('(', 1)) {
          this.next();
          this.next();
          this.enter(t.offset);
          const args: Expr[] = [];
          if (!this.isOp(')')) {
            args.push(this.expr());
            while (this.isOp(',')) {
              this.next();
              args.push(this.expr());
            }
          }
          this.depth--;
          this.expectOp(')', `\`,\` or \`)\` to close the arguments of \`${t.value}\``);
          const insensitive = t.value.endsWith('~');
          return {
            kind: 'call',
            name: insensitive ? t.value.slice(0, -1) : t.value,
            insensitive,
            args,
            at: t.offset,
          };
        }
        if (KEYWORDS.has(t.value) || t.value.endsWith('~')) break;
        this.next();
        return { kind: 'field', name: t.value, optional: false, at: t.offset };
      }
      default:
        break;
    }
    return this.fail('a field, value, function call or `(`');
  }
}

/** Parses EQL text into a Statement; throws EqlError with position and caret on any problem. */
export function parseQuery(text: string): Statement {
  return new Parser(text).statement();
}
