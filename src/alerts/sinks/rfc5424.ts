// Formats an AlertRecord as one RFC 5424 syslog message for remote collectors (UDP, TCP, TLS):
//   <PRI>1 TIMESTAMP HOSTNAME eqld PROCID MSGID [eqld@32473 ...] MSG
// MSGID is the rule's short code (section 6.2.7: at most 32 PRINTUSASCII). STRUCTURED-DATA sits
// under the SD-ID `eqld@32473`; 32473 is the Private Enterprise Number IANA reserves for
// documentation (RFC 5612), so a site that needs its own registered number sets `sdId`. MSG is
// the one-line summary without a BOM (MSG-ANY), escaped; the whole record is capped at
// `maxBytes` (default 8000 bytes, under rsyslog's 8 KiB limit) with a truncation marker. The
// full JSON alert belongs in the file sink. Pure: no clock, no I/O.
import type { AlertRecord } from '../alert-record.js';
import { escapeParamValue, escapeText, fitText, printAscii, textTokens } from './escape.js';
import { priority, syslogSeverity } from './syslog-codes.js';

export const DEFAULT_SD_ID = 'eqld@32473';
/** rsyslog's default maxMessageSize is 8 KiB, but imtcp keeps only 8096 bytes of a frame and parses
 *  the rest as a NEW message (measured on 8.2302); 8000 leaves a margin under every rsyslog input. */
export const DEFAULT_MAX_BYTES = 8000;
export const TRUNCATION_MARKER = '...[truncated]';
/** bytes kept for MSG when entity ids compete for space */
export const MSG_RESERVE = 1024;
/** longest PARAM-VALUE kept for an entity id (entity ids are base64 hashes, far shorter) */
const MAX_PARAM_CHARS = 256;

export interface Rfc5424Options {
  facility: number;
  hostname: string;
  pid: number;
  appName?: string;
  sdId?: string;
  maxBytes?: number;
}

/** How many leading items fit in `budget` bytes, each costing `size(item)`. */
export function fitCount<T>(items: readonly T[], budget: number, size: (item: T) => number): number {
  let used = 0;
  for (let i = 0; i < items.length; i++) {
    used += size(items[i] as T);
    if (used > budget) return i;
  }
  return items.length;
}

function param(name: string, value: string | number): string {
  const v = escapeParamValue(String(value).slice(0, MAX_PARAM_CHARS));
  return ` ${name}="${v}"`;
}

/** RFC 3339 timestamp (section 6.2.3): the record's own, which is already ISO-8601 UTC. */
function timestamp(iso: string): string {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? '-' : new Date(t).toISOString();
}

export function formatRfc5424(alert: AlertRecord, opts: Rfc5424Options): string {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const pri = priority(opts.facility, syslogSeverity(alert));
  const header =
    `<${pri}>1 ${timestamp(alert.timestamp)} ${printAscii(opts.hostname, 255)} ` +
    `${printAscii(opts.appName ?? 'eqld', 48)} ${printAscii(String(opts.pid), 128)} ` +
    `${printAscii(alert.rule.code, 32)}`;

  const fixed =
    `[${opts.sdId ?? DEFAULT_SD_ID}` +
    param('alertId', alert.id) +
    param('type', alert.type) +
    param('ruleId', alert.rule.id) +
    param('severity', alert.rule.severity) +
    param('riskScore', alert.rule.riskScore) +
    (alert.suppressedCount === undefined ? '' : param('suppressedCount', alert.suppressedCount));

  // entity ids are repeated PARAM-NAMEs (section 6.3.3 allows repetition); those that would eat
  // into the space kept for the message are dropped and counted, never cut in the middle
  const idBudget =
    maxBytes - MSG_RESERVE - Buffer.byteLength(`${header} ${fixed} entityIdsOmitted="00000"] `);
  const kept = fitCount(alert.entityIds, idBudget, (id) => Buffer.byteLength(param('entityId', id)));
  let sd =
    fixed +
    alert.entityIds
      .slice(0, kept)
      .map((id) => param('entityId', id))
      .join('');
  if (kept < alert.entityIds.length) sd += param('entityIdsOmitted', alert.entityIds.length - kept);
  sd += ']';

  const head = `${header} ${sd} `;
  const budget = maxBytes - Buffer.byteLength(head);
  const msg = fitText(alert.summary, budget, textTokens, escapeText);
  if (!msg.cut) return head + msg.text;
  const cut = fitText(alert.summary, Math.max(0, budget - TRUNCATION_MARKER.length), textTokens, escapeText);
  return head + cut.text + TRUNCATION_MARKER;
}
