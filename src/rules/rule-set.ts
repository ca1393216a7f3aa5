// The active rules, indexed so an event is offered only to the rules that can use it: by event
// category (a process event never reaches a network-only rule), then by the query's literal
// prefilter (src/eql/prefilter.ts: e.g. a rule needing process.name in ("nc", "ncat") is filed under
// those two values and never offered a `bash` event), then filtered by the rule's index patterns
// (see index-pattern.ts). The prefilter is a necessary condition, so no event a rule could match
// (in any stage, `until` or missing-event stage) is withheld from it; rules without one see every
// event of their categories. Inactive rules are kept for reporting but never offered events.
import { KIND_FIELDS } from '../normalize/ecs-event.js';
import { queryMayTakeKind } from './coverage.js';
import type { CompiledQuery } from './engine.js';
import { getField } from './field.js';
import { eventIndexName, ruleSeesIndex } from './index-pattern.js';
import type { LoadedRule } from './load-rules.js';
import { ValueMemo } from './value-memo.js';

type PrefilterTerm = NonNullable<CompiledQuery['prefilter']>[number];

export interface RuleSetOptions {
  /** index rules by their literal prefilter (default true); false offers every event of the category */
  prefilter?: boolean;
}

/** wildcard heads (or tails) of one field, bucketed by their first (or last) character */
type AffixIndex = Map<number, { affix: string; rules: number[] }[]>;

/** the rules filed under one field (read case-sensitively or lower-cased) for one category */
interface FieldIndex {
  category: string;
  read: PrefilterTerm['read'];
  byValue: Map<string, number[]>;
  /** wildcard heads and tails, as filed (turned into the bucketed indexes below) */
  byPrefix: Map<string, number[]>;
  bySuffix: Map<string, number[]>;
  prefixes: AffixIndex;
  /** one anchored alternation of every head: most values start with none */
  headsAny: RegExp | undefined;
  suffixes: AffixIndex;
  /** rules filed under an empty head or tail: any value passes */
  anyValue: number[];
  /** no heads, tails, runs or any-value rules: a value is only looked up */
  exactOnly: boolean;
  /** exact values only and no twin: the value's one lookup is all its memo would save */
  direct: boolean;
  /** literal runs a value must contain, and one alternation of them all that rejects most values */
  byContains: Map<string, number[]>;
  contains: { affix: string; rules: number[] }[];
  containsAny: RegExp | undefined;
  /** on a case-sensitive index: the lower-cased index of the same category and field, and the
   *  union of both value sets, so a value already in lower case is looked up once for both */
  twin: FieldIndex | undefined;
  merged: Map<string, number[]> | undefined;
  /** on a lower-cased index with a twin: looked up with it, skipped on its own */
  paired: boolean;
  /** the rules a value resolves to (all of the above, and the twin's for its lower case) */
  memo: ValueMemo<number[]>;
}

const reEscape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

function file(map: Map<string, number[]>, keys: Iterable<string>, rule: number): void {
  for (const v of keys) {
    const list = map.get(v) ?? [];
    if (list[list.length - 1] !== rule) list.push(rule);
    map.set(v, list);
  }
}

/** buckets heads by their first character (tails by their last); an empty affix is never filed */
function affixIndex(m: Map<string, number[]>, tail: boolean): AffixIndex {
  const out: AffixIndex = new Map();
  for (const [affix, rules] of m) {
    if (affix.length === 0) continue;
    const c = affix.charCodeAt(tail ? affix.length - 1 : 0);
    const bucket = out.get(c) ?? [];
    bucket.push({ affix, rules });
    out.set(c, bucket);
  }
  return out;
}

/** what an event's index name and categories allow: precomputed once per distinct pair */
interface Shape {
  /** per rule: 1 when its categories and index patterns take events of this shape */
  eligible: Uint8Array;
  /** the field indexes of terms on these categories (or on 'any'), but the lower-cased ones read
   *  with their case-sensitive twin */
  fields: FieldIndex[];
  /** the eligible rules without a prefilter, in load order */
  always: number[];
}

/** a value no rule is filed under */
const NO_HITS: number[] = [];

/** what most events get (no rule wants them); frozen, so a caller cannot fill it */
const NO_RULES: readonly LoadedRule[] = Object.freeze([]);

/** `getField(doc, 'event.category')`, without its allocations for the two layouts it can find */
function eventCategory(doc: Record<string, unknown>): unknown {
  if (Object.hasOwn(doc, 'event.category')) return doc['event.category'];
  if (!Object.hasOwn(doc, 'event')) return undefined;
  const ev = doc.event;
  return typeof ev === 'object' && ev !== null && Object.hasOwn(ev, 'category')
    ? (ev as Record<string, unknown>).category
    : undefined;
}

/** a document with a key that eventIndexName() or getField() reads before event.category */
const SPECIAL_KEYS = Symbol('special keys');
/** a document whose only such key is a `data_stream` object (every event the normalizer makes) */
const DATA_STREAM_ONLY = Symbol('data_stream only');

/**
 * The event's category when nothing but it decides the event's index name: the document has no
 * `_index`, no `data_stream` object, no flattened `data_stream.*` or `event.category` key (one
 * pass over its keys: cheaper than probing each absent key). For plain data documents (own
 * enumerable keys, prototypes naming no fields) this is `getField(doc, 'event.category')`.
 */
function plainCategory(doc: Record<string, unknown>): unknown {
  let dataStream = false;
  for (const k in doc) {
    const c = k.charCodeAt(0);
    if (c === 100 && k === 'data_stream') dataStream = true;
    else if (
      (c === 95 && k === '_index') ||
      (c === 100 && k.startsWith('data_stream')) ||
      (c === 101 && k === 'event.category')
    )
      return SPECIAL_KEYS;
  }
  if (dataStream) return DATA_STREAM_ONLY;
  const ev = doc.event;
  return typeof ev === 'object' && ev !== null ? (ev as Record<string, unknown>).category : undefined;
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
  /** the shape of the last category seen with each frozen `data_stream` object: the normalizer
   *  shares one per dataset, so its events skip building an index name per event */
  private readonly byStream = new WeakMap<object, { cat: unknown; shape: Shape | null }>();
  private shapeCount = 0;
  /** shapes of events without an index of their own, by their single category */
  private readonly byCategory = new Map<string, Shape | null>();
  /** the last category found there, and its shape */
  private lastCategory: string | undefined;
  private lastCategoryShape: Shape | null = null;
  /** the shape and output of the candidates() call in progress */
  private eligible: Uint8Array = new Uint8Array(0);
  /** rules taken by the call in progress (the first `outLength` slots) */
  private readonly out: Int32Array;
  /** select()'s result: positions in `all` of the rules the last event goes to, in load order */
  readonly selected: Int32Array;
  private outLength = 0;
  /** per rule: the candidates() call that last took it (dedupes without a Set per event) */
  private readonly taken: Uint32Array;
  private call = 0;
  /** a value's rules being collected for its field's memo (see value()) */
  private collecting = false;
  private collected: number[] = [];
  /** wants()'s answers, by kind document (the normalizer shares one per kind) */
  private readonly wanted = new Map<Readonly<Record<string, unknown>>, boolean>();

  constructor(rules: readonly LoadedRule[], opts: RuleSetOptions = {}) {
    this.all = rules;
    this.taken = new Uint32Array(rules.length);
    this.out = new Int32Array(rules.length);
    this.selected = new Int32Array(rules.length);
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
            bySuffix: new Map(),
            prefixes: new Map(),
            headsAny: undefined,
            suffixes: new Map(),
            anyValue: [],
            exactOnly: true,
            direct: false,
            byContains: new Map(),
            contains: [],
            containsAny: undefined,
            twin: undefined,
            merged: undefined,
            paired: false,
            memo: new ValueMemo(),
          };
          fieldIndex.set(key, fi);
          this.fields.push(fi);
        }
        file(fi.byValue, t.values, i);
        file(fi.byPrefix, t.prefixes, i);
        file(fi.bySuffix, t.suffixes, i);
        file(fi.byContains, t.contains, i);
      }
    }
    for (const fi of this.fields) {
      fi.prefixes = affixIndex(fi.byPrefix, false);
      const heads = [...fi.byPrefix.keys()].filter((x) => x !== '');
      fi.headsAny = heads.length > 0 ? new RegExp(`^(?:${heads.map(reEscape).join('|')})`) : undefined;
      fi.suffixes = affixIndex(fi.bySuffix, true);
      fi.anyValue = [
        ...new Set([
          ...(fi.byPrefix.get('') ?? []),
          ...(fi.bySuffix.get('') ?? []),
          ...(fi.byContains.get('') ?? []),
        ]),
      ];
      fi.contains = [...fi.byContains].filter(([x]) => x !== '').map(([affix, rules]) => ({ affix, rules }));
      fi.exactOnly =
        fi.byPrefix.size === 0 &&
        fi.bySuffix.size === 0 &&
        fi.byContains.size === 0 &&
        fi.anyValue.length === 0;
      fi.containsAny =
        fi.contains.length > 0 ? new RegExp(fi.contains.map((c) => reEscape(c.affix)).join('|')) : undefined;
    }
    for (const [key, fi] of fieldIndex) {
      if (!key.includes('\ns\n')) continue;
      const twin = fieldIndex.get(key.replace('\ns\n', '\ni\n'));
      if (!twin) continue;
      const merged = new Map<string, number[]>();
      for (const m of [fi.byValue, twin.byValue])
        for (const [v, rules] of m) merged.set(v, [...(merged.get(v) ?? []), ...rules]);
      fi.twin = twin;
      fi.merged = merged;
      twin.paired = true;
    }
    for (const fi of this.fields) fi.direct = fi.exactOnly && fi.twin === undefined;
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
      fields: this.fields.filter(
        (f) => !f.paired && (allTerms || f.category === 'any' || cats.includes(f.category)),
      ),
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

  /**
   * Takes the rules one value of the field (its text, as lookups compare it) is filed under, with
   * the twin's for its lower case: from the field's memo, else looked up (and remembered).
   */
  private value(fi: FieldIndex, s: string): void {
    if (fi.direct) {
      const hit = fi.byValue.get(s);
      if (hit !== undefined) this.add(hit);
      return;
    }
    const memo = fi.memo;
    if (!memo.on) {
      this.resolve(fi, s);
      return;
    }
    const hit = memo.get(s);
    if (hit !== undefined) {
      if (hit.length > 0) this.add(hit);
      return;
    }
    this.collecting = true;
    this.collected = [];
    try {
      this.resolve(fi, s);
    } finally {
      this.collecting = false;
    }
    const rules = this.collected.length === 0 ? NO_HITS : [...new Set(this.collected)];
    memo.set(s, rules);
    if (rules.length > 0) this.add(rules);
  }

  private resolve(fi: FieldIndex, s: string): void {
    // the lower-cased index reads the field as lowerFieldGetter does: String(value).toLowerCase()
    if (fi.twin !== undefined) this.lookupPair(fi, fi.twin, s, s.toLowerCase());
    else this.lookup(fi, s);
  }

  /** the rules filed under one value of the field: exactly, by its head, by its tail */
  private lookup(fi: FieldIndex, s: string): void {
    const hit = fi.byValue.get(s);
    if (hit !== undefined) this.add(hit);
    if (!fi.exactOnly) this.affixes(fi, s);
  }

  /** a value of a field with a case-sensitive and a lower-cased index: `raw` and its lower case */
  private lookupPair(fi: FieldIndex, twin: FieldIndex, raw: string, lower: string): void {
    if (raw === lower) {
      const hit = (fi.merged as Map<string, number[]>).get(raw);
      if (hit !== undefined) this.add(hit);
    } else {
      const a = fi.byValue.get(raw);
      if (a !== undefined) this.add(a);
      const b = twin.byValue.get(lower);
      if (b !== undefined) this.add(b);
    }
    if (!fi.exactOnly) this.affixes(fi, raw);
    if (!twin.exactOnly) this.affixes(twin, lower);
  }

  /** the rules filed under a head, tail or literal run of the value */
  private affixes(fi: FieldIndex, s: string): void {
    if (fi.anyValue.length > 0) this.add(fi.anyValue);
    if (s.length === 0) return;
    if (fi.prefixes.size > 0) {
      // the heads sharing the value's first character; many (paths all start with `/`): one
      // alternation rejects most values before they are tried one by one
      const heads = fi.prefixes.get(s.charCodeAt(0));
      if (heads !== undefined && (heads.length < 4 || fi.headsAny?.test(s)))
        for (const h of heads) if (s.startsWith(h.affix)) this.add(h.rules);
    }
    if (fi.suffixes.size > 0) {
      const tails = fi.suffixes.get(s.charCodeAt(s.length - 1));
      if (tails !== undefined) for (const t of tails) if (s.endsWith(t.affix)) this.add(t.rules);
    }
    if (fi.containsAny?.test(s)) for (const c of fi.contains) if (s.includes(c.affix)) this.add(c.rules);
  }

  /** takes the eligible rules of a hit list not taken yet by this call (or, while a value is
   *  resolved for the memo, collects the list) */
  private add(hit: number[] | undefined): void {
    if (hit === undefined) return;
    if (this.collecting) {
      for (let k = 0; k < hit.length; k++) this.collected.push(hit[k] as number);
      return;
    }
    const { eligible, taken, call, out } = this;
    for (let k = 0; k < hit.length; k++) {
      const i = hit[k] as number;
      if (eligible[i] === 1 && taken[i] !== call) {
        taken[i] = call;
        out[this.outLength++] = i;
      }
    }
  }

  /**
   * The shape of an event that names no index of its own (no `_index`, no `data_stream.*`): its
   * index name then follows from its single category alone, so the shape is cached by that name.
   * Null when the category maps to no index (the event goes to no rule).
   */
  private categoryShape(category: string): Shape | null {
    // events mostly come in runs of one category (and share its string): skip the Map then
    if (category === this.lastCategory) return this.lastCategoryShape;
    let s = this.byCategory.get(category);
    if (s !== undefined) {
      this.lastCategory = category;
      this.lastCategoryShape = s;
      return s;
    }
    const index = eventIndexName({ event: { category } });
    s = index === undefined ? null : this.shape(index, [category], false);
    if (this.byCategory.size < 1000) this.byCategory.set(category, s);
    return s;
  }

  /**
   * The shape of an event whose only index-deciding key is a `data_stream` object. When that
   * object and the category are frozen (shared, unchangeable), the shape depends on nothing else
   * (no `_index`, no flattened keys: plainCategory checked), so it is remembered by identity.
   */
  private streamShape(doc: Record<string, unknown>): Shape | null {
    const ds = doc.data_stream;
    const ev = doc.event;
    const cat = typeof ev === 'object' && ev !== null ? (ev as Record<string, unknown>).category : undefined;
    if (typeof ds !== 'object' || ds === null || !Object.isFrozen(ds)) return this.generalShape(doc, cat);
    if (typeof cat === 'object' && cat !== null && !Object.isFrozen(cat)) return this.generalShape(doc, cat);
    const hit = this.byStream.get(ds);
    if (hit !== undefined && hit.cat === cat) return hit.shape;
    const shape = this.generalShape(doc, cat);
    this.byStream.set(ds, { cat, shape });
    return shape;
  }

  /** the shape of any event (index name from its own fields), or null when it has no index */
  private generalShape(doc: Record<string, unknown>, raw: unknown): Shape | null {
    const index = eventIndexName(doc);
    if (index === undefined) return null;
    const cats: string[] = [];
    // a nested array (which the engine flattens) makes the per-category term choice unsafe: all terms
    let nested = false;
    for (const c of Array.isArray(raw) ? raw : [raw]) {
      if (typeof c === 'string') cats.push(c);
      else if (Array.isArray(c)) nested = true;
    }
    return this.shape(index, cats, nested);
  }

  /**
   * Whether some active rule may take an event of this kind: `kind` holds only the fields an
   * event's kind fixes (KIND_FIELDS), as kindDocument() in src/normalize/ecs-event.ts makes it.
   * A rule may when its categories and index patterns take the event and some step of its query
   * is not false on what the kind fixes, every other field unknown (coverage.ts,
   * queryMayTakeKind()). False lets the normalizer skip building such events. Remembered per
   * document object.
   */
  wants(kind: Readonly<Record<string, unknown>>): boolean {
    let w = this.wanted.get(kind);
    if (w === undefined) {
      const sh = this.generalShape(kind, eventCategory(kind));
      const constants: Record<string, unknown> = {};
      for (const f of KIND_FIELDS) {
        const v = getField(kind, f);
        if (v !== null && v !== undefined) constants[f] = v;
      }
      const isKindField = (f: string) => KIND_FIELDS.has(f);
      w =
        sh !== null &&
        this.activeIdx.some(
          (i) =>
            sh.eligible[i] === 1 &&
            queryMayTakeKind((this.all[i] as LoadedRule).compiled.statement, constants, isKindField),
        );
      if (this.wanted.size < 1000) this.wanted.set(kind, w);
    }
    return w;
  }

  /** The rules that should see this ECS event, in load order, each once. */
  candidates(doc: Record<string, unknown>): LoadedRule[] {
    const n = this.select(doc);
    if (n === 0) return NO_RULES as LoadedRule[];
    const rules = new Array<LoadedRule>(n);
    for (let k = 0; k < n; k++) rules[k] = this.all[this.selected[k] as number] as LoadedRule;
    return rules;
  }

  /**
   * candidates() without building its array (what the detector calls for each event): the rules'
   * positions in `all`, in load order, each once, are `selected[0]` to `selected[n - 1]` until the
   * next call; returns n.
   */
  select(doc: Record<string, unknown>): number {
    let sh: Shape | null;
    const plain = plainCategory(doc);
    if (plain === SPECIAL_KEYS) sh = this.generalShape(doc, eventCategory(doc));
    else if (plain === DATA_STREAM_ONLY) sh = this.streamShape(doc);
    else {
      const single =
        typeof plain === 'string'
          ? plain
          : Array.isArray(plain) && plain.length === 1 && typeof plain[0] === 'string'
            ? (plain[0] as string)
            : undefined;
      sh = single !== undefined ? this.categoryShape(single) : this.generalShape(doc, plain);
    }
    if (sh === null) return 0;
    const { eligible, always, fields } = sh;
    if (++this.call === 0xffffffff) {
      this.taken.fill(0);
      this.call = 1;
    }
    this.eligible = eligible;
    this.outLength = 0;
    for (let i = 0; i < fields.length; i++) {
      const fi = fields[i] as FieldIndex;
      const v = fi.read(doc);
      if (v === null) continue;
      if (!Array.isArray(v)) {
        this.value(fi, typeof v === 'string' ? v : String(v));
        continue;
      }
      for (let k = 0; k < v.length; k++) {
        const x = v[k];
        if (x !== null && x !== undefined) this.value(fi, typeof x === 'string' ? x : String(x));
      }
    }
    // the filed rules (few) in load order, merged with the rules without a prefilter
    const out = this.out;
    const n = this.outLength;
    for (let k = 1; k < n; k++) {
      const x = out[k] as number;
      let j = k - 1;
      while (j >= 0 && (out[j] as number) > x) {
        out[j + 1] = out[j] as number;
        j--;
      }
      out[j + 1] = x;
    }
    const selected = this.selected;
    const total = always.length + n;
    let a = 0;
    let f = 0;
    for (let k = 0; k < total; k++) {
      const ai = a < always.length ? (always[a] as number) : Number.MAX_SAFE_INTEGER;
      const fi = f < n ? (out[f] as number) : Number.MAX_SAFE_INTEGER;
      if (ai < fi) {
        selected[k] = ai;
        a++;
      } else {
        selected[k] = fi;
        f++;
      }
    }
    return total;
  }
}
