// Fleet: eqld forwards alerts over syslog-over-TLS (RFC 5425) to a central rsyslog. Here the
// central collector is a real rsyslogd with only a TLS listener on loopback and throwaway
// certificates (test/support/certs.ts), so a record that arrives came over TLS. Real kernel, real
// agent, a real attack (root connect + setsid inside a test namespace with no route).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { connectThenSetsid, ROOT_RULE } from '../e2e/attack-kit.js';
import { lossAware } from '../e2e/loss-aware.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import { createNetns, DEFAULT_UNROUTED_ADDRESS, type Netns } from '../support/netns.js';
import { type Rsyslog, startRsyslog } from '../support/rsyslog.js';

describeKernel('fleet: alerts over syslog TLS to a central rsyslog', () => {
  let dir: string;
  let certs: TestCerts;
  let central: Rsyslog;
  let eqld: EqldProcess;
  let ns: Netns;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-fleet-tls-'));
    certs = makeCerts(join(dir, 'pki'));
    central = await startRsyslog({
      dir: join(dir, 'central'),
      tls: { caFile: certs.caFile, certFile: certs.certFile, keyFile: certs.keyFile },
    });
    expect(central.tlsPort).toBeGreaterThan(0);
    expect(central.tcpPort).toBeUndefined();
    expect(central.socketPath).toBeUndefined();
    writeFileSync(join(dir, 'eqld.toml'), '');
    eqld = await startEqld([
      '--config',
      join(dir, 'eqld.toml'),
      '--state-dir',
      dir,
      '--syslog-remote',
      `tls://127.0.0.1:${central.tlsPort}`,
      '--syslog-ca',
      certs.caFile,
      '--syslog-cert',
      certs.clientCertFile,
      '--syslog-key',
      certs.clientKeyFile,
      '--health-interval',
      '1',
    ]);
    ns = await createNetns('fleet-tls');
  });

  afterAll(async () => {
    await eqld?.stop();
    await central?.stop();
    await ns?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the root rule alert as an RFC 5424 record over TLS', () =>
    lossAware(eqld, 'attack', async () => {
      const r = await connectThenSetsid(ns, DEFAULT_UNROUTED_ADDRESS, 443, { mode: 'same' });
      const line = await central
        .waitFor((l) => l.includes(ROOT_RULE) && l.includes(`pid ${r.connectPid}`), 15_000)
        .catch((err: unknown) => {
          throw new Error(
            `no TLS record for pid ${r.connectPid}; eqld stderr:\n${eqld.stderr().slice(-3000)}`,
            {
              cause: err,
            },
          );
        });
      // the summary names the process and the destination; the SD element carries the rule id
      expect(line).toContain(`${DEFAULT_UNROUTED_ADDRESS}:443`);
      expect(line).toContain('eb6a3790-d52d-11ec-8ce9-f661ea17fbce');
      expect((await central.lines()).filter((l) => l.includes(`pid ${r.connectPid}`))).toHaveLength(1);
    }));
});
