// Real kernel: the 13 rules of issue 12 (parity-scenarios.ts) over the documents eqld makes of
// live workloads: each fires on its workload and stays quiet on its look-alike. UPDATE_GOLDEN=1
// also writes the documents to test/fixtures/parity/, which parity-replay.test.ts replays without
// a kernel.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { mergeEnvVarSpecs } from '../../src/collector/env-match.js';
import { eqlEngine } from '../../src/rules/engine.js';
import { envVarsOfRules } from '../../src/rules/env-vars.js';
import { loadRules } from '../../src/rules/load-rules.js';
import { parseRuleFile } from '../../src/rules/parse-rule-file.js';
import { describeKernel } from '../support/kernel.js';
import { get, type LiveStream, startLiveStream } from '../support/live-stream.js';
import { SHARED_DATA, sharedPath } from '../support/shared-data.js';
import { alertsOf, PROGRAMS, SCENARIOS } from './parity-scenarios.js';

const FIXTURES = new URL('../fixtures/parity/', import.meta.url);

const describeBoth = SHARED_DATA ? describeKernel : describeKernel.skip;
if (!SHARED_DATA)
  process.stderr.write('SKIPPED (shared data not found): the parity rules on the real kernel\n');

describeBoth('the 13 rules of issue 12 on real-kernel documents', () => {
  let s: LiveStream;
  let T: string;
  const rulePath = (rel: string) => sharedPath('elastic-detection-rules', rel);

  beforeAll(async () => {
    T = mkdtempSync('/tmp/eqld-rules-');
    chmodSync(T, 0o755);
    for (const [name, from] of Object.entries(PROGRAMS)) {
      copyFileSync(from, join(T, name));
      chmodSync(join(T, name), 0o755);
    }
    const rules = loadRules(
      SCENARIOS.map((x) => rulePath(x.rule)),
      { compile: eqlEngine.compileQuery },
    ).rules;
    s = await startLiveStream(mergeEnvVarSpecs(envVarsOfRules(rules)));
  }, 300_000);

  afterAll(async () => {
    await s?.stop();
    if (T) rmSync(T, { recursive: true, force: true });
  });

  for (const sc of SCENARIOS) {
    // run again when kernel records were lost meanwhile: the trigger may have been among them, and
    // a quiet look-alike would pass vacuously (test/support/retry-on-loss.ts)
    const title = `${sc.slug}: fires on its workload, stays quiet on the look-alike`;
    it(
      title,
      () =>
        s.retryOnLoss(
          title,
          async () => {
            const ruleId = parseRuleFile(readFileSync(rulePath(sc.rule), 'utf8'), sc.rule).ruleId;
            const fire = await s.run(sc.fire, { T });
            const quiet = await s.run(sc.quiet, { T });
            if (process.env.UPDATE_GOLDEN === '1') {
              for (const [name, docs] of [
                ['fire', fire],
                ['quiet', quiet],
              ] as const) {
                writeFileSync(
                  new URL(`${sc.slug}-${name}.ndjson`, FIXTURES),
                  `${docs.map((d) => JSON.stringify(d)).join('\n')}\n`,
                );
              }
            }
            // on a miss, say what eqld saw of the workload (a CI machine's process tree differs from a session's)
            const seen = fire
              .filter((d) => get(d, 'event.kind') === 'event')
              .map((d) =>
                JSON.stringify([
                  get(d, 'event.action'),
                  get(d, 'process.name'),
                  get(d, 'user.id'),
                  get(d, 'process.entry_leader.entity_id') === undefined
                    ? 'no entry leader'
                    : get(d, 'process.entry_leader.entry_meta.type'),
                  get(d, 'process.thread.capabilities.effective'),
                ]),
              );
            expect(
              await alertsOf(rulePath(sc.rule), fire),
              `on its workload; eqld saw:\n${seen.join('\n')}`,
            ).toContain(ruleId);
            expect(await alertsOf(rulePath(sc.rule), quiet), 'on the look-alike').toEqual([]);
          },
          { passNeedsNoLoss: true },
        ),
      300_000,
    );
  }
});
