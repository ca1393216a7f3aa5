// Builds the ECS alert document and the AlertRecord every sink receives, from a rule and the
// ordered events of one match. Field names follow Kibana's security alert documents where a
// counterpart exists (kibana.alert.*, kibana.alert.rule.*; buildAlertFields in
// x-pack/.../detection_engine/rule_types/factories/utils/build_alert.ts) and ECS rule.* / threat.*
// otherwise; docs/alerts.md has the mapping. It does not decide whether an alert is sent (tuning).
import { getField } from '../rules/field.js';
import { eventIndexName } from '../rules/index-pattern.js';
import type { Rule, RuleThreat } from '../rules/rule.js';
import { alertId, eventIdentity } from './alert-id.js';
import type { AlertRecord } from './alert-record.js';
import { type AncestryLookup, buildLineage } from './lineage.js';
import { summarize } from './summary.js';

type Doc = Record<string, unknown>;

export interface AlertInput {
  rule: Rule;
  /** matched events, in stage order */
  events: readonly Doc[];
  /** for a sequence with missing-event stages `![...]`: every stage in order, null for a missing
   *  one; eqld.matched_events then lists {"missing": true} in its place, as the EQL search API's
   *  hits.sequences[].events[] does */
  stages?: readonly (Doc | null)[];
  joinKeys?: readonly unknown[];
  /** when the alert is raised (default: now) */
  now?: Date;
  /** the live process table's ancestry (the agent); without it (replay) the alert carries only
   *  the parent and leader blocks of its events */
  ancestry?: AncestryLookup;
}

/** Short MSGID-safe code for the rule (<= 32 printable ASCII): the file's base name, or for a
 *  rule of a Kibana export (many rules in one file) its name in lower case. */
export function ruleCode(rule: Rule): string {
  const base =
    rule.line === undefined
      ? rule.path.slice(rule.path.lastIndexOf('/') + 1).replace(/\.toml$/, '')
      : rule.name.toLowerCase().replace(/[^a-z0-9_.-]+/g, '_');
  const code = base.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 32);
  return code.length > 0 ? code : rule.ruleId.slice(0, 32);
}

/** ECS threat.* as flat parallel arrays (ECS threat field set). */
function ecsThreat(threat: readonly RuleThreat[]): Doc | undefined {
  if (threat.length === 0) return undefined;
  const techniques = threat.flatMap((t) => t.technique);
  const subs = techniques.flatMap((t) => t.subtechnique);
  return {
    framework: threat[0]?.framework,
    tactic: {
      id: threat.map((t) => t.tactic.id),
      name: threat.map((t) => t.tactic.name),
      reference: threat.map((t) => t.tactic.reference ?? ''),
    },
    technique: {
      id: techniques.map((t) => t.id),
      name: techniques.map((t) => t.name),
      reference: techniques.map((t) => t.reference ?? ''),
      subtechnique: {
        id: subs.map((t) => t.id),
        name: subs.map((t) => t.name),
        reference: subs.map((t) => t.reference ?? ''),
      },
    },
  };
}

/** the acting process with Defend's process.Ext.ancestry added (the event's block is shared) */
function withAncestry(process: unknown, ancestry: readonly string[] | undefined): unknown {
  if (ancestry === undefined || ancestry.length === 0 || typeof process !== 'object' || process === null)
    return process;
  const p = process as Doc;
  return { ...p, Ext: { ...(p.Ext as Doc | undefined), ancestry } };
}

function eventTime(doc: Doc): string | undefined {
  const t = getField(doc, '@timestamp');
  return typeof t === 'string' ? t : typeof t === 'number' ? new Date(t).toISOString() : undefined;
}

export function buildAlert(input: AlertInput): AlertRecord {
  const { rule, events } = input;
  const last = events[events.length - 1] ?? {};
  const id = alertId(rule.ruleId, events);
  const summary = summarize(rule.name, events);
  const version = rule.version === undefined ? undefined : String(rule.version);
  const buildingBlock = rule.buildingBlockType !== undefined;
  const lineage = input.ancestry ? buildLineage(events, input.ancestry) : undefined;
  const entityIds = events.map((e) => {
    const v = getField(e, 'process.entity_id');
    return typeof v === 'string' ? v : '';
  });

  const document: Doc = {
    '@timestamp': (input.now ?? new Date()).toISOString(),
    event: { kind: 'alert', category: getField(last, 'event.category'), type: getField(last, 'event.type') },
    message: summary,
    rule: {
      id: rule.ruleId,
      uuid: rule.ruleId,
      name: rule.name,
      description: rule.description,
      reference: rule.references[0],
      version,
      author: rule.author,
      license: rule.license,
      ruleset: 'elastic/detection-rules',
    },
    threat: ecsThreat(rule.threat),
    host: getField(last, 'host'),
    process: withAncestry(getField(last, 'process'), lineage?.ancestry),
    user: getField(last, 'user'),
    // a file event's file.* (path, name, extension, the old name of a rename): what the rule matched
    file: getField(last, 'file'),
    kibana: {
      alert: {
        uuid: id,
        original_time: eventTime(last),
        reason: summary,
        severity: rule.severity,
        risk_score: rule.riskScore,
        building_block_type: rule.buildingBlockType,
        status: 'active',
        workflow_status: 'open',
        depth: 1,
        ancestors: events.map((e) => ({
          id: eventIdentity(e),
          type: 'event',
          index: eventIndexName(e),
          depth: 0,
        })),
        original_event: {
          action: getField(last, 'event.action'),
          category: getField(last, 'event.category'),
        },
        rule: {
          rule_id: rule.ruleId,
          uuid: rule.ruleId,
          name: rule.name,
          description: rule.description,
          type: rule.type,
          version,
          severity: rule.severity,
          risk_score: rule.riskScore,
          tags: rule.tags,
          threat: rule.threat,
          references: rule.references,
          author: rule.author,
          license: rule.license,
          indices: rule.index,
          from: rule.extra.from,
          interval: rule.extra.interval,
          building_block_type: rule.buildingBlockType,
          parameters: { language: rule.language, query: rule.query, index: rule.index },
        },
      },
    },
    eqld: {
      matched_events: input.stages ? input.stages.map((d) => d ?? { missing: true }) : events,
      join_keys: input.joinKeys ?? [],
      rule_path: rule.path,
      ...(lineage && lineage.lineage.length > 0 ? { lineage: lineage.lineage } : {}),
    },
  };

  return {
    id,
    type: 'alert',
    timestamp: document['@timestamp'] as string,
    rule: {
      id: rule.ruleId,
      uuid: rule.ruleId,
      name: rule.name,
      severity: rule.severity,
      riskScore: rule.riskScore,
      code: ruleCode(rule),
      buildingBlock,
    },
    summary,
    entityIds,
    document: JSON.parse(JSON.stringify(document)) as Doc,
  };
}
