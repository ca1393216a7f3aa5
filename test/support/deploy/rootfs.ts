// The Debian root filesystems of the deployment tests (test/deploy/): built once per machine by
// build-rootfs.sh under a lock, shared by every test file of a run and kept between local runs in
// .cache/deploy (EQLD_TEST_DEPLOY_CACHE elsewhere). Each test boots or imports a copy-on-write
// overlay of them, never the cached tree itself.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';
import { kernelAvailability } from '../kernel.js';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const BUILDER = join(REPO_ROOT, 'test/support/deploy/build-rootfs.sh');
export const DEPLOY_CACHE = process.env.EQLD_TEST_DEPLOY_CACHE ?? join(REPO_ROOT, '.cache/deploy');

function has(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why the deployment tests cannot run here, or undefined when they can. */
export function deployUnavailable(tools: readonly string[]): string | undefined {
  const kernel = kernelAvailability();
  if (!kernel.ok) return `real kernel unavailable: ${kernel.reason}`;
  if (process.getuid?.() !== 0) return 'needs root';
  const missing = ['debootstrap', 'flock', 'npm', ...tools].filter((t) => !has(t));
  if (missing.length > 0) return `missing ${missing.join(', ')} (scripts/bootstrap.sh installs them)`;
  if (spawnSync('unshare', ['-m', 'true'], { stdio: 'ignore' }).status !== 0) return 'no mount namespaces';
  return undefined;
}

/** describe() when the tools are here, else a loud skip with the reason (never silent). */
export function describeDeploy(tools: readonly string[]): typeof describe {
  const reason = deployUnavailable(tools);
  if (reason === undefined) return describe;
  return ((name: string, fn: () => void) => {
    process.stderr.write(`SKIPPED (deployment test: ${reason}): ${name}\n`);
    return describe.skip(`${name} [skipped: ${reason}]`, fn);
  }) as typeof describe;
}

export interface Rootfs {
  /** bookworm minbase with Node.js and npm in /usr/local: the Dockerfile's base image */
  base: string;
  /** base plus systemd, dbus and bpftrace: boots with systemd-nspawn --boot */
  systemd: string;
}

/**
 * Runs a command to its end without blocking this process (a test worker blocked for minutes
 * misses vitest's RPC deadline): output to ours, rejects on a non-zero exit or after timeoutMs.
 */
export function runToEnd(
  cmd: string,
  args: string[],
  timeoutMs: number,
  env?: NodeJS.ProcessEnv,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], env: env ?? process.env });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} ... exited with ${code ?? signal}`));
    });
  });
}

/** Builds the trees when missing or stale (one builder at a time; the others wait for it). */
export async function ensureRootfs(): Promise<Rootfs> {
  mkdirSync(DEPLOY_CACHE, { recursive: true });
  const npmVersion = execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim();
  await runToEnd(
    'flock',
    [join(DEPLOY_CACHE, '.lock'), 'bash', BUILDER, DEPLOY_CACHE, process.versions.node, npmVersion],
    15 * 60_000,
  );
  return { base: join(DEPLOY_CACHE, 'base'), systemd: join(DEPLOY_CACHE, 'systemd') };
}

/** A writable copy-on-write view of `lower` (overlayfs); dispose() unmounts and removes it. */
export function overlayOf(lower: string): { root: string; dispose: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'eqld-overlay-'));
  const root = join(dir, 'root');
  for (const d of ['upper', 'work', 'root']) mkdirSync(join(dir, d));
  execFileSync('mount', [
    '-t',
    'overlay',
    'overlay',
    '-o',
    `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`,
    root,
  ]);
  return {
    root,
    dispose: () => {
      spawnSync('umount', ['-l', root], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
