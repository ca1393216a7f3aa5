// Loading the real corpus: Elastic's 328 Linux EQL rules + the deprecated root-connection rule.
// `rules check`'s verdict on each is a golden file (test/golden/rules/corpus-check.txt): a change
// to the field catalogue or to the coverage analysis shows there, rule by rule. UPDATE_GOLDEN=1
// rewrites it.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { runRulesCheck } from '../../src/cli/rules.js';
import { compileQuery } from '../../src/eql/index.js';
import { type LoadResult, loadRules } from '../../src/rules/load-rules.js';
import { describeShared, sharedPath } from '../support/shared-data.js';

const CORPUS = (): string => sharedPath('elastic-detection-rules');

describeShared('the Elastic detection-rules corpus', () => {
  let res: LoadResult;
  beforeAll(() => {
    res = loadRules([CORPUS()], { compile: compileQuery });
  });

  it('loads all 329 files with zero errors', () => {
    expect(res.errors.map((e) => e.message)).toEqual([]);
    expect(res.rules).toHaveLength(329);
  });

  it('keeps the metadata upstream ships, including building blocks and the deprecated rule', () => {
    expect(res.rules.filter((r) => r.rule.buildingBlockType === 'default')).toHaveLength(8);
    const dep = res.rules.find((r) => r.rule.ruleId === 'eb6a3790-d52d-11ec-8ce9-f661ea17fbce');
    expect(dep?.rule.metadata.maturity).toBe('deprecated');
    expect(res.rules.every((r) => r.rule.version === undefined)).toBe(true);
  });

  it('runs the two bundled rules and the file rules, and reports only other event kinds as inactive', () => {
    const byId = new Map(res.rules.map((r) => [r.rule.ruleId, r]));
    expect(byId.get('63431796-f813-43af-820b-492ee2efec8e')?.inactiveNeeds).toEqual([]);
    expect(byId.get('eb6a3790-d52d-11ec-8ce9-f661ea17fbce')?.inactiveNeeds).toEqual([]);
    // Systemd Service Created, Dynamic Linker Creation: file rules run now
    expect(byId.get('17b0a495-4d9f-414c-8ad0-92f018b8e001')?.inactiveNeeds).toEqual([]);
    expect(byId.get('640f79d1-571d-4f96-a9af-1194fc8cf763')?.inactiveNeeds).toEqual([]);
    const inactive = res.rules.filter((r) => r.inactiveNeeds.length > 0);
    expect(inactive.length).toBeGreaterThan(0);
    expect(inactive.some((r) => r.inactiveNeeds.includes('file events'))).toBe(false);
  });

  it('`rules check` prints a line per rule, zero errors and exits 0', async () => {
    const lines: string[] = [];
    expect(await runRulesCheck([CORPUS()], (l) => lines.push(l))).toBe(0);
    expect(lines.at(-1)).toMatch(
      /^329 rules checked: \d+ ok, 0 disabled, \d+ inactive, 0 unsupported, 0 errors; 0 warnings$/,
    );
    expect(lines.filter((l) => l.startsWith('inactive')).every((l) => / needs .*events/.test(l))).toBe(true);
  });

  it('`rules check` gives each corpus rule the verdict in the golden file', async () => {
    const lines: string[] = [];
    await runRulesCheck([CORPUS()], (l) => lines.push(l));
    const text = `${lines.map((l) => l.replace(`${CORPUS()}/`, '')).join('\n')}\n`;
    const golden = new URL('../golden/rules/corpus-check.txt', import.meta.url);
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
    expect(existsSync(golden), 'golden missing: run with UPDATE_GOLDEN=1').toBe(true);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });
});
