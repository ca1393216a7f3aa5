// The ancestry an alert carries so that the process tree behind it can be drawn without the
// events that are gone by then (`eqld alerts show`): Elastic Defend's process.Ext.ancestry (the
// acting process's ancestors' entity ids, nearest first: "[0] of the array contains the direct
// parent", at most 20 — Kibana resolver docs, x-pack/plugins/security_solution/server/endpoint/
// routes/resolver/docs/README.md; endpoint-package custom_schemas/custom_process.yml), and
// eqld.lineage, eqld's own block with what Defend keeps in its process events instead: each
// ancestor's pid, executable, command line, user and start, from the normalizer's process table
// at the moment the alert is raised. Pure: the table is read through the lookup it is given.
import { getField } from '../rules/field.js';

type Doc = Record<string, unknown>;

/** ancestors of a process (by entity id), nearest first, as process.parent-shaped blocks */
export type AncestryLookup = (entityId: string) => readonly Doc[];

export interface Lineage {
  /** process.Ext.ancestry of the acting process (the last matched event's) */
  ancestry: string[];
  /** eqld.lineage: the ancestors of every matched process up to its entry leader, once each */
  lineage: Doc[];
}

/** Defend's cap on process.Ext.ancestry (the resolver docs: "limited to 20 values") */
export const ANCESTRY_MAX = 20;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

export function buildLineage(events: readonly Doc[], lookup: AncestryLookup): Lineage {
  const lineage: Doc[] = [];
  const listed = new Set<string>();
  const done = new Set<string>();
  let ancestry: string[] = [];
  const last = events[events.length - 1];
  for (const doc of events) {
    const id = str(getField(doc, 'process.entity_id'));
    if (id === undefined || done.has(id)) continue;
    done.add(id);
    const chain = lookup(id).slice(0, ANCESTRY_MAX);
    if (doc === last || str(getField(last ?? {}, 'process.entity_id')) === id) {
      ancestry = chain.map((a) => str(a.entity_id)).filter((x): x is string => x !== undefined);
    }
    // the tree starts at the entry leader: ancestors above it are in process.Ext.ancestry only
    const entryLeader = str(getField(doc, 'process.entry_leader.entity_id'));
    if (entryLeader === id) continue;
    for (let i = 0; i < chain.length; i++) {
      const a = chain[i] as Doc;
      const aid = str(a.entity_id);
      if (aid === undefined || listed.has(aid)) break;
      listed.add(aid);
      const up = str(chain[i + 1]?.entity_id);
      lineage.push(up === undefined ? { ...a } : { ...a, parent: { entity_id: up } });
      if (aid === entryLeader) break;
    }
  }
  return { ancestry, lineage };
}
