// The systemd unit under a real systemd: a Debian bookworm machine booted with systemd-nspawn,
// eqld installed in it by scripts/install.sh exactly as the README says, and the installed unit
// driven with systemctl. The machine has a pid namespace of its own, so this is also eqld in a
// pid namespace that is not the kernel's (collector/pid-namespace.ts): kernel pids are the host's,
// /proc is the machine's. The machine lives in the victim namespace of a test topology: the attack
// it runs reaches only the test's attacker namespace.
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PERL_CONNECT_SETSID, ROOT_RULE } from '../e2e/attack-kit.js';
import { NspawnMachine } from '../support/deploy/nspawn.js';
import { describeDeploy, ensureRootfs, REPO_ROOT } from '../support/deploy/rootfs.js';
import { waitFor } from '../support/deploy/wait-for.js';
import { readCompleteNdjson } from '../support/ndjson.js';
import { createTopology, type Listener, startListener, type Topology } from '../support/netns.js';

/** one of Elastic's file rules: the unit then runs the file program too */
const FILE_RULE = fileURLToPath(
  new URL('../fixtures/elastic-file-rules/persistence_systemd_service_creation.toml', import.meta.url),
);

const CAPS: Record<string, number> = {
  CAP_SYS_PTRACE: 19,
  CAP_SYS_ADMIN: 21,
  CAP_SYS_NICE: 23,
  CAP_SYS_RESOURCE: 24,
  CAP_PERFMON: 38,
  CAP_BPF: 39,
};

/** the unit's CapabilityBoundingSet= as the kernel's CapBnd mask */
function unitBoundingSet(): bigint {
  const unit = readFileSync(join(REPO_ROOT, 'systemd/eqld.service'), 'utf8');
  const line = /^CapabilityBoundingSet=(.*)$/m.exec(unit)?.[1] ?? '';
  let mask = 0n;
  for (const name of line.split(/\s+/).filter(Boolean)) {
    const bit = CAPS[name];
    if (bit === undefined) throw new Error(`unknown capability ${name} in the unit`);
    mask |= 1n << BigInt(bit);
  }
  return mask;
}

type Doc = Record<string, unknown>;
const field = (d: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Doc)[k] : undefined), d);

const localRule = (marker: string) => `[metadata]
creation_date = "2026/12/05"
maturity = "production"
updated_date = "2026/12/05"

[rule]
author = ["eqld tests"]
description = "A local rule added while eqld runs under systemd."
from = "now-9m"
index = ["logs-endpoint.events.process*"]
language = "eql"
license = "Apache-2.0"
name = "Local Reload Rule"
risk_score = 21
rule_id = "00000000-0000-4000-8000-00000000d16a"
severity = "low"
type = "eql"
query = '''
process where event.type == "start" and process.command_line : "*${marker}*"
'''
`;

describeDeploy(['systemd-nspawn', 'nsenter'])(
  'the systemd unit under a real systemd (systemd-nspawn)',
  () => {
    let dir: string;
    let topo: Topology;
    let listener: Listener;
    let machine: NspawnMachine;
    const marker = `eqld-d16-${randomBytes(4).toString('hex')}`;

    const journal = async (...args: string[]) =>
      (await machine.run(['journalctl', '--no-pager', '-o', 'cat', ...args])).split('\n').filter(Boolean);
    const logs = async (): Promise<Doc[]> =>
      (await journal('-u', 'eqld')).flatMap((l) => {
        try {
          return [JSON.parse(l) as Doc];
        } catch {
          return [];
        }
      });
    // a last line without its newline is being written: not read yet
    const alerts = (): Doc[] => readCompleteNdjson<Doc>(machine.path('var/log/eqld/alerts.ndjson'));
    const show = async (prop: string) =>
      (await machine.run(['systemctl', 'show', '-P', prop, 'eqld.service'])).trim();
    /** bpftrace processes inside the machine: pid (the machine's numbering) and parent */
    const bpftraces = async () =>
      (await machine.exec(['pgrep', '-x', 'bpftrace'])).stdout
        .split('\n')
        .filter(Boolean)
        .map(async (p) => {
          const status = await machine.run(['cat', `/proc/${p}/status`]);
          const get = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
          return { pid: Number(p), ppid: Number(get('PPid')), status, get };
        });
    const running = async () => Promise.all(await bpftraces());
    const eqldRunning = (after: number) =>
      waitFor(
        async () => (await logs()).slice(after).find((l) => l.msg === 'eqld running'),
        120_000,
        'eqld running in the journal',
      );

    beforeAll(async () => {
      const trees = await ensureRootfs();
      dir = mkdtempSync(join(tmpdir(), 'eqld-nspawn-'));
      topo = await createTopology();
      listener = await startListener(topo.attacker, topo.publicAddress);
      machine = await NspawnMachine.boot({
        tree: trees.systemd,
        netnsPath: `/run/netns/${topo.victim.name}`,
        bindReadOnly: { [REPO_ROOT]: '/src/eqld' },
        consoleLog: join(dir, 'console.log'),
      });
    }, 600_000);

    afterAll(async () => {
      // each step runs even when one before it failed
      for (const step of [() => machine?.shutdown(), () => listener?.stop(), () => topo?.destroy()]) {
        await Promise.resolve()
          .then(step)
          .catch((err: unknown) => process.stderr.write(`cleanup: ${(err as Error).message}\n`));
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 120_000);

    it('installs with scripts/install.sh as the README says, and the unit starts eqld with bpftrace attached under its bounding set and sandbox', async () => {
      // a local file rule, so that the unit runs both programs (the bundled rules take no file
      // event, and eqld then starts no file program)
      mkdirSync(machine.path('etc/eqld/rules'), { recursive: true });
      copyFileSync(FILE_RULE, machine.path('etc/eqld/rules/systemd-service-created.toml'));
      const out = await machine.run(['sh', '-c', 'cd /src/eqld && scripts/install.sh'], 300_000);
      expect(out).toContain('eqld.service enabled and started');
      const ready = await eqldRunning(0);
      expect(ready.rules).toBe(3);
      expect(await show('ActiveState')).toBe('active');
      const mainPid = Number(await show('MainPID'));
      // the kernel bounds bpftrace by the unit's set within the machine's own (nspawn's, itself
      // within this host's)
      const pid1 = await machine.run(['cat', '/proc/1/status']);
      const machineSet = BigInt(`0x${/^CapBnd:\s*(\w+)$/m.exec(pid1)?.[1]}`);
      const bpf = await running();
      expect(bpf).toHaveLength(2); // the process and the file program
      for (const b of bpf) {
        expect(b.ppid).toBe(mainPid);
        expect(BigInt(`0x${b.get('CapBnd')}`)).toBe(unitBoundingSet() & machineSet);
        expect(b.get('NoNewPrivs')).toBe('1');
        expect(b.get('Seccomp')).toBe('2');
      }
      // the machine's own pid namespace is seen and said
      const warn = (await logs()).find((l) => String(l.msg).includes('a pid namespace of its own'));
      expect(warn?.level).toBe(40);
      // its own events are left out by the pid the kernel gives it, learned from the ready line
      const self = (await logs()).find((l) => l.msg === "eqld's pid as the kernel numbers it");
      expect(self?.pid).toBe(mainPid);
      expect(self?.kernelPid).not.toBe(mainPid);
    });

    it('passes eqld doctor inside, saying what the pid namespace changes', async () => {
      const r = await machine.exec(['eqld', 'doctor']);
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('eqld can run here'),
        stderr: '',
      });
      expect(r.stdout).toMatch(/^ok {3}bpf-load: /m);
      expect(r.stdout).toMatch(/^warn pid-namespace: a pid namespace of its own/m);
    });

    it('alerts once, in the journal and the alerts file, when a root process in the machine connects to a public address and calls setsid', async () => {
      const before = (await journal('SYSLOG_FACILITY=10')).length;
      const r = await machine.run([
        'perl',
        '-e',
        PERL_CONNECT_SETSID,
        topo.publicAddress,
        String(listener.port),
        'same',
        marker,
      ]);
      expect(r).toMatch(/connect=\d+ setsid=\d+ ret=\d+/);
      const mine = () =>
        alerts().filter((a) => field(a, 'rule.name') === ROOT_RULE && JSON.stringify(a).includes(marker));
      const [alert] = await waitFor(
        async () => (mine().length > 0 ? mine() : undefined),
        30_000,
        'the alert',
      );
      const kernelPid = field(alert, 'process.pid') as number;
      // the alert names the process by the kernel's pid (the host's), not the machine's
      expect(kernelPid).toBeGreaterThan(0);
      // the sequence's connect names the destination
      expect(JSON.stringify(alert)).toContain(`"${topo.publicAddress}"`);
      const syslog = await waitFor(
        async () => {
          const lines = (await journal('SYSLOG_FACILITY=10')).slice(before);
          const found = lines.filter((l) => l.includes(ROOT_RULE) && l.includes(`pid ${kernelPid}`));
          return found.length > 0 ? found : undefined;
        },
        15_000,
        'the alert in the journal',
      );
      await new Promise((res) => setTimeout(res, 2_000));
      expect(mine()).toHaveLength(1);
      expect(syslog).toHaveLength(1);
    });

    it('re-reads the rules on systemctl reload: a rule added to /etc/eqld/rules fires without a restart', async () => {
      const pid = await show('MainPID');
      writeFileSync(machine.path('etc/eqld/rules/local-reload.toml'), localRule(`${marker}-reload`));
      const seen = (await logs()).length;
      await machine.run(['systemctl', 'reload', 'eqld']);
      await waitFor(
        async () => (await logs()).slice(seen).find((l) => l.msg === 'reloaded'),
        30_000,
        'the reload',
      );
      const loaded = (await logs()).slice(seen).find((l) => l.msg === 'rules loaded');
      expect(loaded?.loaded).toBe(4);
      expect(await show('MainPID')).toBe(pid);
      await machine.run(['sh', '-c', `true ${marker}-reload`]);
      await waitFor(
        async () =>
          alerts().find(
            (a) => field(a, 'rule.name') === 'Local Reload Rule' && JSON.stringify(a).includes(marker),
          ),
        30_000,
        'the local rule to fire',
      );
    });

    it('after systemctl kill -s KILL, systemd restarts eqld, which reports the unwatched span, and no bpftrace is orphaned', async () => {
      const oldPid = Number(await show('MainPID'));
      const restarts = Number(await show('NRestarts'));
      const seen = (await logs()).length;
      await machine.run(['systemctl', 'kill', '-s', 'KILL', 'eqld']);
      await waitFor(
        async () => (Number(await show('NRestarts')) > restarts ? true : undefined),
        60_000,
        'systemd to restart eqld',
      );
      await eqldRunning(seen);
      const newPid = Number(await show('MainPID'));
      expect(newPid).not.toBe(oldPid);
      const bpf = await running();
      expect(bpf).toHaveLength(2);
      for (const b of bpf) expect(b.ppid).toBe(newPid);
      const gap = await waitFor(
        async () =>
          alerts().find(
            (a) =>
              field(a, 'rule.name') === 'eqld Telemetry Loss' &&
              String(field(a, 'message')).includes('previous run'),
          ),
        30_000,
        'the telemetry-loss alert',
      );
      expect(String(field(gap, 'message'))).toMatch(/ended without a clean stop/);
    });

    it('writes the health line to the journal, and stops cleanly on systemctl stop, leaving no bpftrace', async () => {
      const seen = (await logs()).length;
      expect((await logs()).some((l) => l.msg === 'health')).toBe(true);
      const t0 = Date.now();
      await machine.run(['systemctl', 'stop', 'eqld'], 60_000);
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(await show('ActiveState')).toBe('inactive');
      expect(await show('Result')).toBe('success');
      expect(await show('ExecMainStatus')).toBe('0');
      expect(await running()).toHaveLength(0);
      expect((await logs()).slice(seen).some((l) => l.msg === 'stopped')).toBe(true);
    });

    it('keeps systemd-analyze security exposure at most 3 for the installed unit', async () => {
      const out = await machine.run(['systemd-analyze', 'security', '--no-pager', 'eqld.service']);
      const level = Number(/Overall exposure level for eqld\.service: ([\d.]+)/.exec(out)?.[1]);
      expect(level).toBeLessThanOrEqual(3);
    });
  },
);
