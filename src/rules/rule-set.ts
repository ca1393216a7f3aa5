// The active rules, indexed so an event is offered only to the rules that can use it: by event
// category (a process event never reaches a network-only rule), then by the query's literal
// prefilter (src/eql/prefilter.ts: e.g. a rule needing process.name in ("nc", "ncat") is filed under
// those two values and never offered a `bash` event), then filtered by the rule's index patterns
// (see index-pattern.ts). The prefilter is a necessary condition, so no event a rule could match
// (in any stage, `until` or missing-event stage) is withheld from it; rules without one see every
// event of their categories. Inactive rules are kept for reporting but never offered events.
import type { CompiledQuery } from './engine.js';
import { getField } from './field.js';
import { eventIndexName, ruleSeesIndex } from './index-pattern.js';
import type { LoadedRule } from './load-rules.js';

type PrefilterTerm = NonNullable<CompiledQuery['prefilter']>[number];

export interface RuleSetOptions {
  /** index rules by their literal prefilter (default true); false offers every event of the category */
  prefilter?: boolean;
}

/** the rules filed under one field (read case-sensitively or lower-cased) for one category */
interface FieldIndex {
  category: string;
  read: PrefilterTerm['read'];
  byValue: Map<string, number[]>;
  /** wildcard heads and tails, with their distinct lengths (longest first) */
  byPrefix: Map<string, number[]>;
  prefixLengths: number[];
  bySuffix: Map<string, number[]>;
  suffixLengths: number[];
}

function file(map: Map<string, number[]>, keys: Iterable<string>, rule: number): void {
  for (const v of keys) {
    const list = map.get(v) ?? [];
    if (list[list.length - 1] !== rule) list.push(rule);
    map.set(v, list);
  }
}

const lengths = (m: Map<string, number[]>) =>
  [...new Set([...m.keys()].map((k) => k.length))].sort((a, b) => b - a);

/** what an event's index name and categories allow: precomputed once per distinct pair */
interface Shape {
  /** per rule: 1 when its categories and index patterns take events of this shape */
  eligible: Uint8Array;
  /** the field indexes of terms on these categories (or on 'any') */
  fields: FieldIndex[];
  /** the eligible rules without a prefilter, in load order */
  always: number[];
}

export class RuleSet {
  readonly all: readonly LoadedRule[];
  /** active rules offered every event of their categories (no prefilter) */
  private readonly unfiltered: number[] = [];
  /** active rules with a prefilter, by field and value */
  private readonly fields: FieldIndex[] = [];
  private readonly activeIdx: number[] = [];
  /** per (index name, categories): which rules may take the event (fixed for a RuleSet) */
  private readonly shapes = new Map<string, Map<string, Shape>>();
  private shapeCount = 0;
  /** the shape and output of the candidates() call in progress */
  private eligible: Uint8Array = new Uint8Array(0);
  private out: number[] = [];
  /** per rule: the candidates() call that last took it (dedupes without a Set per event) */
  private readonly taken: Uint32Array;
  private call = 0;

  constructor(rules: readonly LoadedRule[], opts: RuleSetOptions = {}) {
    this.all = rules;
    this.taken = new Uint32Array(rules.length);
    const fieldIndex = new Map<string, FieldIndex>();
    for (const [i, r] of rules.entries()) {
      if (r.inactiveNeeds.length > 0) continue;
      this.activeIdx.push(i);
      const pf = opts.prefilter === false ? undefined : r.compiled.prefilter;
      if (!pf || pf.length === 0) {
        this.unfiltered.push(i);
        continue;
      }
      for (const t of pf) {
        const key = `${t.category}\n${t.insensitive ? 'i' : 's'}\n${t.field}`;
        let fi = fieldIndex.get(key);
        if (!fi) {
          fi = {
            category: t.category,
            read: t.read,
            byValue: new Map(),
            byPrefix: new Map(),
            prefixLengths: [],
            bySuffix: new Map(),
            suffixLengths: [],
          };
          fieldIndex.set(key, fi);
          this.fields.push(fi);
        }
        file(fi.byValue, t.values, i);
        file(fi.byPrefix, t.prefixes, i);
        file(fi.bySuffix, t.suffixes, i);
      }
    }
    for (const fi of this.fields) {
      fi.prefixLengths = lengths(fi.byPrefix);
      fi.suffixLengths = lengths(fi.bySuffix);
    }
  }

  get active(): LoadedRule[] {
    return this.all.filter((r) => r.inactiveNeeds.length === 0);
  }

  private shape(indexName: string, cats: readonly string[], allTerms: boolean): Shape {
    const key = `${allTerms ? '*' : ''}${cats.length === 1 ? cats[0] : cats.join('\n')}`;
    let byCats = this.shapes.get(indexName);
    let s = byCats?.get(key);
    if (s) return s;
    const eligible = new Uint8Array(this.all.length);
    for (const i of this.activeIdx) {
      const r = this.all[i] as LoadedRule;
      const rc = r.compiled.categories;
      const catOk = rc === 'any' || cats.some((c) => rc.has(c));
      if (catOk && ruleSeesIndex(r.rule.index, indexName)) eligible[i] = 1;
    }
    s = {
      eligible,
      fields: this.fields.filter((f) => allTerms || f.category === 'any' || cats.includes(f.category)),
      always: this.unfiltered.filter((i) => eligible[i] === 1),
    };
    if (this.shapeCount < 1000) {
      if (!byCats) {
        byCats = new Map();
        this.shapes.set(indexName, byCats);
      }
      byCats.set(key, s);
      this.shapeCount++;
    }
    return s;
  }

  /** the rules filed under one value of the field: exactly, by its head, by its tail */
  private lookup(fi: FieldIndex, s: string): void {
    this.add(fi.byValue.get(s));
    for (const n of fi.prefixLengths) if (n <= s.length) this.add(fi.byPrefix.get(s.slice(0, n)));
    for (const n of fi.suffixLengths) if (n <= s.length) this.add(fi.bySuffix.get(s.slice(s.length - n)));
  }

  /** takes the eligible rules of a hit list not taken yet by this call */
  private add(hit: number[] | undefined): void {
    if (hit === undefined) return;
    const { eligible, taken, call, out } = this;
    for (const i of hit)
      if (eligible[i] === 1 && taken[i] !== call) {
        taken[i] = call;
        out.push(i);
      }
  }

  /** The rules that should see this ECS event, in load order, each once. */
  candidates(doc: Record<string, unknown>): LoadedRule[] {
    const index = eventIndexName(doc);
    if (index === undefined) return [];
    const raw = getField(doc, 'event.category');
    const cats: string[] = [];
    // a nested array (which the engine flattens) makes the per-category term choice unsafe: all terms
    let nested = false;
    for (const c of Array.isArray(raw) ? raw : [raw]) {
      if (typeof c === 'string') cats.push(c);
      else if (Array.isArray(c)) nested = true;
    }
    const { eligible, always, fields } = this.shape(index, cats, nested);
    if (++this.call === 0xffffffff) {
      this.taken.fill(0);
      this.call = 1;
    }
    const out: number[] = always.slice();
    this.eligible = eligible;
    this.out = out;
    for (const fi of fields) {
      const v = fi.read(doc);
      if (v === null) continue;
      if (!Array.isArray(v)) {
        this.lookup(fi, typeof v === 'string' ? v : String(v));
        continue;
      }
      for (const x of v) if (x !== null) this.lookup(fi, typeof x === 'string' ? x : String(x));
    }
    if (out.length > always.length) out.sort((a, b) => a - b);
    const rules = new Array<LoadedRule>(out.length);
    for (let k = 0; k < out.length; k++) rules[k] = this.all[out[k] as number] as LoadedRule;
    return rules;
  }
}
