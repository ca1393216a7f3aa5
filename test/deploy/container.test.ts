// The Dockerfile, built and run for real: podman builds it from a local base image with the
// contents of node:20-bookworm-slim (test/support/deploy/build-rootfs.sh; no registry is
// reachable), then runs the `docker run` line written at the top of the Dockerfile, flag for
// flag, with the host paths swapped for the test's own (a private rsyslogd's socket as /dev/log,
// scratch state and log directories). On the real kernel it proves: `eqld doctor` passes inside;
// an attack on the host (in the test's network namespaces) raises exactly one alert at that
// syslog; `podman stop` ends it cleanly within the documented stop timeout and leaves none of
// its bpftrace processes; a second run ended with `podman kill` (SIGKILL) leaves none either.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  alertDocument,
  connectThenSetsid,
  get,
  namesDestination,
  ROOT_RULE,
  readAlertsFile,
  ruleNameOf,
} from '../e2e/attack-kit.js';
import {
  build,
  hostNpmCaFile,
  importBase,
  logs,
  mainPid,
  podman,
  podmanOk,
  pruneImages,
  remove,
  runDetached,
  state,
} from '../support/deploy/podman.js';
import { DEPLOY_CACHE, describeDeploy, ensureRootfs, REPO_ROOT } from '../support/deploy/rootfs.js';
import { waitFor } from '../support/deploy/wait-for.js';
import { processTree } from '../support/eqld-process.js';
import { createTopology, type Listener, startListener, type Topology } from '../support/netns.js';
import { RSYSLOGD, type Rsyslog, startRsyslog } from '../support/rsyslog.js';

const IMAGE = 'localhost/eqld-test:latest';
const BUILD_STAGE_IMAGE = 'localhost/eqld-test-build:latest';
const BUILD_TIMEOUT_MS = 15 * 60_000;
const ALERT_TIMEOUT_MS = 20_000;

/** The `docker run` line in the Dockerfile's header, as argv after `docker run`. */
function documentedRunArgs(): string[] {
  const lines = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^#\s+docker run /.test(l));
  if (start < 0) throw new Error('Dockerfile: no `docker run` line in the header');
  let text = '';
  for (let i = start; i < lines.length; i++) {
    const l = (lines[i] ?? '').replace(/^#\s*/, '');
    text += ` ${l.replace(/\\$/, '')}`;
    if (!l.endsWith('\\')) break;
  }
  const words = text.trim().split(/\s+/);
  if (words[0] !== 'docker' || words[1] !== 'run') throw new Error(`unexpected run line: ${text}`);
  return words.slice(2);
}

interface RunPlan {
  args: string[];
  name: string;
}

/** The documented line with the test's container name, image and host paths. Every host path it
 *  mounts must be one the test knows how to swap or keep, so the line cannot drift unseen. */
function planRun(
  name: string,
  swaps: { devLog: string; stateDir: string; logDir: string; image: string },
): RunPlan {
  const doc = documentedRunArgs();
  const keep = new Set([
    '/sys/kernel/tracing:/sys/kernel/tracing',
    '/sys/kernel/btf:/sys/kernel/btf:ro',
    '/etc/machine-id:/etc/machine-id:ro',
  ]);
  const swap: Record<string, string> = {
    '/dev/log:/dev/log': `${swaps.devLog}:/dev/log`,
    '/var/lib/eqld:/var/lib/eqld': `${swaps.stateDir}:/var/lib/eqld`,
    '/var/log/eqld:/var/log/eqld': `${swaps.logDir}:/var/log/eqld`,
  };
  const args: string[] = [];
  for (let i = 0; i < doc.length; i++) {
    const w = doc[i] as string;
    if (w === '-d') continue; // runDetached adds it
    if (w === '--name') {
      i++;
      continue; // runDetached names it
    }
    if (w === '-v') {
      const v = doc[++i] as string;
      if (keep.has(v)) args.push('-v', v);
      else if (swap[v] !== undefined) args.push('-v', swap[v]);
      else throw new Error(`Dockerfile's run line mounts ${v}: teach the test what it is`);
      continue;
    }
    if (i === doc.length - 1) {
      if (w !== 'eqld') throw new Error(`Dockerfile's run line ends with ${w}, not the image eqld`);
      args.push(swaps.image);
      continue;
    }
    args.push(w);
  }
  return { args, name };
}

/** pid and start time (clock ticks since boot) of a process: a pid reused later is not it */
function identity(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid}:${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
  } catch {
    return undefined;
  }
}

function comm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** The bpftrace processes under the container's main process, with their identities. */
function bpftraceOf(main: number): string[] {
  return processTree(main)
    .filter((p) => p !== main && comm(p) === 'bpftrace')
    .map(identity)
    .filter((x): x is string => x !== undefined);
}

/** Of the recorded processes, those still alive (same pid, same start time). */
function stillAlive(ids: readonly string[]): string[] {
  return ids.filter((id) => identity(Number(id.split(':')[0])) === id);
}

describeDeploy(['podman', 'runc', 'tar', RSYSLOGD])(
  'the Dockerfile under podman (real kernel, host syslog)',
  () => {
    const tag = Math.random().toString(16).slice(2, 10);
    let dir: string;
    let topo: Topology;
    let rsyslog: Rsyslog;
    const listeners: Listener[] = [];
    const containers: string[] = [];
    let nextPort = 20_000 + Math.floor(Math.random() * 20_000);
    const hostMachineId = readFileSync('/etc/machine-id', 'utf8').trim();

    /** starts the documented run line as container NAME; resolves once eqld runs, with its pids */
    async function startContainer(
      name: string,
    ): Promise<{ main: number; bpftrace: string[]; logDir: string }> {
      const stateDir = mkdtempSync(join(dir, `${name}-state-`));
      const logDir = mkdtempSync(join(dir, `${name}-log-`));
      const plan = planRun(name, {
        devLog: rsyslog.socketPath as string,
        stateDir,
        logDir,
        image: IMAGE,
      });
      containers.push(name);
      await runDetached(name, plan.args);
      await waitFor(
        async () => {
          const text = await logs(name);
          if (text.includes('"msg":"eqld running"')) return true;
          const s = await state(name);
          if (s.status !== 'running') throw new Error(`${name} ${s.status} (exit ${s.exitCode}):\n${text}`);
          return undefined;
        },
        60_000,
        `"eqld running" in the logs of ${name}`,
        100,
      );
      const main = await mainPid(name);
      expect(comm(main)).toBe('node');
      // the process program is attached once eqld runs; the image's rules (the bundled ones) take
      // no file event, so the file program is not started (src/agent/file-program.ts)
      expect(await logs(name)).toContain('"msg":"file events off');
      const bpftrace = await waitFor(
        async () => {
          const b = bpftraceOf(main);
          return b.length >= 1 ? b : undefined;
        },
        10_000,
        `the bpftrace process under ${name}'s eqld (pid ${main})`,
        100,
      );
      await new Promise((r) => setTimeout(r, 2000));
      expect(bpftraceOf(main)).toHaveLength(1);
      return { main, bpftrace, logDir };
    }

    async function attackerPort(): Promise<number> {
      const port = nextPort++;
      listeners.push(await startListener(topo.attacker, '0.0.0.0', port));
      return port;
    }

    /** syslog lines of the container's eqld naming process `pid` */
    async function linesForPid(pid: number): Promise<string[]> {
      const re = new RegExp(`\\bpid ${pid}\\b`);
      return (await rsyslog.lines()).filter((l) => l.includes('type=alert') && re.test(l));
    }

    async function rootAttack(): Promise<{ pid: number; port: number; line: string }> {
      const port = await attackerPort();
      const r = await connectThenSetsid(topo.victim, topo.publicAddress, port, { mode: 'same' });
      expect(r.setsidRet).toBe(r.setsidPid);
      const line = await waitFor(
        async () =>
          (await linesForPid(r.connectPid)).find(
            (l) => l.includes(ROOT_RULE) && namesDestination(l, topo.publicAddress, port),
          ),
        ALERT_TIMEOUT_MS,
        `a "${ROOT_RULE}" alert for pid ${r.connectPid} -> ${topo.publicAddress}:${port} at the test syslog`,
        100,
      );
      return { pid: r.connectPid, port, line };
    }

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'eqld-container-'));
      const rootfs = await ensureRootfs();
      const key = readFileSync(`${rootfs.base}.ok`, 'utf8')
        .trim()
        .replace(/[^\w.-]+/g, '-');
      const base = await importBase(rootfs.base, key);
      const ca = hostNpmCaFile();
      const common = {
        context: REPO_ROOT,
        buildArgs: {
          BASE: base,
          ...(ca ? { NODE_EXTRA_CA_CERTS: '/run/eqld-build-ca.pem' } : {}),
        },
        volumes: ca ? [`${ca}:/run/eqld-build-ca.pem:ro`] : [],
        logFile: join(DEPLOY_CACHE, 'podman', 'build.log'),
        timeoutMs: BUILD_TIMEOUT_MS,
      };
      // the build stage gets a tag of its own, so pruning the earlier builds' layers keeps its
      // cache (apt-get, npm ci); the second build reuses it
      await build({ ...common, tag: BUILD_STAGE_IMAGE, target: 'build' });
      await build({ ...common, tag: IMAGE });
      await pruneImages();
      topo = await createTopology();
      rsyslog = await startRsyslog({ dir: join(dir, 'rsyslog'), localSocket: true });
    }, BUILD_TIMEOUT_MS + 120_000);

    afterAll(async () => {
      for (const c of containers) await remove(c);
      for (const l of listeners) await l.stop();
      await rsyslog?.stop();
      await topo?.destroy();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    let first: { main: number; bpftrace: string[]; logDir: string } | undefined;
    const firstName = `eqld-test-${tag}-a`;

    it('starts eqld from the documented run line, and `eqld doctor` passes inside', async () => {
      first = await startContainer(firstName);
      const r = await podman(['exec', firstName, 'eqld', 'doctor'], 60_000);
      expect(r.stderr).toBe('');
      expect(r.stdout).toContain('eqld can run here');
      expect(r.stdout).not.toMatch(/^FAIL/m);
      expect(r.code).toBe(0);
    }, 120_000);

    it('alerts once at the host syslog for a root connect+setsid on the host, as host pids and the host machine id', async () => {
      expect(first, 'the first container runs').toBeDefined();
      const attack = await rootAttack();
      // the sender's pid (RFC 5424 PROCID, as rsyslog writes it) is eqld's pid on the host:
      // --pid=host puts it in the host's pid namespace
      expect(attack.line).toMatch(new RegExp(` eqld ${first?.main} `));
      expect(attack.line).toMatch(/perl/);
      // a second attack's alert has arrived, so a duplicate of the first would have too
      await rootAttack();
      expect(await linesForPid(attack.pid)).toHaveLength(1);
      const docs = readAlertsFile(join(first?.logDir as string, 'alerts.ndjson'))
        .filter((a) => ruleNameOf(a) === ROOT_RULE)
        .map(alertDocument)
        .filter((d) => get(d, 'process.pid') === attack.pid);
      expect(docs).toHaveLength(1);
      expect(get(docs[0], 'host.id')).toBe(hostMachineId);
      expect(get(docs[0], 'user.id')).toBe('0');
    }, 60_000);

    it('`podman stop` ends eqld cleanly within the documented stop timeout and leaves none of its bpftrace', async () => {
      expect(first, 'the first container runs').toBeDefined();
      const { bpftrace } = first as { bpftrace: string[] };
      const timeoutS = Number(/--stop-timeout[= ](\d+)/.exec(documentedRunArgs().join(' '))?.[1]);
      expect(timeoutS, 'the run line sets --stop-timeout').toBeGreaterThan(20); // eqld drains 20 s
      const t0 = Date.now();
      await podmanOk(['stop', firstName], (timeoutS + 30) * 1000);
      const elapsedMs = Date.now() - t0;
      const s = await state(firstName);
      const text = await logs(firstName);
      expect(s, text.slice(-3000)).toEqual({ status: 'exited', exitCode: 0 });
      expect(elapsedMs).toBeLessThan(timeoutS * 1000);
      expect(stillAlive(bpftrace)).toEqual([]);
    }, 120_000);

    it('`podman kill` (SIGKILL) of a second run leaves none of its bpftrace either', async () => {
      const name = `eqld-test-${tag}-b`;
      const second = await startContainer(name);
      await podmanOk(['kill', name]);
      await podmanOk(['wait', name], 30_000);
      expect((await state(name)).exitCode).toBe(137);
      // bpftrace runs under setpriv --pdeathsig KILL: it gets SIGKILL as eqld dies
      const end = Date.now() + 5_000;
      while (stillAlive(second.bpftrace).length > 0 && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(stillAlive(second.bpftrace)).toEqual([]);
    }, 120_000);
  },
);
