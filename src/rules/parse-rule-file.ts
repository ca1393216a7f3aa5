// Turns the text of one Elastic detection-rules TOML file into a Rule, or throws a RuleFileError
// naming the field that was wrong. Format: elastic/detection-rules `rules/**/*.toml`
// ([metadata] + [rule] tables, query as a ''' literal string, version kept in version.lock.json).
import { parse, TomlError } from 'smol-toml';
import type { Rule, RuleMetadata, RuleSeverity, RuleThreat, ThreatRef, ThreatTechnique } from './rule.js';
import { RuleFileError } from './rule-error.js';

type Table = Record<string, unknown>;

const SEVERITIES: readonly RuleSeverity[] = ['low', 'medium', 'high', 'critical'];
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
]);
const METADATA_KEYS = new Set([
  'creation_date',
  'updated_date',
  'maturity',
  'deprecation_date',
  'integration',
]);

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

class FieldReader {
  constructor(
    private readonly path: string,
    private readonly table: Table,
    private readonly prefix: string,
  ) {}

  private fail(key: string, expected: string, got: unknown): never {
    const shown = got === undefined ? 'nothing' : `\`${JSON.stringify(got)?.slice(0, 60)}\``;
    throw new RuleFileError(
      'schema',
      this.path,
      `Expected \`${this.prefix}${key}\` to be ${expected}, got ${shown}`,
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

function threatRef(path: string, v: unknown, where: string): ThreatRef {
  if (!isTable(v))
    throw new RuleFileError(
      'schema',
      path,
      `Expected \`${where}\` to be a table, got \`${JSON.stringify(v)}\``,
    );
  const r = new FieldReader(path, v, `${where}.`);
  const ref: ThreatRef = { id: r.string('id'), name: r.string('name') };
  const reference = r.optString('reference');
  if (reference !== undefined) ref.reference = reference;
  return ref;
}

function threats(path: string, v: unknown): RuleThreat[] {
  if (v === undefined) return [];
  if (!Array.isArray(v))
    throw new RuleFileError('schema', path, 'Expected `rule.threat` to be an array of tables');
  return v.map((t, i): RuleThreat => {
    const where = `rule.threat[${i}]`;
    if (!isTable(t)) throw new RuleFileError('schema', path, `Expected \`${where}\` to be a table`);
    const techniques = t.technique === undefined ? [] : t.technique;
    if (!Array.isArray(techniques))
      throw new RuleFileError('schema', path, `Expected \`${where}.technique\` to be an array`);
    return {
      framework: new FieldReader(path, t, `${where}.`).string('framework'),
      tactic: threatRef(path, t.tactic, `${where}.tactic`),
      technique: techniques.map((tech, j): ThreatTechnique => {
        const tw = `${where}.technique[${j}]`;
        const subs = isTable(tech) && Array.isArray(tech.subtechnique) ? tech.subtechnique : [];
        return {
          ...threatRef(path, tech, tw),
          subtechnique: subs.map((s, k) => threatRef(path, s, `${tw}.subtechnique[${k}]`)),
        };
      }),
    };
  });
}

/** 1-based line where the query string's text begins (after `'''` and its trimmed newline) */
function findQueryLine(text: string): number {
  const lines = text.split('\n');
  const i = lines.findIndex((l) => /^\s*query\s*=/.test(l));
  if (i < 0) return 1;
  const rest = (lines[i] ?? '').replace(/^\s*query\s*=\s*/, '');
  const opener = rest.slice(0, 3);
  const isMultiline = opener === "'''" || opener === '"""';
  return i + 1 + (isMultiline && rest.slice(3).trim() === '' ? 1 : 0);
}

function pickExtra(table: Table, known: Set<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(table)) if (!known.has(k)) out[k] = v;
  return out;
}

export function parseRuleFile(text: string, path: string): Rule {
  let doc: Table;
  try {
    doc = parse(text) as Table;
  } catch (err) {
    if (err instanceof TomlError) {
      const first = err.message.split('\n')[0] ?? err.message;
      throw new RuleFileError('toml', path, first, err.line, err.column, { cause: err });
    }
    throw new RuleFileError('toml', path, String(err), undefined, undefined, { cause: err });
  }
  const ruleTable = doc.rule;
  if (!isTable(ruleTable)) throw new RuleFileError('schema', path, 'Expected a `[rule]` table, got none');
  const metaTable = isTable(doc.metadata) ? doc.metadata : {};
  const r = new FieldReader(path, ruleTable, 'rule.');
  const m = new FieldReader(path, metaTable, 'metadata.');

  const severity = r.string('severity').toLowerCase();
  if (!SEVERITIES.includes(severity as RuleSeverity)) {
    throw new RuleFileError(
      'schema',
      path,
      `Expected \`rule.severity\` to be one of ${SEVERITIES.join(', ')}, got \`${severity}\``,
    );
  }
  const riskScore = ruleTable.risk_score;
  if (typeof riskScore !== 'number' || !Number.isInteger(riskScore) || riskScore < 0 || riskScore > 100) {
    throw new RuleFileError(
      'schema',
      path,
      `Expected \`rule.risk_score\` to be an integer 0..100, got \`${String(riskScore)}\``,
    );
  }

  const metadata: RuleMetadata = {
    integration: m.strings('integration'),
    extra: pickExtra(metaTable, METADATA_KEYS),
  };
  for (const [key, prop] of [
    ['creation_date', 'creationDate'],
    ['updated_date', 'updatedDate'],
    ['maturity', 'maturity'],
    ['deprecation_date', 'deprecationDate'],
  ] as const) {
    const v = m.optString(key);
    if (v !== undefined) metadata[prop] = v;
  }

  const rule: Rule = {
    path,
    ruleId: r.string('rule_id'),
    name: r.string('name'),
    description: r.string('description').trim(),
    type: r.string('type'),
    language: r.optString('language') ?? 'kuery',
    query: r.string('query'),
    queryLine: findQueryLine(text),
    index: r.strings('index', true),
    severity: severity as RuleSeverity,
    riskScore,
    threat: threats(path, ruleTable.threat),
    tags: r.strings('tags'),
    references: r.strings('references'),
    author: r.strings('author'),
    metadata,
    extra: pickExtra(ruleTable, RULE_KEYS),
  };
  const license = r.optString('license');
  if (license !== undefined) rule.license = license;
  const bb = r.optString('building_block_type');
  if (bb !== undefined) rule.buildingBlockType = bb;
  return rule;
}
