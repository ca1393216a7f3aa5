// Alerts the agent raises about itself: lost kernel events and telemetry gaps (bpftrace down) mean
// the rules were blind for a while, which an attacker can provoke on purpose (an event flood, or
// killing bpftrace), so they are security events and go to the same sinks as detections.
// Shaped like a detection alert (AlertRecord, type 'health') so every sink handles it unchanged.
import { createHash } from 'node:crypto';
import type { AlertRecord, Severity } from '../alerts/alert-record.js';
import { neutralize } from '../alerts/neutralize.js';

export const TELEMETRY_LOSS_RULE = {
  id: 'eqld-telemetry-loss',
  name: 'eqld Telemetry Loss',
  code: 'eqld_telemetry_loss',
} as const;

export type TelemetryLoss =
  | { kind: 'lost'; count: number; fileEvents?: number; fromMs: number; toMs: number }
  /** connect events eqld dropped itself while far behind a flood (collector/shedder.ts) */
  | { kind: 'shed'; count: number; fromMs: number; toMs: number }
  | { kind: 'gap'; fromMs: number; toMs: number; reason: string };

export interface HostFields {
  [key: string]: unknown;
}

const SEVERITY: Severity = 'high';
const RISK_SCORE = 73;

function describe(loss: TelemetryLoss): string {
  const span = `between ${new Date(loss.fromMs).toISOString()} and ${new Date(loss.toMs).toISOString()}`;
  if (loss.kind === 'lost') {
    const files = loss.fileEvents ? ` (${loss.fileEvents} of them file events)` : '';
    return `${loss.count} kernel events lost${files} ${span}; rules did not see them`;
  }
  if (loss.kind === 'shed')
    return `${loss.count} connect events shed by eqld under overload ${span} (loopback first); rules did not see them`;
  return `kernel telemetry stopped ${span} (${neutralize(loss.reason, 200)}); rules were blind`;
}

export function buildTelemetryAlert(loss: TelemetryLoss, host: HostFields, now = new Date()): AlertRecord {
  const summary = `${TELEMETRY_LOSS_RULE.name}: ${describe(loss)}`;
  const id = createHash('sha256')
    .update(`${TELEMETRY_LOSS_RULE.id}\n${loss.kind}\n${loss.fromMs}\n${loss.toMs}`)
    .digest('hex');
  const document: Record<string, unknown> = {
    '@timestamp': now.toISOString(),
    event: { kind: 'alert', category: ['host'], type: ['info'], action: `telemetry_${loss.kind}` },
    message: summary,
    host,
    rule: { id: TELEMETRY_LOSS_RULE.id, uuid: TELEMETRY_LOSS_RULE.id, name: TELEMETRY_LOSS_RULE.name },
    kibana: {
      alert: {
        uuid: id,
        reason: summary,
        severity: SEVERITY,
        risk_score: RISK_SCORE,
        rule: {
          rule_id: TELEMETRY_LOSS_RULE.id,
          uuid: TELEMETRY_LOSS_RULE.id,
          name: TELEMETRY_LOSS_RULE.name,
        },
      },
    },
    eqld: {
      telemetry: {
        kind: loss.kind,
        from: new Date(loss.fromMs).toISOString(),
        to: new Date(loss.toMs).toISOString(),
        ...(loss.kind === 'lost'
          ? { lost_events: loss.count, ...(loss.fileEvents ? { lost_file_events: loss.fileEvents } : {}) }
          : loss.kind === 'shed'
            ? { shed_events: loss.count }
            : { reason: loss.reason }),
      },
    },
  };
  return {
    id,
    type: 'health',
    timestamp: now.toISOString(),
    rule: {
      id: TELEMETRY_LOSS_RULE.id,
      uuid: TELEMETRY_LOSS_RULE.id,
      name: TELEMETRY_LOSS_RULE.name,
      severity: SEVERITY,
      riskScore: RISK_SCORE,
      code: TELEMETRY_LOSS_RULE.code,
      buildingBlock: false,
    },
    summary,
    entityIds: [],
    document,
  };
}
