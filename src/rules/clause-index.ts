// The conjunctive half of the rule set's routing: each rule's query comes as parts (event query,
// stages, `until`), each part as the necessary conditions ("clauses") of its top-level `and`
// conjuncts (src/eql/prefilter.ts, PrefilterParts). The rule set files every clause's terms in its
// (field, value) index and reports, per event, the clauses whose terms some value passed; a rule is
// offered the event when one of its parts had every clause passed. A part is found through its
// narrowest clause (its anchor, the one the disjunctive prefilter files the rule under), so the
// rest are only checked for the few parts whose anchor passed. Leaving a clause out only offers
// more events (each clause is necessary on its own), which is how costly ones are treated. Identical clauses (`event.type ==
// "start"` in a hundred rules) are kept once, so an event passes each at most once.
// It does not read documents or know categories and index patterns: the rule set does both.
import type { CompiledQuery } from './engine.js';

type PrefilterParts = NonNullable<CompiledQuery['prefilterParts']>;
type Clause = PrefilterParts[number][number];

/** the content of a clause, independent of the order of its terms and of their values */
function clauseKey(category: string, clause: Clause): string {
  const sorted = (x: ReadonlySet<string>) => JSON.stringify([...x].sort());
  const terms = clause.map(
    (t) =>
      `${t.insensitive ? 'i' : 's'} ${t.field} ${sorted(t.values)} ${sorted(t.prefixes)} ${sorted(t.suffixes)} ${sorted(t.contains)}`,
  );
  return `${category}\n${terms.sort().join('\n')}`;
}

/**
 * A clause with a literal-run term (`process.command_line : "*curl*"`) is tested by scanning each
 * value for substrings: over long values (command lines, arguments) that cost more than the offers
 * it saves (corpus bench: routing took 16-23 µs per event with them as checks, 9-10 µs without, for
 * 7.4 against 8.4 offers per event), so such a clause is filed only as a part's anchor.
 */
function scansSubstrings(clause: Clause): boolean {
  return clause.some((t) => t.contains.size > 0);
}

export class ClauseIndex {
  /** the distinct clauses, by id */
  readonly clauses: Clause[] = [];
  private readonly ids = new Map<string, number>();
  /** per clause: the parts whose anchor it is */
  private readonly anchorOf: number[][] = [];
  /** per part: its rule and its other clauses */
  private readonly partRule: number[] = [];
  private readonly partChecks: number[][] = [];
  /** per clause: the event (call) that last passed it */
  private passed = new Uint32Array(0);
  /** the anchors passed by the event in progress */
  private anchors = new Int32Array(0);
  private anchorCount = 0;
  /** per rule: the event that last took it */
  private readonly taken: Uint32Array;
  private call = 0;

  constructor(ruleCount: number) {
    this.taken = new Uint32Array(ruleCount);
  }

  /** Adds a rule's parts; returns the ids of the clauses not seen before (to be filed). */
  addRule(rule: number, parts: PrefilterParts): number[] {
    const fresh: number[] = [];
    for (const all of parts) {
      const clauses = all.filter((c, i) => i === 0 || !scansSubstrings(c));
      const ids = clauses.map((c) => {
        const category = c[0]?.category ?? 'any';
        const key = clauseKey(category, c);
        let id = this.ids.get(key);
        if (id === undefined) {
          id = this.clauses.length;
          this.ids.set(key, id);
          this.clauses.push(c);
          this.anchorOf.push([]);
          fresh.push(id);
        }
        return id;
      });
      const anchor = ids[0];
      if (anchor === undefined) continue;
      const part = this.partRule.length;
      this.partRule.push(rule);
      // the same clause twice in one part (`a and a`) needs checking once
      this.partChecks.push([...new Set(ids.slice(1))].filter((id) => id !== anchor));
      (this.anchorOf[anchor] as number[]).push(part);
    }
    this.passed = new Uint32Array(this.clauses.length);
    this.anchors = new Int32Array(this.clauses.length);
    return fresh;
  }

  /** Starts an event. */
  begin(): void {
    if (++this.call === 0xffffffff) {
      this.passed.fill(0);
      this.taken.fill(0);
      this.call = 1;
    }
    this.anchorCount = 0;
  }

  /** Records clauses a value of the event passed (ids from the field index; repeats are fine). */
  pass(ids: readonly number[]): void {
    const { passed, call } = this;
    for (let k = 0; k < ids.length; k++) {
      const c = ids[k] as number;
      if (passed[c] === call) continue;
      passed[c] = call;
      if ((this.anchorOf[c] as number[]).length > 0) this.anchors[this.anchorCount++] = c;
    }
  }

  /**
   * Writes to `out` the eligible rules (eligible[rule] === 1) with a part whose clauses the event
   * all passed, each once, in no particular order; returns how many.
   */
  finish(eligible: Uint8Array, out: Int32Array): number {
    const { passed, call, taken, anchors, anchorOf, partRule, partChecks } = this;
    let n = 0;
    for (let a = 0; a < this.anchorCount; a++) {
      const parts = anchorOf[anchors[a] as number] as number[];
      for (let k = 0; k < parts.length; k++) {
        const p = parts[k] as number;
        const r = partRule[p] as number;
        if (eligible[r] !== 1 || taken[r] === call) continue;
        const checks = partChecks[p] as number[];
        let all = true;
        for (let j = 0; j < checks.length; j++)
          if (passed[checks[j] as number] !== call) {
            all = false;
            break;
          }
        if (!all) continue;
        taken[r] = call;
        out[n++] = r;
      }
    }
    return n;
  }
}
