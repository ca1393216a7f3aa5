#!/usr/bin/env node
// Runs the whole vitest suite and ends with one plain summary line
// ("tests: N passed, N failed, N skipped") that any CI can read, plus the reason
// real-kernel tests were skipped, if they were.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

const out = '.vitest-results.json';
rmSync(out, { force: true });
const args = [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const run = spawnSync('npx', args, { stdio: ['ignore', 'inherit', 'inherit'] });

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(out)) {
  const report = JSON.parse(readFileSync(out, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
  // a file that failed with no failed test of its own: it did not load, or a beforeAll/afterAll
  // hook threw (its tests are then reported skipped); each counts as one failure
  const brokenFiles = (report.testResults ?? []).filter(
    (f) => f.status === 'failed' && !f.assertionResults.some((a) => a.status === 'failed'),
  );
  failed += brokenFiles.length;
  for (const f of brokenFiles)
    process.stdout.write(`file failed outside its tests: ${f.name}: ${(f.message ?? '').split('\n')[0]}\n`);
} else {
  failed = 1;
  process.stdout.write('vitest wrote no result file\n');
}
process.stdout.write(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
