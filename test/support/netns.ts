// Test network namespaces: every connect to a public-looking address in the real-kernel tests
// happens inside a namespace created here, never in the main one (DEVELOPERS network rule).
//
// Topology made by createTopology():
//
//   victim ns  [lo 127.0.0.1] [veth 10.254.N.1/30] --veth-- [10.254.N.2/30 + PUBLIC/32] attacker ns
//
// The victim has a host route to PUBLIC only, so a connect to PUBLIC sends a real SYN that the
// attacker namespace answers, and a connect to UNROUTED fails at once with ENETUNREACH. The veth
// pair is created inside the victim namespace with its peer placed straight into the attacker
// namespace, so the main namespace never sees a link, address or route change.
// What this does not do: NAT, IPv6, or anything in the main namespace.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** held only by the test's attacker namespace (not in any range the bundled rules exclude) */
export const DEFAULT_PUBLIC_ADDRESS = '8.8.8.8';
/** no route to it from the victim namespace: connect fails with ENETUNREACH at once */
export const DEFAULT_UNROUTED_ADDRESS = '1.1.1.1';
/** the IPv6 counterpart held by the attacker namespace (outside ::1, fe80::/10, ff00::/8) */
export const DEFAULT_PUBLIC_ADDRESS6 = '2001:4860:4860::8888';

export class NetnsError extends Error {
  constructor(
    message: string,
    readonly command: string[],
    options?: { cause?: unknown },
  ) {
    super(`${message} (command: ${command.join(' ')})`, options);
    this.name = 'NetnsError';
  }
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

async function run(cmd: string, args: string[], timeoutMs = 10_000): Promise<ExecResult> {
  try {
    const { stdout, stderr } = await execFileP(cmd, args, { timeout: timeoutMs, encoding: 'utf8' });
    return { stdout, stderr };
  } catch (err) {
    const e = err as { stderr?: string; message?: string };
    throw new NetnsError(`failed: ${(e.stderr ?? e.message ?? '').trim()}`, [cmd, ...args], { cause: err });
  }
}

export interface Netns {
  readonly name: string;
  /** argv prefix that runs a command inside this namespace */
  readonly prefix: readonly string[];
  exec(cmd: string, args: string[], timeoutMs?: number): Promise<ExecResult>;
  spawn(cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv }): ChildProcess;
  /** pids of every process currently in the namespace */
  pids(): Promise<number[]>;
  destroy(): Promise<void>;
}

const live = new Set<string>();

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

async function pidsOf(name: string): Promise<number[]> {
  try {
    const { stdout } = await run('ip', ['netns', 'pids', name]);
    return stdout
      .split('\n')
      .map((l) => Number.parseInt(l, 10))
      .filter((n) => Number.isInteger(n) && n > 0);
  } catch {
    return [];
  }
}

/** Kills what runs inside the namespace (only processes the test started there) and deletes it. */
async function destroyByName(name: string): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const pids = await pidsOf(name);
    if (pids.length === 0) break;
    for (const pid of pids) killPid(pid);
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    await run('ip', ['netns', 'del', name]);
  } catch (err) {
    if (!/No such file|not found|Cannot remove/.test(String((err as Error).message))) throw err;
  }
  live.delete(name);
}

// Last resort when a test process exits without its afterAll (crash, timeout kill): delete the
// namespaces this process created, after killing what runs in them. Synchronous, as 'exit' needs.
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const name of live) {
      try {
        const pids = execFileSync('ip', ['netns', 'pids', name], { encoding: 'utf8' });
        for (const pid of pids
          .split('\n')
          .map(Number)
          .filter((n) => n > 0))
          killPid(pid);
        execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
      } catch {
        // best effort at exit
      }
    }
  });
}

export async function createNetns(tag = 'ns'): Promise<Netns> {
  const name = `eqld-t-${tag}-${randomBytes(4).toString('hex')}`;
  installExitHook();
  await run('ip', ['netns', 'add', name]);
  live.add(name);
  try {
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await destroyByName(name);
    throw err;
  }
  const prefix = ['ip', 'netns', 'exec', name] as const;
  return {
    name,
    prefix,
    exec: (cmd, args, timeoutMs) => run('ip', ['netns', 'exec', name, cmd, ...args], timeoutMs),
    spawn: (cmd, args, opts) =>
      spawn('ip', ['netns', 'exec', name, cmd, ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: opts?.env ?? process.env,
      }),
    pids: () => pidsOf(name),
    destroy: () => destroyByName(name),
  };
}

/** Deletes every namespace this process created and has not destroyed yet. */
export async function destroyAllNetns(): Promise<void> {
  for (const name of [...live]) await destroyByName(name);
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  readonly pid: number;
  /** remote addresses of the connections accepted so far */
  accepted(): string[];
  waitForAccept(count: number, timeoutMs?: number): Promise<string[]>;
  stop(): Promise<void>;
}

// A TCP listener that prints one line per accepted connection; runs as its own node process
// inside the namespace so the test process never joins another namespace.
const LISTENER_JS = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const srv = net.createServer((s) => { process.stdout.write('accept ' + s.remoteAddress + '\\n'); s.on('error', () => {}); s.end(); });
srv.listen(Number(port), host, () => process.stdout.write('listening ' + srv.address().port + '\\n'));
`;

export async function startListener(ns: Netns, address: string, port = 0): Promise<Listener> {
  const child = ns.spawn(process.execPath, ['-e', LISTENER_JS, address, String(port)]);
  const pid = child.pid;
  if (pid === undefined) throw new NetnsError('listener did not start', [...ns.prefix, 'node']);
  const accepted: string[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += String(d);
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const bound = new Promise<number>((resolve, reject) => {
    const t = setTimeout(() => reject(new NetnsError(`listener not ready: ${stderr}`, ['node'])), 10_000);
    child.once('exit', (code) => {
      clearTimeout(t);
      reject(new NetnsError(`listener exited with ${code}: ${stderr}`, ['node']));
    });
    lines.on('line', (line) => {
      const m = /^listening (\d+)$/.exec(line);
      if (m) {
        clearTimeout(t);
        resolve(Number(m[1]));
      } else if (line.startsWith('accept ')) {
        accepted.push(line.slice(7));
        for (const w of waiters) w();
      }
    });
  });
  const boundPort = await bound;
  return {
    address,
    port: boundPort,
    pid,
    accepted: () => [...accepted],
    waitForAccept: (count, timeoutMs = 5_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (accepted.length >= count) {
            waiters.delete(check);
            clearTimeout(t);
            resolve([...accepted]);
          }
        };
        const t = setTimeout(() => {
          waiters.delete(check);
          reject(new NetnsError(`listener saw ${accepted.length} of ${count} connections`, ['node']));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    stop: async () => {
      killPid(pid);
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
      );
    },
  };
}

export interface Topology {
  victim: Netns;
  attacker: Netns;
  /** the victim's veth address (the source of its connects) */
  victimAddress: string;
  /** a private (RFC 1918) address held by the attacker namespace */
  privatePeerAddress: string;
  /** a public-looking address held by the attacker namespace only */
  publicAddress: string;
  /** a public-looking address with no route from the victim */
  unroutedAddress: string;
  /** a public-looking IPv6 address held by the attacker namespace only */
  publicAddress6: string;
  /** the victim's veth IPv6 address (ULA) */
  victimAddress6: string;
  vethVictim: string;
  vethAttacker: string;
  destroy(): Promise<void>;
}

export async function createTopology(
  opts: { publicAddress?: string; unroutedAddress?: string; publicAddress6?: string } = {},
): Promise<Topology> {
  const publicAddress = opts.publicAddress ?? DEFAULT_PUBLIC_ADDRESS;
  const publicAddress6 = opts.publicAddress6 ?? DEFAULT_PUBLIC_ADDRESS6;
  const unroutedAddress = opts.unroutedAddress ?? DEFAULT_UNROUTED_ADDRESS;
  const victim = await createNetns('victim');
  let attacker: Netns | undefined;
  try {
    attacker = await createNetns('attacker');
    const suffix = randomBytes(3).toString('hex');
    const vethVictim = `ev${suffix}`;
    const vethAttacker = `ea${suffix}`;
    const net = 1 + ((randomBytes(1)[0] ?? 0) % 250);
    const victimAddress = `10.254.${net}.1`;
    const privatePeerAddress = `10.254.${net}.2`;
    const v = victim.name;
    const a = attacker.name;
    // created inside the victim ns, peer moved straight into the attacker ns
    await run('ip', [
      '-n',
      v,
      'link',
      'add',
      vethVictim,
      'type',
      'veth',
      'peer',
      'name',
      vethAttacker,
      'netns',
      a,
    ]);
    await run('ip', ['-n', v, 'addr', 'add', `${victimAddress}/30`, 'dev', vethVictim]);
    await run('ip', ['-n', a, 'addr', 'add', `${privatePeerAddress}/30`, 'dev', vethAttacker]);
    await run('ip', ['-n', a, 'addr', 'add', `${publicAddress}/32`, 'dev', vethAttacker]);
    await run('ip', ['-n', v, 'link', 'set', vethVictim, 'up']);
    await run('ip', ['-n', a, 'link', 'set', vethAttacker, 'up']);
    await run('ip', [
      '-n',
      v,
      'route',
      'add',
      `${publicAddress}/32`,
      'via',
      privatePeerAddress,
      'dev',
      vethVictim,
    ]);
    // IPv6: ULA /64 on the veth (nodad: usable at once), the public address on the attacker side
    const victimAddress6 = `fd00:e9:${net}::1`;
    const peer6 = `fd00:e9:${net}::2`;
    await run('ip', ['-n', v, '-6', 'addr', 'add', `${victimAddress6}/64`, 'dev', vethVictim, 'nodad']);
    await run('ip', ['-n', a, '-6', 'addr', 'add', `${peer6}/64`, 'dev', vethAttacker, 'nodad']);
    await run('ip', ['-n', a, '-6', 'addr', 'add', `${publicAddress6}/128`, 'dev', vethAttacker, 'nodad']);
    await run('ip', [
      '-n',
      v,
      '-6',
      'route',
      'add',
      `${publicAddress6}/128`,
      'via',
      peer6,
      'dev',
      vethVictim,
    ]);
    const att = attacker;
    return {
      victim,
      attacker: att,
      victimAddress,
      privatePeerAddress,
      publicAddress,
      unroutedAddress,
      publicAddress6,
      victimAddress6,
      vethVictim,
      vethAttacker,
      destroy: async () => {
        await victim.destroy();
        await att.destroy();
      },
    };
  } catch (err) {
    await victim.destroy();
    await attacker?.destroy();
    throw err;
  }
}

// A one-shot TCP connect from inside a namespace; prints the outcome as JSON.
const CONNECT_JS = `
const net = require('node:net');
const [host, port] = process.argv.slice(1);
const t0 = process.hrtime.bigint();
const s = net.connect({ host, port: Number(port) });
const done = (r) => { process.stdout.write(JSON.stringify({ ...r, ms: Number(process.hrtime.bigint() - t0) / 1e6 })); s.destroy(); process.exit(0); };
s.on('connect', () => done({ ok: true }));
s.on('error', (e) => done({ ok: false, code: e.code }));
setTimeout(() => done({ ok: false, code: 'TIMEOUT' }), 3000);
`;

export async function tryConnect(
  ns: Netns,
  host: string,
  port: number,
): Promise<{ ok: boolean; code?: string; ms: number }> {
  const { stdout } = await ns.exec(process.execPath, ['-e', CONNECT_JS, host, String(port)]);
  return JSON.parse(stdout) as { ok: boolean; code?: string; ms: number };
}
