// `rules check` on broken files: positioned errors, the good files still load, exit status 1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRulesCheck } from '../../src/cli/rules.js';
import { compileQuery } from '../../src/eql/index.js';
import { loadRules } from '../../src/rules/load-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'eqld-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const good = readFileSync('rules/persistence_ssh_netcon.toml', 'utf8');
writeFileSync(join(dir, 'a-good.toml'), good);
writeFileSync(join(dir, 'b-bad-toml.toml'), '[rule]\nname = "x\n');
writeFileSync(
  join(dir, 'c-bad-query.toml'),
  good
    .replace('63431796-f813-43af-820b-492ee2efec8e', 'c0ffee00-0000-0000-0000-000000000000')
    .replace('sequence by host.id with maxspan=1s', 'sequence by host.id with maxspan=banana'),
);
writeFileSync(join(dir, 'd-duplicate.toml'), good);
writeFileSync(join(dir, 'notes.txt'), 'not a rule');

describe('rules check on a directory with bad files', () => {
  it('loads the good rule and reports each bad file with its position', () => {
    const res = loadRules([dir], { compile: compileQuery });
    expect(res.rules.map((r) => r.rule.ruleId)).toEqual(['63431796-f813-43af-820b-492ee2efec8e']);
    const byFile = Object.fromEntries(res.errors.map((e) => [e.path.slice(dir.length + 1), e]));
    expect(Object.keys(byFile).sort()).toEqual(['b-bad-toml.toml', 'c-bad-query.toml', 'd-duplicate.toml']);
    expect(byFile['b-bad-toml.toml']).toMatchObject({ kind: 'toml', line: 2 });
    const q = byFile['c-bad-query.toml'];
    expect(q?.kind).toBe('query');
    const queryLine = good.split('\n').indexOf('sequence by host.id with maxspan=1s') + 1;
    expect(q?.line).toBe(queryLine);
    expect(byFile['d-duplicate.toml']?.kind).toBe('duplicate');
  });

  it('exits 1 and prints error lines naming file:line', async () => {
    const lines: string[] = [];
    expect(await runRulesCheck([dir], (l) => lines.push(l))).toBe(1);
    expect(lines.some((l) => l.startsWith('ok ') && l.includes('a-good.toml'))).toBe(true);
    expect(lines.some((l) => /^error +\S+b-bad-toml\.toml:2:\d+: /.test(l))).toBe(true);
    expect(lines.at(-1)).toMatch(/1 ok, 0 disabled, 0 inactive, 0 unsupported, 3 errors; 0 warnings$/);
  });

  it('checks the bundled rules by default: both ok', async () => {
    const lines: string[] = [];
    expect(await runRulesCheck([], (l) => lines.push(l))).toBe(0);
    expect(lines.filter((l) => l.startsWith('ok '))).toHaveLength(2);
  });
});
