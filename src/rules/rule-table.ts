// Maps one rule's fields to a Rule: the `[rule]` table of a detection-rules TOML file and a rule
// object of a Kibana export hold the same fields (Kibana's rule API schema, elastic/kibana
// x-pack/solutions/security/plugins/security_solution/common/api/detection_engine/model/rule_schema/
// rule_schemas.gen.ts), so both readers call ruleFromTable() and get the same Rule for the same
// rule. It checks what eqld needs, says which field was wrong, and refuses rules eqld cannot run
// (another type or language) with a RuleFileError of kind `unsupported` naming the rule.
import type {
  ExceptionListRef,
  Rule,
  RuleMetadata,
  RuleSeverity,
  RuleThreat,
  ThreatRef,
  ThreatTechnique,
} from './rule.js';
import { RuleFileError } from './rule-error.js';

export type Table = Record<string, unknown>;

const SEVERITIES: readonly RuleSeverity[] = ['low', 'medium', 'high', 'critical'];
/** the keys read into typed fields; every other key goes to `extra` verbatim */
const RULE_KEYS = new Set([
  'rule_id',
  'name',
  'description',
  'type',
  'language',
  'query',
  'index',
  'severity',
  'risk_score',
  'threat',
  'tags',
  'references',
  'author',
  'license',
  'building_block_type',
  'version',
  'enabled',
  'exceptions_list',
]);

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export interface TableContext {
  /** file the rule came from */
  path: string;
  /** a Kibana export's line: set on the rule and on every error */
  line?: number;
  queryLine: number;
  /** how field names are shown in errors: `rule.` for TOML, none for Kibana rule objects */
  prefix: string;
  /** the index patterns of a rule without `index`; undefined: `index` is required */
  defaultIndex?: readonly string[];
}

export class FieldReader {
  constructor(
    private readonly ctx: Pick<TableContext, 'path' | 'line'>,
    private readonly table: Table,
    private readonly prefix: string,
  ) {}

  fail(key: string, expected: string, got: unknown): never {
    this.failShown(key, expected, got === undefined ? 'nothing' : `\`${JSON.stringify(got)?.slice(0, 60)}\``);
  }

  /** `got` already written for the reader, e.g. a scalar without JSON quotes */
  failShown(key: string, expected: string, shown: string): never {
    throw new RuleFileError(
      'schema',
      this.ctx.path,
      `Expected \`${this.prefix}${key}\` to be ${expected}, got ${shown}`,
      this.ctx.line,
    );
  }

  string(key: string): string {
    const v = this.table[key];
    if (typeof v !== 'string' || v.length === 0) this.fail(key, 'a non-empty string', v);
    return v;
  }

  optString(key: string): string | undefined {
    const v = this.table[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string', v);
    return v;
  }

  strings(key: string, required = false): string[] {
    const v = this.table[key];
    if (v === undefined && !required) return [];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string') || (required && v.length === 0)) {
      this.fail(key, `a${required ? ' non-empty' : 'n'} array of strings`, v);
    }
    return v as string[];
  }
}

function threatRef(ctx: TableContext, v: unknown, where: string): ThreatRef {
  const top: FieldReader = new FieldReader(ctx, {}, '');
  if (!isTable(v)) top.fail(where, 'a table', v);
  const r = new FieldReader(ctx, v, `${where}.`);
  const ref: ThreatRef = { id: r.string('id'), name: r.string('name') };
  const reference = r.optString('reference');
  if (reference !== undefined) ref.reference = reference;
  return ref;
}

function threats(ctx: TableContext, v: unknown): RuleThreat[] {
  if (v === undefined) return [];
  const top: FieldReader = new FieldReader(ctx, {}, ctx.prefix);
  if (!Array.isArray(v)) top.fail('threat', 'an array of tables', v);
  return v.map((t, i): RuleThreat => {
    const where = `${ctx.prefix}threat[${i}]`;
    if (!isTable(t)) top.fail(`threat[${i}]`, 'a table', t);
    const techniques = t.technique === undefined ? [] : t.technique;
    if (!Array.isArray(techniques)) top.fail(`threat[${i}].technique`, 'an array', techniques);
    return {
      framework: new FieldReader(ctx, t, `${where}.`).string('framework'),
      tactic: threatRef(ctx, t.tactic, `${where}.tactic`),
      technique: techniques.map((tech, j): ThreatTechnique => {
        const tw = `${where}.technique[${j}]`;
        const subs = isTable(tech) && Array.isArray(tech.subtechnique) ? tech.subtechnique : [];
        return {
          ...threatRef(ctx, tech, tw),
          subtechnique: subs.map((s, k) => threatRef(ctx, s, `${tw}.subtechnique[${k}]`)),
        };
      }),
    };
  });
}

function exceptionsList(ctx: TableContext, v: unknown): ExceptionListRef[] {
  if (v === undefined || v === null) return [];
  const top: FieldReader = new FieldReader(ctx, {}, ctx.prefix);
  if (!Array.isArray(v)) top.fail('exceptions_list', 'an array of list references', v);
  return v.map((ref, i) => {
    const key = `exceptions_list[${i}]`;
    if (!isTable(ref)) top.fail(key, 'an object with id, list_id, namespace_type, type', ref);
    const r: FieldReader = new FieldReader(ctx, ref, `${ctx.prefix}${key}.`);
    const ns = ref.namespace_type;
    if (ns !== 'single' && ns !== 'agnostic') r.fail('namespace_type', '`single` or `agnostic`', ns);
    return { id: r.string('id'), listId: r.string('list_id'), namespaceType: ns, type: r.string('type') };
  });
}

export function pickExtra(table: Table, known: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(table)) if (!known.has(k)) out[k] = v;
  return out;
}

/** `rule "name" (rule_id x)`, from whatever of the two the table has; JSON-quoted, so a hostile
 *  name cannot put a newline or an escape sequence in a message */
export function describeRuleTable(t: Table): string {
  const name = typeof t.name === 'string' ? JSON.stringify(t.name) : '(no name)';
  return `rule ${name}${typeof t.rule_id === 'string' ? ` (rule_id ${JSON.stringify(t.rule_id)})` : ''}`;
}

/** Refuses what the EQL engine cannot run faithfully: another rule type or query language, or an
 *  EQL rule reading its category or timestamp from another field. */
function checkSupported(t: Table, ctx: TableContext): void {
  const type = t.type;
  const language = t.language ?? (type === 'eql' ? 'eql' : undefined);
  const why: string[] = [];
  if (type !== 'eql') why.push(`type \`${String(type)}\``);
  if (language !== 'eql' && language !== undefined) why.push(`language \`${String(language)}\``);
  if (why.length > 0) {
    throw new RuleFileError(
      'unsupported',
      ctx.path,
      `${describeRuleTable(t)}: ${why.join(', ')} is not supported; eqld runs EQL rules (type eql, language eql) only`,
      ctx.line,
    );
  }
  for (const [key, standard] of [
    ['event_category_override', 'event.category'],
    ['timestamp_field', '@timestamp'],
  ] as const) {
    const v = t[key];
    if (v !== undefined && v !== null && v !== '' && v !== standard)
      throw new RuleFileError(
        'unsupported',
        ctx.path,
        `${describeRuleTable(t)}: \`${key}\` = \`${String(v)}\` is not supported; eqld's EQL engine reads ${standard}`,
        ctx.line,
      );
  }
}

/** Builds a Rule from a rule table; throws RuleFileError (`unsupported` or `schema`). */
export function ruleFromTable(t: Table, metadata: RuleMetadata, ctx: TableContext): Rule {
  checkSupported(t, ctx);
  const r: FieldReader = new FieldReader(ctx, t, ctx.prefix);
  const severity = r.string('severity').toLowerCase();
  if (!SEVERITIES.includes(severity as RuleSeverity))
    r.failShown('severity', `one of ${SEVERITIES.join(', ')}`, `\`${severity}\``);
  const riskScore = t.risk_score;
  if (typeof riskScore !== 'number' || !Number.isInteger(riskScore) || riskScore < 0 || riskScore > 100)
    r.failShown('risk_score', 'an integer 0..100', `\`${String(riskScore)}\``);
  const hasIndex = Array.isArray(t.index) && t.index.length > 0;
  const index = hasIndex || ctx.defaultIndex === undefined ? r.strings('index', true) : [...ctx.defaultIndex];

  const rule: Rule = {
    path: ctx.path,
    ruleId: r.string('rule_id'),
    name: r.string('name'),
    description: r.string('description').trim(),
    type: r.string('type'),
    language: r.optString('language') ?? 'eql',
    query: r.string('query'),
    queryLine: ctx.queryLine,
    index,
    severity: severity as RuleSeverity,
    riskScore,
    threat: threats(ctx, t.threat),
    tags: r.strings('tags'),
    references: r.strings('references'),
    author: r.strings('author'),
    exceptionsList: exceptionsList(ctx, t.exceptions_list),
    metadata,
    extra: pickExtra(t, RULE_KEYS),
  };
  if (ctx.line !== undefined) rule.line = ctx.line;
  const license = r.optString('license');
  if (license !== undefined) rule.license = license;
  const bb = r.optString('building_block_type');
  if (bb !== undefined) rule.buildingBlockType = bb;
  if (t.version !== undefined) {
    if (typeof t.version !== 'number' || !Number.isInteger(t.version) || t.version < 1)
      r.fail('version', 'an integer >= 1', t.version);
    rule.version = t.version;
  }
  if (t.enabled !== undefined) {
    if (typeof t.enabled !== 'boolean') r.fail('enabled', 'true or false', t.enabled);
    rule.enabled = t.enabled;
  }
  return rule;
}

/** A Kibana filter that takes part in the query (FilterMeta.disabled unset) */
const activeFilter = (f: unknown) => !(isTable(f) && isTable(f.meta) && f.meta.disabled === true);

/** Rule fields eqld reads but does not apply as Kibana would, one sentence each (the rule still
 *  loads; `rules check` and the agent's log show these). */
export function ruleFieldWarnings(rule: Rule): string[] {
  const out: string[] = [];
  const dv = rule.extra.data_view_id;
  if (typeof dv === 'string' && dv !== '')
    out.push(
      rule.index.length === 1 && rule.index[0] === '*'
        ? `data view ${JSON.stringify(dv)} cannot be resolved outside Kibana: the rule sees every event (export it with index patterns to narrow it)`
        : `data view ${JSON.stringify(dv)} cannot be resolved outside Kibana: the rule's index patterns are used instead`,
    );
  const filters = rule.extra.filters;
  if (Array.isArray(filters) && filters.some(activeFilter))
    out.push(
      `${filters.filter(activeFilter).length} query filter(s) (\`filters\`) are not applied: the rule may alert on events Kibana's filters leave out`,
    );
  const tb = rule.extra.tiebreaker_field;
  if (typeof tb === 'string' && tb !== '')
    out.push(
      `tiebreaker_field ${JSON.stringify(tb)} is not used: events with the same @timestamp keep their arrival order`,
    );
  return out;
}
