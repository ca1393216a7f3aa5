// The stable alert id: SHA-256 over the rule id and the ids of the matched events in order, so the
// same detection re-sent (after a reconnect, from the spool, or found again by a replay) carries
// the same id. Kibana likewise derives kibana.alert.uuid from a hash of the source events and rule
// (x-pack/.../detection_engine/rule_types/factories/utils/build_alert.ts).
import { createHash } from 'node:crypto';
import { getField } from '../rules/field.js';

/** event.id when the source gave one, else a hash of the event's JSON (stable for the same document) */
export function eventIdentity(doc: Record<string, unknown>): string {
  const id = getField(doc, 'event.id');
  if (typeof id === 'string' && id.length > 0) return id;
  return createHash('sha256').update(JSON.stringify(doc)).digest('hex');
}

export function alertId(ruleId: string, docs: readonly Record<string, unknown>[]): string {
  const h = createHash('sha256').update(ruleId);
  for (const d of docs) h.update('\n').update(eventIdentity(d));
  return h.digest('hex');
}
