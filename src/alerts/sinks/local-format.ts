// Formats an AlertRecord the way glibc's syslog(3) writes to /dev/log:
//   <PRI>Mmm dd hh:mm:ss eqld[PID]: alert_id=... rule_id=... ... msg="summary"
// That is what journald and rsyslog's default local parser (imuxsock, then pmrfc3164) read on the
// local socket; neither parses RFC 5424 there. The timestamp is local time like syslog(3)'s; the
// daemons replace it with the reception time by default anyway. The message body is logfmt-style
// key=value facts (docs/syslog.md): bare values when they hold only [A-Za-z0-9_.:@/+-], otherwise
// double-quoted with `"` and `\` backslash-escaped; unsafe code points become `\xNN`/`\u{NNNN}`.
// Capped at `maxBytes` (default 8000 bytes) by shortening the summary, with a marker. Pure.
import type { AlertRecord } from '../alert-record.js';
import { escapeText, fitText } from './escape.js';
import { DEFAULT_MAX_BYTES, fitCount, MSG_RESERVE, TRUNCATION_MARKER } from './rfc5424.js';
import { priority, syslogSeverity } from './syslog-codes.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const BARE = /^[A-Za-z0-9_.:@/+-]+$/;

export interface LocalFormatOptions {
  facility: number;
  pid: number;
  tag?: string;
  maxBytes?: number;
}

/** `Mmm dd hh:mm:ss` in local time, day space-padded (strftime `%h %e %T`, as glibc writes it). */
export function rfc3164Time(d: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${MONTHS[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}

function quoteTokens(value: string): string[] {
  const tokens: string[] = [];
  for (const cp of value) {
    if (cp === '"' || cp === '\\') tokens.push(`\\${cp}`);
    else tokens.push(escapeText(cp));
  }
  return tokens;
}

const NEEDS_QUOTE_ESCAPE =
  /["\\\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/;

/** the inside of a quoted logfmt value */
function quoteText(value: string): string {
  return NEEDS_QUOTE_ESCAPE.test(value) ? quoteTokens(value).join('') : value;
}

/** logfmt value: bare when safe, else quoted and escaped */
export function logfmtValue(value: string | number): string {
  const s = String(value);
  return BARE.test(s) ? s : `"${quoteText(s)}"`;
}

export function formatLocal(alert: AlertRecord, opts: LocalFormatOptions): string {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const pri = priority(opts.facility, syslogSeverity(alert));
  const t = Date.parse(alert.timestamp);
  const when = rfc3164Time(Number.isNaN(t) ? new Date(0) : new Date(t));
  const facts: [string, string | number | undefined][] = [
    ['type', alert.type],
    ['alert_id', alert.id],
    ['rule_id', alert.rule.id],
    ['rule_code', alert.rule.code],
    ['severity', alert.rule.severity],
    ['risk_score', alert.rule.riskScore],
    ['suppressed_count', alert.suppressedCount],
  ];
  const kv = facts
    .filter(([, v]) => v !== undefined && v !== '')
    .map(([k, v]) => `${k}=${logfmtValue(v as string | number)}`)
    .join(' ');
  const prefix = `<${pri}>${when} ${opts.tag ?? 'eqld'}[${opts.pid}]: ${kv}`;
  // entity ids that would eat into the space kept for the summary are dropped and counted
  const ids = alert.entityIds;
  const idBudget = maxBytes - MSG_RESERVE - Buffer.byteLength(prefix) - 64;
  const kept = fitCount(ids, idBudget, (id) => Buffer.byteLength(logfmtValue(id)) + 1);
  let idsKv = kept > 0 ? ` entity_ids=${logfmtValue(ids.slice(0, kept).join(','))}` : '';
  if (kept < ids.length) idsKv += ` entity_ids_omitted=${ids.length - kept}`;
  const head = `${prefix}${idsKv} msg="`;
  const budget = maxBytes - Buffer.byteLength(head) - 1;
  const msg = fitText(alert.summary, budget, quoteTokens, quoteText);
  if (!msg.cut) return `${head}${msg.text}"`;
  const cut = fitText(alert.summary, Math.max(0, budget - TRUNCATION_MARKER.length), quoteTokens, quoteText);
  return `${head}${cut.text}${TRUNCATION_MARKER}"`;
}
