// End-to-end attack tests on the real kernel: the built agent (`eqld run`) watches the host with
// bpftrace; a real sshd runs inside a test network namespace; a real rsyslogd receives eqld's
// alerts on its private socket. Attacks must raise exactly one alert each, in syslog, naming the
// child, its sshd-spawned parent and the destination; look-alikes must raise none. Every "must
// not alert" case is followed by a positive control in the same run, and the absence is only
// checked once the control's alert has arrived, so a dead pipeline fails these tests too.
// Public-looking addresses exist only in the test's namespaces (test/support/netns.ts).
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import { createTopology, type Listener, startListener, type Topology } from '../support/netns.js';
import { type Rsyslog, startRsyslog } from '../support/rsyslog.js';
import { type Sshd, startSshd } from '../support/sshd.js';
import {
  alertDocument,
  connectThenSetsid,
  eventsForPids,
  get,
  namesDestination,
  ROOT_RULE,
  readAlertsFile,
  ruleNameOf,
  SSHD_RULE,
  writeBeaconScript,
  writeHiddenBinary,
} from './attack-kit.js';
import { latencySamples, recordLatency } from './latency.js';
import { lossAware } from './loss-aware.js';

const ALERT_TIMEOUT_MS = 10_000;

describeKernel('eqld run end to end (real kernel, sshd, rsyslog)', () => {
  let dir: string;
  let hiddenDir: string;
  let topo: Topology;
  let sshd: Sshd;
  let rsyslog: Rsyslog;
  /** a second, remote-style collector: RFC 5424 over TCP on loopback (--syslog-remote) */
  let remote: Rsyslog;
  let eqld: EqldProcess;
  let nextPort = 20_000 + Math.floor(Math.random() * 20_000);
  const listeners: Listener[] = [];

  const alertsFile = () => join(dir, 'alerts.ndjson');
  const eventsFile = () => join(dir, 'events.ndjson');

  /** a fresh port with a listener on every attacker address (public and private) */
  async function attackerPort(): Promise<number> {
    const port = nextPort++;
    listeners.push(await startListener(topo.attacker, '0.0.0.0', port));
    return port;
  }

  async function syslogLines(rule: string, ip: string, port: number): Promise<string[]> {
    return (await rsyslog.lines()).filter((l) => l.includes(rule) && namesDestination(l, ip, port));
  }

  async function waitForSyslog(rule: string, ip: string, port: number, pids: number[]): Promise<string> {
    try {
      // own 5 ms poll of rsyslog's output (the harness polls at 50 ms) so the latency figure is tight
      const deadline = Date.now() + ALERT_TIMEOUT_MS;
      for (;;) {
        const hit = (await rsyslog.lines()).find((l) => l.includes(rule) && namesDestination(l, ip, port));
        if (hit !== undefined) return hit;
        if (Date.now() > deadline) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 5));
      }
    } catch (err) {
      const diag = [
        `no "${rule}" alert for ${ip}:${port} in syslog within ${ALERT_TIMEOUT_MS} ms`,
        `alerts file: ${readAlertsFile(alertsFile()).length} alerts, of which naming ${ip}:${port}: ${
          readAlertsFile(alertsFile()).filter((a) => namesDestination(JSON.stringify(a), ip, port)).length
        }`,
        `eqld lost kernel events so far (last health line): ${JSON.stringify(
          eqld
            .logs()
            .map((l) => (l.health as Record<string, unknown> | undefined)?.lostKernelEvents)
            .filter((n) => n !== undefined)
            .at(-1),
        )}`,
        `last health line, this rule and the collector's delays: ${JSON.stringify(
          ((h) =>
            h && {
              rule: (h.detector as { rules?: { name: string }[] } | undefined)?.rules?.find(
                (r) => r.name === rule,
              ),
              arrivalDelayMs: (h.collector as Record<string, unknown> | undefined)?.arrivalDelayMs,
              effectiveWindowMs: (h.collector as Record<string, unknown> | undefined)?.effectiveWindowMs,
              shed: (h.collector as Record<string, unknown> | undefined)?.shed,
            })(
            eqld
              .logs()
              .map((l) => l.health as Record<string, unknown> | undefined)
              .filter((x) => x !== undefined)
              .at(-1),
          ),
        )}`,
        'events for the trigger pids:',
        ...eventsForPids(eventsFile(), pids).slice(0, 40),
        'eqld stderr tail:',
        eqld.stderr().slice(-3000),
      ].join('\n');
      throw new Error(diag, { cause: err });
    }
  }

  /** the root rule's positive control: returns once its alert is in syslog */
  async function rootControl(): Promise<void> {
    const port = await attackerPort();
    const r = await connectThenSetsid(topo.victim, topo.publicAddress, port, { mode: 'same' });
    await waitForSyslog(ROOT_RULE, topo.publicAddress, port, [r.connectPid]);
  }

  /** the SSHD rule's positive control: returns once its alert is in syslog */
  async function sshdControl(): Promise<void> {
    const port = await attackerPort();
    const r = await sshd.ssh(`nc -n -w 1 ${topo.publicAddress} ${port} </dev/null & echo "$$ $!"; wait`);
    const [shell, child] = r.stdout.trim().split(' ').map(Number) as [number, number];
    await waitForSyslog(SSHD_RULE, topo.publicAddress, port, [shell, child]);
  }

  /** run an SSHD-rule attack and check the single alert names child, parent and destination */
  async function expectSshdAlert(
    command: string,
    ip: string,
    port: number,
    childName: RegExp,
    label: string,
  ): Promise<void> {
    const r = await sshd.ssh(`${command} & echo "$$ $!"; wait`);
    const [shellPid, childPid] = (r.stdout.trim().split('\n')[0] ?? '').split(' ').map(Number) as [
      number,
      number,
    ];
    expect(shellPid).toBeGreaterThan(0);
    const line = await waitForSyslog(SSHD_RULE, ip, port, [shellPid, childPid]);
    const arrivedMs = Date.now();
    expect(line).toMatch(childName);
    expect(line).toContain(`pid ${childPid}`);
    expect(line).toMatch(new RegExp(`child of \\S*bash pid ${shellPid}`));
    expect(line).toContain('sshd');
    // exactly one: a later control alert has arrived, and still only one record for this attack
    await rootControl();
    expect(await syslogLines(SSHD_RULE, ip, port)).toHaveLength(1);
    const fileAlerts = readAlertsFile(alertsFile()).filter(
      (a) => ruleNameOf(a) === SSHD_RULE && get(alertDocument(a), 'process.pid') === childPid,
    );
    expect(fileAlerts).toHaveLength(1);
    const doc = alertDocument(fileAlerts[0] ?? {});
    expect(get(doc, 'process.pid')).toBe(childPid);
    recordLatency(label, get(doc, 'kibana.alert.original_time'), arrivedMs);
  }

  async function expectNoSshdAlert(command: string, ip: string, port: number): Promise<void> {
    const r = await sshd.ssh(command);
    expect(r.code, r.stderr).not.toBe(255);
    await sshdControl();
    expect(await syslogLines(SSHD_RULE, ip, port)).toEqual([]);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-e2e-'));
    // a directory outside every path prefix the SSHD rule lists, so only the `.x` name matches
    hiddenDir = mkdtempSync('/var/lib/eqld-e2e-');
    topo = await createTopology();
    sshd = await startSshd(topo.victim);
    rsyslog = await startRsyslog({ dir: join(dir, 'rsyslog'), localSocket: true });
    remote = await startRsyslog({ dir: join(dir, 'rsyslog-remote'), tcp: true });
    const config = join(dir, 'eqld.toml');
    writeFileSync(config, '# e2e: defaults only\n');
    mkdirSync(join(dir, 'state'));
    eqld = await startEqld([
      '--config',
      config,
      '--syslog-socket',
      rsyslog.socketPath as string,
      '--syslog-remote',
      `tcp://127.0.0.1:${remote.tcpPort}`,
      '--alerts-file',
      alertsFile(),
      '--events-file',
      eventsFile(),
      '--state-dir',
      join(dir, 'state'),
      '--health-interval',
      '1',
    ]);
  });

  afterAll(async () => {
    const status = await eqld?.stop();
    if (status && status.code !== 0) process.stderr.write(`eqld exited with ${JSON.stringify(status)}\n`);
    for (const l of listeners) await l.stop();
    await sshd?.stop();
    await rsyslog?.stop();
    await remote?.stop();
    await topo?.destroy();
    rmSync(hiddenDir, { recursive: true, force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  it('alerts once when the ssh session shell starts nc that reaches a public address (real SYN)', () =>
    lossAware(eqld, 'attack', async () => {
      const port = await attackerPort();
      await expectSshdAlert(
        `nc -n -w 1 ${topo.publicAddress} ${port} </dev/null`,
        topo.publicAddress,
        port,
        /\bnc\b/,
        'nc real SYN',
      );
      const seen = listeners.find((l) => l.port === port)?.accepted() ?? [];
      expect(seen).toContain(topo.victimAddress);
    }));

  it('alerts once when the session shell starts nc towards an unrouted public address (ENETUNREACH)', () =>
    lossAware(eqld, 'attack', async () => {
      const port = nextPort++;
      await expectSshdAlert(
        `nc -n -w 1 ${topo.unroutedAddress} ${port} </dev/null`,
        topo.unroutedAddress,
        port,
        /\bnc\b/,
        'nc no route',
      );
    }));

  it('alerts once when the session shell starts nc towards a public IPv6 address (real SYN)', () =>
    lossAware(eqld, 'attack', async () => {
      const port = nextPort++;
      const l6 = await startListener(topo.attacker, '::', port);
      listeners.push(l6);
      await expectSshdAlert(
        `nc -n -6 -w 1 ${topo.publicAddress6} ${port} </dev/null`,
        topo.publicAddress6,
        port,
        /\bnc\b/,
        'nc IPv6',
      );
      expect(l6.accepted()).toContain(topo.victimAddress6);
    }));

  it('alerts once when the session shell runs a script in /tmp that connects out', () =>
    lossAware(eqld, 'attack', async () => {
      const script = writeBeaconScript(dir);
      const port = await attackerPort();
      await expectSshdAlert(
        `${script} ${topo.publicAddress} ${port}`,
        topo.publicAddress,
        port,
        /beacon\.sh|bash/,
        'script in /tmp',
      );
    }));

  it('alerts once when the session shell runs a hidden .x binary that connects out', () =>
    lossAware(eqld, 'attack', async () => {
      const bin = writeHiddenBinary(hiddenDir);
      const port = await attackerPort();
      await expectSshdAlert(
        `${bin} -n -w 1 ${topo.publicAddress} ${port} </dev/null`,
        topo.publicAddress,
        port,
        /\.x\b/,
        'hidden .x',
      );
    }));

  it('alerts once when a root process connects to a public address and then calls setsid', () =>
    lossAware(eqld, 'attack', async () => {
      const port = await attackerPort();
      const r = await connectThenSetsid(topo.victim, topo.publicAddress, port, { mode: 'same' });
      expect(r.setsidRet).toBe(r.setsidPid);
      const line = await waitForSyslog(ROOT_RULE, topo.publicAddress, port, [r.connectPid]);
      const arrivedMs = Date.now();
      expect(line).toContain(`pid ${r.connectPid}`);
      expect(line).toMatch(/perl/);
      await sshdControl();
      expect(await syslogLines(ROOT_RULE, topo.publicAddress, port)).toHaveLength(1);
      const doc = readAlertsFile(alertsFile())
        .filter((a) => ruleNameOf(a) === ROOT_RULE)
        .map(alertDocument)
        .find((d) => get(d, 'process.pid') === r.connectPid);
      expect(get(doc, 'user.id')).toBe('0');
      recordLatency('root connect+setsid', get(doc, 'kibana.alert.original_time'), arrivedMs);
    }));

  it('stays quiet for an ansible-style command line through sshd', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = await attackerPort();
      await expectNoSshdAlert(
        `/bin/sh -c 'echo BECOME-SUCCESS-eqlde2e ; nc -n -w 1 ${topo.publicAddress} ${port} </dev/null ; rm -rf /root/.ansible/tmp/ansible-tmp-e2e/ > /dev/null 2>&1 && sleep 0'`,
        topo.publicAddress,
        port,
      );
    }));

  it('stays quiet when the session child connects to a private address', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = await attackerPort();
      await expectNoSshdAlert(
        `nc -n -w 1 ${topo.privatePeerAddress} ${port} </dev/null; true`,
        topo.privatePeerAddress,
        port,
      );
      expect(listeners.find((l) => l.port === port)?.accepted()).toContain(topo.victimAddress);
    }));

  it('stays quiet when the session child connects to loopback', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = nextPort++;
      const local = await startListener(topo.victim, '127.0.0.1', port);
      listeners.push(local);
      await expectNoSshdAlert(`nc -n -w 1 127.0.0.1 ${port} </dev/null; true`, '127.0.0.1', port);
      expect(local.accepted()).toHaveLength(1);
    }));

  it('stays quiet for the ssh client itself started by the session', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = await attackerPort();
      await expectNoSshdAlert(
        `ssh -F /dev/null -o BatchMode=yes -o ConnectTimeout=2 -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -p ${port} root@${topo.publicAddress} true; true`,
        topo.publicAddress,
        port,
      );
      expect(listeners.find((l) => l.port === port)?.accepted()).toContain(topo.victimAddress);
    }));

  it('stays quiet when the session child connects more than 1 s after the sshd exec', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = await attackerPort();
      await expectNoSshdAlert(
        `sleep 1.5; nc -n -w 1 ${topo.publicAddress} ${port} </dev/null; true`,
        topo.publicAddress,
        port,
      );
    }));

  it('stays quiet for a non-root process doing connect then setsid', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = await attackerPort();
      const r = await connectThenSetsid(topo.victim, topo.publicAddress, port, {
        mode: 'same',
        asUid: 65534,
      });
      expect(r.setsidRet).toBe(r.setsidPid);
      await rootControl();
      expect(await syslogLines(ROOT_RULE, topo.publicAddress, port)).toEqual([]);
    }));

  it('stays quiet when connect and setsid are done by different root processes', () =>
    lossAware(eqld, 'look-alike', async () => {
      const port = await attackerPort();
      const r = await connectThenSetsid(topo.victim, topo.publicAddress, port, { mode: 'split' });
      expect(r.setsidRet).toBe(r.setsidPid);
      expect(r.connectPid).not.toBe(r.setsidPid);
      await rootControl();
      expect(await syslogLines(ROOT_RULE, topo.publicAddress, port)).toEqual([]);
    }));

  it('stays quiet for the root ssh client that forks into the background (ssh -f)', () =>
    lossAware(eqld, 'look-alike', async () => {
      // root, connects, and its daemon() child calls setsid: excluded by executable /usr/bin/ssh
      const r = await topo.victim.exec('ssh', [...sshd.clientOptions, '-f', 'root@127.0.0.1', 'sleep 1']);
      expect(r.stderr).not.toMatch(/denied|refused/i);
      await rootControl();
      const sshAlerts = readAlertsFile(alertsFile()).filter(
        (a) =>
          ruleNameOf(a) === ROOT_RULE && /\/ssh$/.test(String(get(alertDocument(a), 'process.executable'))),
      );
      expect(sshAlerts).toEqual([]);
    }));

  it('alerts on both attacks during a file storm and loses no process or network event', async () => {
    interface Health {
      lostKernelEvents: number;
      lostFileEvents?: number;
      collector: { byKind: { file: number }; file?: { dropped: number } };
    }
    const healthOf = (l: Record<string, unknown>) => l.health as Health;
    /** kernel events lost by the process and network program (not the file program) */
    const processLoss = (h: Health): number => h.lostKernelEvents - (h.lostFileEvents ?? 0);
    const lastHealth = () =>
      healthOf(
        eqld
          .logs()
          .filter((l) => l.health !== undefined)
          .at(-1) ?? {},
      );
    // a first health line (the case can run alone, right after start)
    for (let i = 0; i < 100 && !eqld.logs().some((l) => l.health !== undefined); i++)
      await new Promise((r) => setTimeout(r, 100));
    const before = processLoss(lastHealth());
    const stormDir = mkdtempSync(join(tmpdir(), 'eqld-e2e-storm-'));
    // create, rename and delete small files as fast as one core allows (two workers)
    const storm = (i: number) =>
      spawn('python3', [
        '-c',
        `import os, time
d = ${JSON.stringify(stormDir)}
end = time.time() + 12
n = 0
while time.time() < end:
    p = os.path.join(d, f"w${i}-{n}")
    os.close(os.open(p, os.O_CREAT | os.O_WRONLY, 0o644))
    os.rename(p, p + ".x")
    os.unlink(p + ".x")
    n += 1
print(n)`,
      ]);
    const workers = [storm(0), storm(1)];
    const done = workers.map(
      (w) =>
        new Promise<number>((resolve) => {
          let out = '';
          w.stdout.on('data', (c: Buffer) => {
            out += c.toString();
          });
          w.on('close', () => resolve(Number(out.trim())));
        }),
    );
    try {
      await new Promise((r) => setTimeout(r, 2000)); // the storm is under way
      const port = await attackerPort();
      const ssh = await sshd.ssh(`nc -n -w 1 ${topo.publicAddress} ${port} </dev/null & echo "$$ $!"; wait`);
      const [shell, child] = ssh.stdout.trim().split(' ').map(Number) as [number, number];
      await waitForSyslog(SSHD_RULE, topo.publicAddress, port, [shell, child]);
      const rootPort = await attackerPort();
      const r = await connectThenSetsid(topo.victim, topo.publicAddress, rootPort, { mode: 'same' });
      await waitForSyslog(ROOT_RULE, topo.publicAddress, rootPort, [r.connectPid]);
    } finally {
      const ops = (await Promise.all(done)).reduce((a, b) => a + b, 0);
      process.stderr.write(`file storm: ${ops} create+rename+unlink cycles in 12 s\n`);
      rmSync(stormDir, { recursive: true, force: true });
    }
    // a health line written after the storm: the file program saw it (events or drops) and the
    // process and network program lost nothing
    const stormEnd = Date.now();
    const after = await eqld.waitForLog(
      (l) => typeof l.time === 'number' && l.time > stormEnd + 1000 && l.health !== undefined,
      15_000,
    );
    const h = healthOf(after);
    expect(processLoss(h)).toBe(before);
    expect(h.collector.byKind.file).toBeGreaterThan(0);
  });

  it('sends each alert once to the remote collector too (RFC 5424 over TCP)', async () => {
    // every alert of this run went to the local socket; the TCP copy carries the same alert ids
    const local = (await rsyslog.lines()).filter((l) => l.includes('alert_id='));
    expect(local.filter((l) => l.includes(SSHD_RULE)).length).toBeGreaterThanOrEqual(8);
    expect(local.filter((l) => l.includes(ROOT_RULE)).length).toBeGreaterThanOrEqual(8);
    const ids = local.map((l) => /alert_id=([0-9a-f]+)/.exec(l)?.[1]);
    for (const id of ids) {
      expect(id).toBeDefined();
      const copies = await remote
        .waitFor((l) => l.includes(id as string), 10_000)
        .then(async () => (await remote.lines()).filter((l) => l.includes(id as string)));
      expect(copies).toHaveLength(1);
      expect(copies[0]).toMatch(/eqld/);
    }
  });

  it('kept running through the attacks and exits 0 on SIGTERM', async () => {
    expect(eqld.child.exitCode).toBeNull();
    const status = await eqld.stop('SIGTERM');
    expect(status).toEqual({ code: 0, signal: null });
    const samples = latencySamples();
    process.stderr.write(
      `detection latency (event -> syslog record), ms: ${samples.map((s) => `${s.name}=${s.latencyMs}`).join(' ')}\n`,
    );
    expect(samples.length).toBeGreaterThanOrEqual(5);
  });
});
