// The documents the real kernel gave for the 13 rules of issue 12 (recorded by
// parity-rules.kernel.test.ts with UPDATE_GOLDEN=1 into test/fixtures/parity/), replayed without a
// kernel: each rule fires on its workload's documents and stays quiet on the look-alike's.
import { existsSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { parseRuleFile } from '../../src/rules/parse-rule-file.js';
import { describeShared, sharedPath } from '../support/shared-data.js';
import { alertsOf, SCENARIOS } from './parity-scenarios.js';

const FIXTURES = new URL('../fixtures/parity/', import.meta.url);

describeShared('the 13 rules of issue 12 replayed on recorded real-kernel documents', () => {
  for (const sc of SCENARIOS) {
    it(`${sc.slug}: fires on the recorded workload, not on the look-alike`, async () => {
      const path = sharedPath('elastic-detection-rules', sc.rule);
      const ruleId = parseRuleFile(readFileSync(path, 'utf8'), sc.rule).ruleId;
      const fixture = (name: string) => new URL(`${sc.slug}-${name}.ndjson`, FIXTURES);
      expect(existsSync(fixture('fire')), 'fixture missing: UPDATE_GOLDEN=1 on the real-kernel test').toBe(
        true,
      );
      expect(await alertsOf(path, readFileSync(fixture('fire'), 'utf8'))).toContain(ruleId);
      expect(await alertsOf(path, readFileSync(fixture('quiet'), 'utf8'))).toEqual([]);
    });
  }
});
