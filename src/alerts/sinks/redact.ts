// Optional redaction of command lines before any sink (or the spool) sees a record: each pattern
// (a JavaScript regular expression source, matched globally) is replaced with `[REDACTED]` in the
// summary and in every `command_line` string and `args` string array of the ECS document (the
// acting process, its parent, and each matched event). It does not touch other fields.
import type { AlertRecord } from '../alert-record.js';
import { SyslogConfigError } from './syslog-codes.js';

export const REDACTED = '[REDACTED]';
export type Redactor = (alert: AlertRecord) => AlertRecord;

export function compileRedactions(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => {
    try {
      return new RegExp(p, 'gu');
    } catch (err) {
      throw new SyslogConfigError(
        `Expected \`redact\` patterns to be regular expressions, got \`${p}\`: ${(err as Error).message}`,
      );
    }
  });
}

function redactString(s: string, res: readonly RegExp[]): string {
  let out = s;
  for (const re of res) out = out.replace(re, REDACTED);
  return out;
}

function walk(value: unknown, res: readonly RegExp[]): unknown {
  if (Array.isArray(value)) return value.map((v) => walk(v, res));
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (k === 'command_line' && typeof v === 'string') out[k] = redactString(v, res);
    else if (k === 'args' && Array.isArray(v))
      out[k] = v.map((a) => (typeof a === 'string' ? redactString(a, res) : a));
    else out[k] = walk(v, res);
  }
  return out;
}

export function createRedactor(patterns: readonly string[]): Redactor {
  const res = compileRedactions(patterns);
  if (res.length === 0) return (a) => a;
  return (alert) => ({
    ...alert,
    summary: redactString(alert.summary, res),
    document: walk(alert.document, res) as Record<string, unknown>,
  });
}
