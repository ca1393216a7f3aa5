// `eqld doctor` and `eqld collect` through the real CLI entry point.
import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { describeKernel } from '../support/kernel.js';

const run = promisify(execFile);
const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

async function eqld(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run('npx', ['vite-node', MAIN, ...args], { timeout: 120_000, maxBuffer: 64 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('eqld doctor', () => {
  it('prints a FAIL line and exits non-zero when bpftrace is missing', async () => {
    const r = await eqld(['doctor', '--bpftrace', '/nonexistent/bpftrace']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL bpftrace: bpftrace is not runnable at \/nonexistent\/bpftrace/m);
    expect(r.stdout).toMatch(/eqld cannot run here/);
  }, 120_000);

  it.runIf(process.geteuid?.() === 0)(
    'fails bpf-load, naming a refused bpf() syscall, where bpftrace runs but cannot read the BTF',
    async () => {
      // a stand-in bpftrace: the version is fine, a program fails as bpftrace 0.17 does when a
      // seccomp filter refuses bpf() (seen under systemd-nspawn's default filter)
      const dir = mkdtempSync(join(tmpdir(), 'eqld-doctor-'));
      const fake = join(dir, 'bpftrace');
      writeFileSync(
        fake,
        `#!/bin/sh
[ "$1" = --version ] && { echo "bpftrace v0.17.0"; exit 0; }
echo "ERROR: Unknown error -1: couldn't set RLIMIT_MEMLOCK for bpftrace." >&2
echo "/bpftrace/include/clang_workarounds.h:14:10: fatal error: 'linux/types.h' file not found" >&2
exit 1
`,
      );
      chmodSync(fake, 0o755);
      try {
        const r = await eqld(['doctor', '--bpftrace', fake]);
        expect(r.code).toBe(1);
        expect(r.stdout).toMatch(/^ok {3}bpftrace: /m);
        expect(r.stdout).toMatch(
          /^FAIL bpf-load: bpftrace could not use the kernel's BTF: the bpf\(\) syscall was refused .*linux\/types\.h/m,
        );
        expect(r.stdout).not.toMatch(/RLIMIT_MEMLOCK/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describeKernel('eqld doctor and collect on the real kernel', () => {
  it('doctor reports every precondition ok and exits 0', async () => {
    const r = await eqld(['doctor']);
    expect(r.code).toBe(0);
    for (const name of ['root', 'kernel', 'btf', 'bpftrace', 'bpf-load', 'tracefs', 'tracepoints']) {
      expect(r.stdout).toMatch(new RegExp(`^ok {3}${name}: `, 'm'));
    }
  }, 120_000);

  it('collect prints NDJSON raw events with bigints as strings and stops after --duration', async () => {
    const proc = spawn('npx', ['vite-node', MAIN, 'collect', '--duration', '4', '--argv-bytes', '64'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    proc.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    // trigger an exec once attached ("collecting" is logged after start() resolved)
    for (let i = 0; i < 600 && !err.includes('"collecting"'); i++)
      await new Promise((r) => setTimeout(r, 100));
    const child = spawn('/bin/echo', ['x'.repeat(100)], { stdio: 'ignore' });
    const code = await new Promise<number | null>((r) => proc.on('exit', r));
    expect(code).toBe(0);
    const events = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const exec = events.find((e) => e.kind === 'exec' && e.pid === child.pid);
    expect(exec).toBeDefined();
    expect(typeof exec.startNs).toBe('string');
    expect(exec.argvTruncated).toBe(true);
    expect(exec.argv[0]).toBe('/bin/echo');
  }, 120_000);
});
