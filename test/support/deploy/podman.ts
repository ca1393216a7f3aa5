// A private podman for the container tests (test/deploy/container.test.ts): its own
// containers.conf (runc, cgroupfs, no default ulimits, k8s-file logs), image storage under
// DEPLOY_CACHE/podman and runtime state under /run/eqld-test-podman, so the host's
// /var/lib/containers, /run/containers and its podman setup are never read or written. Why those
// engine settings: crun refuses this host's hybrid cgroup layout, and podman 4.3's default
// ulimits fail under runc here. Containers it starts are removed by name when the test process
// exits, even after a failed or timed-out test. It does not pull: no registry is reachable, so
// base images come from a root filesystem tree (importBase).
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEPLOY_CACHE, runToEnd } from './rootfs.js';

const execFileP = promisify(execFile);

const STORAGE = join(DEPLOY_CACHE, 'podman', 'storage');
const RUN_DIR = '/run/eqld-test-podman';
const CONF = join(DEPLOY_CACHE, 'podman', 'containers.conf');

const CONF_TEXT = `# written by test/support/deploy/podman.ts
[containers]
default_ulimits = []
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "${RUN_DIR}/events.log"
tmp_dir = "${RUN_DIR}/tmp"

[network]
network_config_dir = "${join(DEPLOY_CACHE, 'podman', 'networks')}"
`;

/** the flags every podman call of the tests carries */
const GLOBAL = ['--root', STORAGE, '--runroot', join(RUN_DIR, 'state'), '--storage-driver', 'overlay'];

export interface PodmanResult {
  code: number;
  stdout: string;
  stderr: string;
}

export class PodmanError extends Error {
  constructor(
    readonly args: readonly string[],
    readonly result: PodmanResult,
  ) {
    super(
      `podman ${args.join(' ')} exited with ${result.code}\n--- stderr (tail) ---\n${result.stderr.slice(-3000)}`,
    );
    this.name = 'PodmanError';
  }
}

function env(): NodeJS.ProcessEnv {
  return { ...process.env, CONTAINERS_CONF: CONF };
}

function prepare(): void {
  for (const d of [STORAGE, join(RUN_DIR, 'tmp'), join(DEPLOY_CACHE, 'podman', 'networks')]) {
    mkdirSync(d, { recursive: true });
  }
  if (!existsSync(CONF) || readFileSync(CONF, 'utf8') !== CONF_TEXT) writeFileSync(CONF, CONF_TEXT);
}

// containers started through run() and not removed yet: removed at exit whatever happened
const live = new Set<string>();
process.once('exit', () => {
  for (const name of live) {
    spawnSync('podman', [...GLOBAL, 'rm', '-f', '-t', '0', name], { env: env(), stdio: 'ignore' });
  }
});

/** Runs podman with the private setup; resolves with its status and output, never throws on it. */
export async function podman(args: readonly string[], timeoutMs = 120_000): Promise<PodmanResult> {
  prepare();
  try {
    const { stdout, stderr } = await execFileP('podman', [...GLOBAL, ...args], {
      env: env(),
      timeout: timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    const timedOut = e.killed ? `\n(killed after ${timeoutMs} ms)` : '';
    return {
      code: typeof e.code === 'number' ? e.code : -1,
      stdout: e.stdout ?? '',
      stderr: `${e.stderr ?? String(err)}${timedOut}`,
    };
  }
}

/** podman(), throwing a PodmanError with its stderr when it fails; resolves with stdout. */
export async function podmanOk(args: readonly string[], timeoutMs?: number): Promise<string> {
  const r = await podman(args, timeoutMs);
  if (r.code !== 0) throw new PodmanError(args, r);
  return r.stdout;
}

/** Imports a root filesystem tree as a local image (tar | podman import), once per key: the
 *  image's tag is the key, so a rebuilt tree (a new key) is imported again. Returns its name. */
export async function importBase(tree: string, key: string): Promise<string> {
  const name = `localhost/eqld-test-base:${key}`;
  if ((await podman(['image', 'exists', name])).code === 0) return name;
  prepare();
  // under the deploy cache's lock: two test files importing at once would store it twice
  await runToEnd(
    'flock',
    [
      join(DEPLOY_CACHE, '.lock'),
      'bash',
      '-o',
      'pipefail',
      '-c',
      'tree=$1 name=$2; shift 2; podman "$@" image exists "$name" || tar -C "$tree" -c . | podman "$@" import - "$name" >/dev/null',
      'import',
      tree,
      name,
      ...GLOBAL,
    ],
    10 * 60_000,
    env(),
  );
  return name;
}

/** The CA bundle this host's npm trusts beyond node's own (a TLS-intercepting proxy's), if any. */
export function hostNpmCaFile(): string | undefined {
  const fromEnv = process.env.NODE_EXTRA_CA_CERTS;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  const r = spawnSync('npm', ['config', 'get', 'cafile'], { encoding: 'utf8' });
  const file = r.stdout?.trim();
  return file && file !== 'null' && file !== 'undefined' && existsSync(file) ? file : undefined;
}

export interface BuildOptions {
  context: string;
  tag: string;
  /** build only up to this stage (--target) */
  target?: string;
  buildArgs?: Record<string, string>;
  /** build-time bind mounts (podman build -v), HOST:CONTAINER[:ro] */
  volumes?: string[];
  /** where podman's output goes (kept for a failed build's diagnosis) */
  logFile: string;
  timeoutMs?: number;
}

/** podman build --network=host (npm ci reaches the npm registry as the host does). */
export async function build(opts: BuildOptions): Promise<void> {
  prepare();
  const args = ['build', '--network=host', '-t', opts.tag];
  if (opts.target) args.push('--target', opts.target);
  for (const [k, v] of Object.entries(opts.buildArgs ?? {})) args.push('--build-arg', `${k}=${v}`);
  for (const v of opts.volumes ?? []) args.push('-v', v);
  args.push(opts.context);
  const code = await new Promise<number>((resolve, reject) => {
    const out = spawn('sh', ['-c', 'exec podman "$@" >"$0" 2>&1', opts.logFile, ...GLOBAL, ...args], {
      env: env(),
      stdio: 'ignore',
    });
    const t = setTimeout(() => out.kill('SIGKILL'), opts.timeoutMs ?? 15 * 60_000);
    out.once('error', reject);
    out.once('exit', (c) => {
      clearTimeout(t);
      resolve(c ?? -1);
    });
  });
  if (code !== 0) {
    const log = readFileSync(opts.logFile, 'utf8');
    throw new Error(`podman build failed (${code}); ${opts.logFile} ends with:\n${log.slice(-4000)}`);
  }
}

/** Removes untagged images that nothing tagged builds on: the layers of earlier builds. Layers
 *  an earlier build made and a tagged image still uses (its build cache) stay. */
export async function pruneImages(): Promise<void> {
  await podmanOk(['image', 'prune', '-f']);
}

/** podman run -d --name NAME ...args; the container is removed at exit if the test does not. */
export async function runDetached(name: string, args: readonly string[]): Promise<void> {
  live.add(name);
  await podmanOk(['run', '-d', '--name', name, ...args]);
}

/** The container's main process as the host sees it (0 once it has stopped). */
export async function mainPid(name: string): Promise<number> {
  return Number((await podmanOk(['inspect', '--format', '{{.State.Pid}}', name])).trim());
}

export async function state(name: string): Promise<{ status: string; exitCode: number }> {
  const out = await podmanOk(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', name]);
  const [status = '', code = ''] = out.trim().split(' ');
  return { status, exitCode: Number(code) };
}

export async function logs(name: string): Promise<string> {
  const r = await podman(['logs', name]);
  return r.stdout + r.stderr;
}

/** Removes the container (stopping it at once if it still runs); fine when it is already gone. */
export async function remove(name: string): Promise<void> {
  await podman(['rm', '-f', '-t', '0', name]);
  live.delete(name);
}
