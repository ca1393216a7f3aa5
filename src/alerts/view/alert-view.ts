// What `eqld alerts` lists about one alert document from the alerts file: id, time, rule,
// severity, host, the acting process and the destination (the network peer, or the file path of
// a file event). Detections, suppression follow-ups and eqld's own health alerts all have a row.
// Values are returned raw; the table neutralizes them when it prints. Pure.
import { getField } from '../../rules/field.js';

type Doc = Record<string, unknown>;

export type AlertKind = 'alert' | 'suppressed' | 'health';

export interface AlertView {
  /** kibana.alert.uuid; follow-up records have none */
  id: string | undefined;
  kind: AlertKind;
  /** @timestamp: when eqld raised it */
  time: string | undefined;
  timeMs: number | undefined;
  ruleId: string | undefined;
  ruleName: string | undefined;
  severity: string | undefined;
  riskScore: number | undefined;
  host: string | undefined;
  /** executable (or name) and pid of the acting process */
  process: { executable: string | undefined; pid: number | undefined } | undefined;
  destination: string | undefined;
  /** a follow-up record's count of held-back alerts */
  suppressedCount: number | undefined;
  doc: Doc;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

function isCategory(doc: Doc, cat: string): boolean {
  const c = getField(doc, 'event.category');
  return Array.isArray(c) ? c.includes(cat) : c === cat;
}

/** `ip:port` of a network event (IPv6 bracketed), or the path of a file event */
export function destinationOf(doc: Doc): string | undefined {
  if (isCategory(doc, 'network')) {
    const ip = str(getField(doc, 'destination.ip')) ?? str(getField(doc, 'destination.address'));
    if (ip === undefined) return undefined;
    const port = getField(doc, 'destination.port');
    const host = ip.includes(':') ? `[${ip}]` : ip;
    return port === undefined || port === null ? host : `${host}:${String(port)}`;
  }
  if (isCategory(doc, 'file')) return str(getField(doc, 'file.path'));
  return undefined;
}

/** the matched events of a detection, placeholders for missing-event stages included */
export function matchedEvents(doc: Doc): Doc[] {
  const m = getField(doc, 'eqld.matched_events');
  return Array.isArray(m) ? m.filter((e): e is Doc => typeof e === 'object' && e !== null) : [];
}

function kindOf(doc: Doc): AlertKind {
  if (getField(doc, 'kibana.alert.suppression') !== undefined) return 'suppressed';
  if (getField(doc, 'eqld.telemetry') !== undefined) return 'health';
  return 'alert';
}

/** The row of an alert document, or undefined when the object is not an eqld alert. */
export function viewOf(doc: Doc): AlertView | undefined {
  if (getField(doc, 'kibana.alert') === undefined) return undefined;
  const time = str(getField(doc, '@timestamp'));
  const timeMs = time === undefined ? undefined : Date.parse(time);
  const kind = kindOf(doc);
  const events = matchedEvents(doc);
  let destination: string | undefined;
  for (let i = events.length - 1; i >= 0 && destination === undefined; i--) {
    const e = events[i] as Doc;
    if (e.missing !== true) destination = destinationOf(e);
  }
  const executable = str(getField(doc, 'process.executable')) ?? str(getField(doc, 'process.name'));
  const pid = num(getField(doc, 'process.pid'));
  return {
    id: str(getField(doc, 'kibana.alert.uuid')),
    kind,
    time,
    timeMs: timeMs !== undefined && Number.isFinite(timeMs) ? timeMs : undefined,
    ruleId: str(getField(doc, 'kibana.alert.rule.rule_id')) ?? str(getField(doc, 'rule.id')),
    ruleName: str(getField(doc, 'kibana.alert.rule.name')) ?? str(getField(doc, 'rule.name')),
    severity: str(getField(doc, 'kibana.alert.severity')),
    riskScore: num(getField(doc, 'kibana.alert.risk_score')),
    host: str(getField(doc, 'host.name')) ?? str(getField(doc, 'host.hostname')),
    process: executable === undefined && pid === undefined ? undefined : { executable, pid },
    destination,
    suppressedCount: num(getField(doc, 'kibana.alert.suppression.docs_count')),
    doc,
  };
}
