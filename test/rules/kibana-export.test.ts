// Rules and exception lists from Kibana exports (test/fixtures/kibana, written by generate.py
// there to Kibana's export schemas): loading, unsupported rules named, exception lists resolved
// across files, bad lines, `rules check` output (golden) and `eqld replay` end to end.
// Update the golden file with: UPDATE_GOLDEN=1 npx vitest run test/rules/kibana-export.test.ts
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runReplay } from '../../src/cli/replay.js';
import { runRulesCheck } from '../../src/cli/rules.js';
import { compileQuery } from '../../src/eql/index.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { parseRuleFile } from '../../src/rules/parse-rule-file.js';
import { EQLD_MAIN, eqldEnv, eqldNodeFlags } from '../support/eqld-process.js';

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const DIR = 'test/fixtures/kibana';
const EXPORT = `${DIR}/rules_export.ndjson`;
const TRUSTED = `${DIR}/trusted-tools`;
const SSH = '63431796-f813-43af-820b-492ee2efec8e';
const ROOT = 'eb6a3790-d52d-11ec-8ce9-f661ea17fbce';
const CUSTOM = 'c0ffee00-0000-4000-8000-000000000001';

const tmp = mkdtempSync(join(tmpdir(), 'eqld-kibana-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const load = (...paths: string[]) => loadRules(paths, { compile: compileQuery });

describe('loading a Kibana rules export', () => {
  const res = load(EXPORT);
  const byId = new Map(res.rules.map((r) => [r.rule.ruleId, r]));

  it('loads the EQL rules and names every rule of another type or language as unsupported', () => {
    expect(res.rules.map((r) => [r.rule.ruleId, r.rule.line])).toEqual([
      [SSH, 1],
      [ROOT, 2],
      [CUSTOM, 3],
    ]);
    expect(res.errors.every((e) => e.kind === 'unsupported')).toBe(true);
    expect(res.errors.map((e) => [e.line, /: (type .*) is not supported/.exec(e.message)?.[1]])).toEqual([
      [4, 'type `query`, language `kuery`'],
      [5, 'type `query`, language `lucene`'],
      [6, 'type `threshold`, language `kuery`'],
      [7, 'type `esql`, language `esql`'],
      [8, 'type `machine_learning`'],
      [9, 'type `new_terms`, language `kuery`'],
      [10, 'type `saved_query`, language `kuery`'],
      [11, 'type `threat_match`, language `kuery`'],
    ]);
    expect(res.errors[0]?.message).toContain('rule "Netcat listener (KQL)" (rule_id "c0ffee00-');
  });

  it('maps a rule exported from Kibana to the same rule as its detection-rules TOML file', () => {
    const toml = parseRuleFile(
      readFileSync('rules/persistence_ssh_netcon.toml', 'utf8'),
      'rules/persistence_ssh_netcon.toml',
    );
    const kib = byId.get(SSH)?.rule;
    if (!kib) throw new Error('SSH rule not loaded');
    const {
      path: _p1,
      queryLine: _q1,
      metadata: m1,
      extra: e1,
      version: v1,
      exceptionsList: x1,
      ...typedToml
    } = toml;
    const {
      path: _p2,
      line,
      queryLine: _q2,
      metadata: m2,
      extra: e2,
      version: v2,
      enabled,
      exceptionsList: x2,
      kibana,
      ...typedKibana
    } = kib;
    expect(typedKibana).toEqual(typedToml);
    expect(m2.integration).toEqual(m1.integration);
    // every [rule] key of the TOML file kept verbatim, plus only the defaults Kibana fills in
    for (const [k, v] of Object.entries(e1)) expect(e2[k]).toEqual(v);
    expect(
      Object.keys(e2)
        .filter((k) => !(k in e1))
        .sort(),
    ).toEqual(
      [
        'actions',
        'false_positives',
        'filters',
        'interval',
        'investigation_fields',
        'max_signals',
        'meta',
        'output_index',
        'related_integrations',
        'required_fields',
        'risk_score_mapping',
        'severity_mapping',
        'to',
      ].sort(),
    );
    expect([v1, v2, line, enabled, x1.length, x2.map((x) => x.listId)]).toEqual([
      undefined,
      9,
      1,
      true,
      0,
      ['eqld-shared-linux', 'ssh-netcon-rule-default'],
    ]);
    expect(kibana).toMatchObject({
      id: '6a1f3c2e-1111-4a5b-9c8d-000000000001',
      immutable: true,
      revision: 1,
    });
  });

  it('gives each rule the items of the lists it references, by list_id and namespace_type', () => {
    const names = (id: string) => (byId.get(id)?.exceptions ?? []).map((i) => i.itemId);
    const shared = [
      'ansible',
      'backup-agent',
      'monitoring',
      'not-from-cron',
      'signed-elastic',
      'no-destination-beacon',
      'expired-update-script',
      'windows-update-script',
    ];
    expect(names(SSH)).toEqual([...shared, 'ssh-netcon-nc-to-lab']);
    expect(names(ROOT)).toEqual(shared);
    expect(names(CUSTOM)).toEqual([]);
    const expired = byId.get(SSH)?.exceptions?.find((i) => i.itemId === 'expired-update-script');
    expect(expired?.expiresAtMs).toBe(Date.parse('2020-01-01T00:00:00.000Z'));
    const windows = byId.get(SSH)?.exceptions?.find((i) => i.itemId === 'windows-update-script');
    expect(windows?.osTypes).toEqual(['windows']);
  });

  it('warns, per rule, about items and lists it cannot apply and fields it does not apply', () => {
    const warnings = (id: string) => (byId.get(id)?.warnings ?? []).map((w) => [w.kind, w.detail]);
    expect(warnings(SSH)).toEqual([
      [
        'exception',
        '"Trusted binaries (value list)" (item_id trusted-binaries, list eqld-shared-linux): `entries[0]`: a value list entry (`process.executable` is in list `trusted_binaries.txt`); value lists are not part of a Kibana export; the item is not applied',
      ],
    ]);
    expect(warnings(ROOT).map(([, d]) => d)[1]).toMatch(
      /^exception list "endpoint_list" \(endpoint, namespace agnostic\) is not in the loaded files: not applied \(Kibana leaves the Endpoint exceptions list out of rule exports/,
    );
    expect(warnings(CUSTOM).map(([k]) => k)).toEqual(['field', 'field', 'exception']);
    expect(byId.get(CUSTOM)?.rule.enabled).toBe(false);
    expect(byId.get(CUSTOM)?.rule.index).toEqual(['*']);
    expect(res.warnings).toEqual([]);
  });

  it('resolves a shared list exported alone, from another file of the same directory, mixed with TOML', () => {
    const dir = join(tmp, 'mixed');
    mkdirSync(join(dir, 'shared'), { recursive: true });
    copyFileSync(EXPORT, join(dir, 'rules_export.ndjson'));
    copyFileSync(TRUSTED, join(dir, 'shared', 'trusted-tools'));
    copyFileSync('test/fixtures/replay/seed-root-netcon-2022.toml', join(dir, 'seed.toml'));
    writeFileSync(
      join(dir, 'version.lock.json'),
      '{\n  "eb6a3790-d52d-11ec-8ce9-f661ea17fbce": {"version": 3}\n}\n',
    );
    writeFileSync(join(dir, 'README.md'), '# our rules\n');
    writeFileSync(join(dir, 'notes.json'), '{"owner": "soc"}\n');
    const mixed = load(dir);
    const custom = mixed.rules.find((r) => r.rule.ruleId === CUSTOM);
    expect(custom?.exceptions?.map((i) => i.itemId)).toEqual(['curl-to-internal']);
    expect(custom?.warnings?.map((w) => w.kind)).toEqual(['field', 'field']);
    // files load in name order: the export's root rule comes before seed.toml's, a duplicate
    expect(mixed.rules.map((r) => r.rule.ruleId)).toEqual([SSH, ROOT, CUSTOM]);
    expect(mixed.errors.filter((e) => e.kind !== 'unsupported').map((e) => [e.kind, e.path])).toEqual([
      ['duplicate', join(dir, 'seed.toml')],
    ]);
    expect(mixed.versionLock).toBe(join(dir, 'version.lock.json'));
    // the export's own version wins over the lock
    expect(mixed.rules.find((r) => r.rule.ruleId === ROOT)?.rule.version).toBe(104);
  });

  it('says when an exception list applies to no loaded rule', () => {
    const alone = load(TRUSTED);
    expect(alone.rules).toEqual([]);
    expect(alone.errors).toEqual([]);
    expect(alone.warnings.map((w) => w.message)).toEqual([
      `${TRUSTED}:1: exception list "trusted-tools" (namespace agnostic, 1 item(s)) is referenced by no loaded rule: it applies to nothing`,
    ]);
  });
});

describe('a damaged export', () => {
  const lines = readFileSync(EXPORT, 'utf8').trimEnd().split('\n');
  const damaged = [
    lines[0],
    '{"rule_id": "broken", "name": "cut off',
    lines[1],
    '[1, 2, 3]',
    '{"hello": "world"}',
    lines[2]?.replace('"risk_score":21', '"risk_score":"high"'),
    // an item lost in an edit: the summary's item count no longer holds
    ...lines.slice(3).filter((l) => !l.includes('"item_id":"windows-update-script"')),
  ].join('\n');
  const path = join(tmp, 'damaged.ndjson');
  writeFileSync(path, damaged);
  const res = load(path);

  it('names each bad line, loads the good rules, and notices the summary no longer adds up', () => {
    expect(res.rules.map((r) => r.rule.ruleId)).toEqual([SSH, ROOT]);
    const bad = res.errors.filter((e) => e.kind !== 'unsupported');
    expect(bad.map((e) => [e.line, e.kind])).toEqual([
      [2, 'json'],
      [4, 'json'],
      [5, 'schema'],
      [6, 'schema'],
    ]);
    expect(bad[0]?.message).toMatch(
      /damaged\.ndjson:2: Expected a JSON object on this line, got "\{\\"rule_id\\": \\"broken\\", \\"name\\": \\"cut off": /,
    );
    expect(bad[2]?.message).toContain(
      'Expected a rule, an exception list, an exception list item, an action connector or the export summary, got an object with keys "hello"',
    );
    expect(bad[3]?.message).toContain(
      'damaged.ndjson:6: Expected `risk_score` to be an integer 0..100, got `high`',
    );
    expect(res.warnings.map((w) => w.message)).toEqual([
      `${path}:27: the export summary says 10 exception list items, the file holds 9 (truncated or edited file?)`,
    ]);
  });

  it('makes `rules check` exit 1 and print the line numbers', async () => {
    const out: string[] = [];
    expect(await runRulesCheck([path], (l) => out.push(l))).toBe(1);
    expect(out.filter((l) => l.startsWith('error')).map((l) => /ndjson:(\d+):/.exec(l)?.[1])).toEqual([
      '2',
      '4',
      '5',
      '6',
    ]);
    expect(out.at(-1)).toBe(
      '10 rules checked: 2 ok, 0 disabled, 0 inactive, 8 unsupported, 4 errors; 4 warnings',
    );
  });
});

describe('hostile text in an export', () => {
  it('never reaches `rules check` output or replay warnings with a control character', async () => {
    const evil = 'x\n\u001b[2J\u009b\u2028y';
    const rows = [
      {
        rule_id: `r1${evil}`,
        name: `EQL ${evil}`,
        type: 'eql',
        language: 'eql',
        description: 'd',
        severity: 'low',
        risk_score: 1,
        index: ['logs-*'],
        query: 'process where true',
        exceptions_list: [{ id: 'i', list_id: `l${evil}`, namespace_type: 'single', type: 'detection' }],
      },
      { rule_id: 'r2', name: `KQL ${evil}`, type: 'query', language: 'kuery', query: 'x' },
      {
        list_id: `l${evil}`,
        item_id: `i${evil}`,
        name: `item ${evil}`,
        namespace_type: 'single',
        type: 'simple',
        entries: [{ field: `f${evil}.text`, type: 'match', operator: 'included', value: 'v' }],
      },
      { [`key${evil}`]: 1 },
    ];
    const path = join(tmp, 'hostile.ndjson');
    writeFileSync(
      path,
      `${rows.map((r) => JSON.stringify(r)).join('\n')}\n{"rule_id": "${evil.replace('\n', '')}`,
    );
    const out: string[] = [];
    await runRulesCheck([path], (l) => out.push(l));
    expect(out.length).toBeGreaterThan(4);
    for (const l of out) expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    const err: string[] = [];
    await runReplay([path], undefined, { lines: [], out: () => {}, err: (l) => err.push(l) });
    expect(err.some((l) => l.includes('warning'))).toBe(true);
    for (const l of err) expect(l).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
  });
});

describe('`eqld rules check` over Kibana exports', () => {
  it('prints ok, disabled and unsupported rules and the exceptions it cannot apply (golden)', async () => {
    const out: string[] = [];
    expect(await runRulesCheck([DIR], (l) => out.push(l))).toBe(0);
    const text = `${out.join('\n')}\n`;
    const golden = 'test/rules/golden/rules-check-kibana.txt';
    if (UPDATE || !existsSync(golden)) {
      if (!UPDATE) throw new Error(`golden file ${golden} missing; run with UPDATE_GOLDEN=1 to create it`);
      writeFileSync(golden, text);
    }
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});

describe('`eqld replay` with a Kibana export', () => {
  const fixture = (name: string) => `test/fixtures/replay/${name}.ndjson`;

  async function alerts(name: string): Promise<string[]> {
    const ids: string[] = [];
    await runReplay([EXPORT], undefined, {
      lines: readFileSync(fixture(name), 'utf8').split('\n'),
      out: (l) => ids.push((JSON.parse(l) as { rule: { id: string } }).rule.id),
      err: () => {},
    });
    return ids;
  }

  it('an exception of the rule suppresses one alert of a bundled rule, and not the others', async () => {
    // ssh-netcon-nc-to-lab: process.name "nc" and destination.ip in 1.1.1.0/24
    expect(await alerts('ssh-netcon-fire-nc')).toEqual([]);
    // expired and Windows-only items of the shared list leave update.PY alone
    expect(await alerts('ssh-netcon-fire-script-name')).toEqual([SSH]);
    expect(await alerts('ssh-netcon-fire-tmp-ipv6')).toEqual([SSH]);
    expect(await alerts('root-netcon-fire-reverse-shell')).toEqual([ROOT]);
  });

  it('runs as the built `eqld replay` command, with the export given to --rules', () => {
    if (!existsSync(EQLD_MAIN)) throw new Error(`${EQLD_MAIN} missing: run npm run build first`);
    const run = (name: string) =>
      execFileSync(
        process.execPath,
        [...eqldNodeFlags(), EQLD_MAIN, 'replay', fixture(name), '--rules', EXPORT],
        { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: eqldEnv() },
      )
        .trim()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => (JSON.parse(l) as { rule: { id: string; version: string } }).rule);
    expect(run('ssh-netcon-fire-nc')).toEqual([]);
    expect(run('ssh-netcon-fire-script-name')).toEqual([expect.objectContaining({ id: SSH, version: '9' })]);
  });
});
