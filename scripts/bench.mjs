#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.ts (each writes its own section to
// docs/benchmarks/<name>.md), then assembles docs/benchmarks.md with the machine and
// the command. Pass names to run a subset: `npm run bench -- eql normalize`.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

const only = process.argv.slice(2);
const benches = readdirSync('bench')
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.replace(/\.bench\.ts$/, ''))
  .filter((name) => only.length === 0 || only.includes(name))
  .sort();

let failed = 0;
for (const name of benches) {
  process.stdout.write(`\n=== bench ${name}\n`);
  const r = spawnSync('npx', ['vite-node', `bench/${name}.bench.ts`], { stdio: 'inherit' });
  if (r.status !== 0) {
    failed++;
    process.stdout.write(`bench ${name} failed with status ${r.status}\n`);
  }
}

const sh = (cmd, args) => {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unavailable';
  }
};
const header = [
  '# Benchmarks',
  '',
  'Written by `npm run bench` (scripts/bench.mjs); each section below comes from `bench/<name>.bench.ts`',
  'and was last produced on the machine described in that section. Targets come from the issues; a',
  'figure that misses its target says so.',
  '',
  '## Machine of the last full run',
  '',
  `- kernel: ${sh('uname', ['-r'])}`,
  `- CPU: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
  `- memory: ${(totalmem() / 2 ** 30).toFixed(1)} GiB`,
  `- node: ${process.version}; bpftrace: ${sh('bpftrace', ['--version'])}`,
  `- date: ${new Date().toISOString()}`,
  `- command: \`npm run bench${only.length ? ` -- ${only.join(' ')}` : ''}\``,
  '',
];
const sections = existsSync('docs/benchmarks')
  ? readdirSync('docs/benchmarks')
      .filter((f) => f.endsWith('.md'))
      .sort()
      .map((f) => readFileSync(`docs/benchmarks/${f}`, 'utf8').trim())
  : [];
writeFileSync('docs/benchmarks.md', `${header.join('\n')}\n${sections.join('\n\n')}\n`);
process.stdout.write(`\nwrote docs/benchmarks.md (${sections.length} sections)\n`);
process.exit(failed ? 1 : 0);
