// The follow-up record for alerts held back by duplicate suppression or the per-rule rate cap:
// `type: 'suppressed'` with the count, so nothing is dropped silently. Its id derives from the
// alert that opened the window, so a re-sent follow-up keeps its id. Fields follow Kibana's
// alert suppression (kibana.alert.suppression.{terms,start,end,docs_count}).
import { createHash } from 'node:crypto';
import type { Rule } from '../rules/rule.js';
import { ruleCode } from './alert-document.js';
import type { AlertRecord } from './alert-record.js';
import { neutralize } from './neutralize.js';
import type { SuppressionWindow } from './tuning/suppression.js';

export type SuppressionReason = 'duplicate' | 'rate_cap';

export function buildSuppressedRecord(
  rule: Rule,
  w: SuppressionWindow,
  reason: SuppressionReason,
  now = new Date(),
): AlertRecord {
  const id = createHash('sha256').update(`${w.firstAlertId}\n${reason}\n${w.startMs}`).digest('hex');
  const what = reason === 'duplicate' ? 'duplicate alerts' : 'alerts over the rate cap';
  const terms = w.terms.map((t) => `${t.field}=${neutralize(t.value, 120)}`).join(' ');
  const summary = `${neutralize(rule.name, 200)}: suppressed ${w.count} ${what} between ${new Date(w.startMs).toISOString()} and ${new Date(w.lastSeenMs).toISOString()}${terms ? ` (${terms})` : ''}`;
  const document: Record<string, unknown> = {
    '@timestamp': now.toISOString(),
    event: { kind: 'alert', type: ['info'] },
    message: summary,
    rule: {
      id: rule.ruleId,
      uuid: rule.ruleId,
      name: rule.name,
      version: rule.version === undefined ? undefined : String(rule.version),
    },
    kibana: {
      alert: {
        reason: summary,
        severity: rule.severity,
        risk_score: rule.riskScore,
        rule: { rule_id: rule.ruleId, uuid: rule.ruleId, name: rule.name },
        suppression: {
          terms: w.terms,
          start: new Date(w.startMs).toISOString(),
          end: new Date(w.lastSeenMs).toISOString(),
          docs_count: w.count,
        },
      },
    },
    eqld: { suppression: { reason, first_alert_id: w.firstAlertId } },
  };
  return {
    id,
    type: 'suppressed',
    timestamp: now.toISOString(),
    rule: {
      id: rule.ruleId,
      uuid: rule.ruleId,
      name: rule.name,
      severity: rule.severity,
      riskScore: rule.riskScore,
      code: ruleCode(rule),
      buildingBlock: rule.buildingBlockType !== undefined,
    },
    summary,
    entityIds: [],
    suppressedCount: w.count,
    document: JSON.parse(JSON.stringify(document)) as Record<string, unknown>,
  };
}
