#!/usr/bin/env node
// Stand-in bpftrace for bench/collector-parse.bench.ts: prints bpftrace's attach notice,
// answers as attached, then writes the lines of $REPLAY_FILE one write(2) per line (as
// bpftrace flushes each printf) at $REPLAY_RATE lines/s, and stays until signalled.
import { readFileSync, writeSync } from 'node:fs';

const lines = readFileSync(process.env.REPLAY_FILE, 'latin1')
  .split('\n')
  .filter((l) => l !== '' && !l.startsWith('Attaching'));
const rate = Number(process.env.REPLAY_RATE ?? 10000);
writeSync(1, 'Attaching 3 probes...\n');
setTimeout(() => {
  writeSync(1, 'ready 2\n');
  const t0 = performance.now();
  let i = 0;
  const tick = () => {
    const due = Math.min(lines.length, Math.floor(((performance.now() - t0) / 1000) * rate));
    for (; i < due; i++) writeSync(1, `${lines[i]}\n`);
    if (i < lines.length) setImmediate(tick);
  };
  tick();
}, 50);
process.on('SIGTERM', () => process.exit(0));
setInterval(() => undefined, 1000);
