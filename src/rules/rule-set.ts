// The active rules, indexed by event category so an event is offered only to the rules that can
// use it (a process event never reaches a network-only rule), then filtered by the rule's index
// patterns (see index-pattern.ts). Inactive rules are kept for reporting but never offered events.
import { getField } from './field.js';
import { eventIndexName, ruleSeesIndex } from './index-pattern.js';
import type { LoadedRule } from './load-rules.js';

export class RuleSet {
  readonly all: readonly LoadedRule[];
  private readonly byCategory = new Map<string, LoadedRule[]>();
  private readonly anyCategory: LoadedRule[] = [];
  /** per index name: which rules see it (index patterns are fixed for a RuleSet) */
  private readonly indexCache = new Map<string, Set<LoadedRule>>();
  private readonly order = new Map<LoadedRule, number>();

  constructor(rules: readonly LoadedRule[]) {
    this.all = rules;
    for (const [i, r] of rules.entries()) this.order.set(r, i);
    for (const r of rules) {
      if (r.inactiveNeeds.length > 0) continue;
      const cats = r.compiled.categories;
      if (cats === 'any') {
        this.anyCategory.push(r);
        continue;
      }
      for (const c of cats) {
        const list = this.byCategory.get(c) ?? [];
        list.push(r);
        this.byCategory.set(c, list);
      }
    }
  }

  get active(): LoadedRule[] {
    return this.all.filter((r) => r.inactiveNeeds.length === 0);
  }

  private seers(indexName: string): Set<LoadedRule> {
    let s = this.indexCache.get(indexName);
    if (!s) {
      s = new Set(this.all.filter((r) => ruleSeesIndex(r.rule.index, indexName)));
      if (this.indexCache.size < 1000) this.indexCache.set(indexName, s);
    }
    return s;
  }

  /** The rules that should see this ECS event, in load order, each once. */
  candidates(doc: Record<string, unknown>): LoadedRule[] {
    const index = eventIndexName(doc);
    if (index === undefined) return [];
    const seers = this.seers(index);
    const raw = getField(doc, 'event.category');
    const cats = Array.isArray(raw) ? raw : [raw];
    const out = new Set<LoadedRule>();
    for (const c of cats) {
      if (typeof c !== 'string') continue;
      for (const r of this.byCategory.get(c) ?? []) if (seers.has(r)) out.add(r);
    }
    for (const r of this.anyCategory) if (seers.has(r)) out.add(r);
    return out.size <= 1
      ? [...out]
      : [...out].sort((a, b) => (this.order.get(a) ?? 0) - (this.order.get(b) ?? 0));
  }
}
