// Tuning configuration, normalized once at start-up into plain typed objects: per-rule enable /
// disable, Kibana-style exception items, duplicate suppression and a rate cap, and whether
// building-block alerts go to syslog. normalizeTuning() checks untrusted input (a JSON config
// file) and says which key was wrong; it never reads files itself.
import { type ExceptionItem, normalizeExceptionItem } from './exceptions.js';
import { TuningConfigError } from './tuning-error.js';

export { TuningConfigError };

export interface SuppressionConfig {
  /** window length in ms; 0 disables suppression */
  windowMs: number;
  /** fields of the last matched event naming the entity (default process.entity_id) */
  fields: string[];
}

export interface RateCapConfig {
  /** token bucket size: alerts that may go out at once */
  burst: number;
  /** tokens added per minute of event time */
  perMinute: number;
}

export interface RuleTuning {
  enabled: boolean;
  exceptions: ExceptionItem[];
  suppression: SuppressionConfig;
  rateCap: RateCapConfig;
}

export interface TuningConfig {
  /** building-block alerts are evaluated; this decides whether syslog sinks get them */
  sendBuildingBlocksToSyslog: boolean;
  defaults: { suppression: SuppressionConfig; rateCap: RateCapConfig };
  rules: ReadonlyMap<string, Partial<RuleTuning>>;
}

export const DEFAULT_TUNING: TuningConfig = {
  sendBuildingBlocksToSyslog: false,
  defaults: {
    suppression: { windowMs: 5 * 60_000, fields: ['process.entity_id'] },
    rateCap: { burst: 20, perMinute: 60 },
  },
  rules: new Map(),
};

/** The effective tuning for one rule: its own settings over the defaults. A rule exported from
 *  Kibana with `enabled: false` stays off unless the tuning file enables it. */
export function tuningFor(
  cfg: TuningConfig,
  ruleId: string,
  rule?: { enabled?: boolean | undefined },
): RuleTuning {
  const own = cfg.rules.get(ruleId) ?? {};
  return {
    enabled: own.enabled ?? rule?.enabled ?? true,
    exceptions: own.exceptions ?? [],
    suppression: own.suppression ?? cfg.defaults.suppression,
    rateCap: own.rateCap ?? cfg.defaults.rateCap,
  };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown, where: string, min: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw new TuningConfigError(
      `Expected \`${where}\` to be a number >= ${min}, got \`${JSON.stringify(v)}\``,
    );
  }
  return v;
}

function suppression(v: unknown, where: string, base: SuppressionConfig): SuppressionConfig {
  if (!isObj(v)) throw new TuningConfigError(`Expected \`${where}\` to be an object`);
  const fields = v.fields ?? base.fields;
  if (!Array.isArray(fields) || fields.length === 0 || !fields.every((f) => typeof f === 'string')) {
    throw new TuningConfigError(`Expected \`${where}.fields\` to be a non-empty array of field names`);
  }
  return {
    windowMs: v.windowMs === undefined ? base.windowMs : num(v.windowMs, `${where}.windowMs`, 0),
    fields,
  };
}

function rateCap(v: unknown, where: string, base: RateCapConfig): RateCapConfig {
  if (!isObj(v)) throw new TuningConfigError(`Expected \`${where}\` to be an object`);
  return {
    burst: v.burst === undefined ? base.burst : num(v.burst, `${where}.burst`, 1),
    perMinute: v.perMinute === undefined ? base.perMinute : num(v.perMinute, `${where}.perMinute`, 0),
  };
}

/** Validates a parsed config object (`{ sendBuildingBlocksToSyslog?, defaults?, rules?: {<rule_id>: ...} }`). */
export function normalizeTuning(raw: unknown): TuningConfig {
  if (raw === undefined || raw === null) return DEFAULT_TUNING;
  if (!isObj(raw)) throw new TuningConfigError('Expected the tuning config to be an object');
  const d = isObj(raw.defaults) ? raw.defaults : {};
  const defaults = {
    suppression:
      d.suppression === undefined
        ? DEFAULT_TUNING.defaults.suppression
        : suppression(d.suppression, 'defaults.suppression', DEFAULT_TUNING.defaults.suppression),
    rateCap:
      d.rateCap === undefined
        ? DEFAULT_TUNING.defaults.rateCap
        : rateCap(d.rateCap, 'defaults.rateCap', DEFAULT_TUNING.defaults.rateCap),
  };
  const rules = new Map<string, Partial<RuleTuning>>();
  const rawRules = raw.rules ?? {};
  if (!isObj(rawRules)) throw new TuningConfigError('Expected `rules` to be an object keyed by rule_id');
  for (const [ruleId, r] of Object.entries(rawRules)) {
    const where = `rules.${ruleId}`;
    if (!isObj(r)) throw new TuningConfigError(`Expected \`${where}\` to be an object`);
    const t: Partial<RuleTuning> = {};
    if (r.enabled !== undefined) {
      if (typeof r.enabled !== 'boolean')
        throw new TuningConfigError(
          `Expected \`${where}.enabled\` to be true or false, got \`${JSON.stringify(r.enabled)}\``,
        );
      t.enabled = r.enabled;
    }
    if (r.exceptions !== undefined) {
      if (!Array.isArray(r.exceptions))
        throw new TuningConfigError(`Expected \`${where}.exceptions\` to be an array of exception items`);
      t.exceptions = r.exceptions.map((item, i) => normalizeExceptionItem(item, `${where}.exceptions[${i}]`));
    }
    if (r.suppression !== undefined)
      t.suppression = suppression(r.suppression, `${where}.suppression`, defaults.suppression);
    if (r.rateCap !== undefined) t.rateCap = rateCap(r.rateCap, `${where}.rateCap`, defaults.rateCap);
    rules.set(ruleId, t);
  }
  const sb = raw.sendBuildingBlocksToSyslog ?? false;
  if (typeof sb !== 'boolean')
    throw new TuningConfigError('Expected `sendBuildingBlocksToSyslog` to be true or false');
  return { sendBuildingBlocksToSyslog: sb, defaults, rules };
}
