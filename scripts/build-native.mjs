#!/usr/bin/env node
// Part of `npm run build`: compiles the collector's native helper, the bpftrace pacing shim
// (src/collector/native/bpftrace-pace.c, an LD_PRELOAD library), into dist/. Without a C
// compiler it says so and leaves the shim out: eqld then runs bpftrace unpaced (more CPU,
// `eqld doctor` reports it). A compiler that is there but fails is a build error.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src/collector/native/bpftrace-pace.c');
const out = join(root, 'dist/collector/native/bpftrace-pace.so');
const cc = process.env.CC ?? 'cc';

if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) {
  process.stderr.write(
    `build-native: no C compiler (${cc}); bpftrace will run without the pacing shim (see docs/collector.md)\n`,
  );
  process.exit(0);
}
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-shared', '-fPIC', '-o', out, src, '-ldl'], {
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
