// The filters of `eqld alerts`: --since (a time, or a duration back from now) and --rule (a
// rule_id, or words of the rule's name). Parsing fails with a message saying what was expected;
// the CLI turns it into a usage error. Pure: `now` is passed in.
import type { AlertView } from './alert-view.js';

export interface AlertFilter {
  /** alerts raised at or after this time (ms since the epoch) */
  sinceMs?: number;
  /** each matches a rule_id exactly or a part of the rule name (any case); any one suffices */
  rules?: readonly string[];
}

export class AlertFilterError extends Error {
  override readonly name = 'AlertFilterError';
}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** `15m`, `2h`, `7d`, `90s`, `1w` back from `nowMs`, or an ISO 8601 date or date-time. */
export function parseSince(text: string, nowMs: number): number {
  const rel = /^(\d{1,9})([smhdw])$/.exec(text.trim());
  if (rel) return nowMs - Number(rel[1]) * (UNIT_MS[rel[2] as string] as number);
  // a date alone, or a date-time with an explicit zone: never the local zone by accident
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/.test(text.trim())) {
    const ms = Date.parse(text.trim());
    if (Number.isFinite(ms)) return ms;
  }
  throw new AlertFilterError(
    `Expected --since to be a duration like 15m, 2h or 7d, or a time like 2026-11-24 or 2026-11-24T12:00:00Z, got \`${text}\``,
  );
}

export function matches(view: AlertView, filter: AlertFilter): boolean {
  if (filter.sinceMs !== undefined && (view.timeMs === undefined || view.timeMs < filter.sinceMs))
    return false;
  const rules = filter.rules ?? [];
  if (rules.length === 0) return true;
  const name = (view.ruleName ?? '').toLowerCase();
  return rules.some((r) => r === view.ruleId || (r !== '' && name.includes(r.toLowerCase())));
}
