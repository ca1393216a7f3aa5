// The process tree of a real alert: eqld runs on the real kernel with a local rule, the test starts
// a chain of processes (a new session: sh → sh → probe) and the alert in the alerts file carries
// Defend's process.Ext.ancestry and eqld.lineage from the live process table, which
// `eqld alerts show` draws from the session's shell down to the probe.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EQLD_MAIN, type EqldProcess, startEqld } from '../../support/eqld-process.js';
import { describeKernel } from '../../support/kernel.js';

// biome-ignore lint/suspicious/noExplicitAny: the test reads arbitrary alert JSON
type Json = any;

const PROBE = 'eqld-tree-probe';
const RULE = `[metadata]
creation_date = "2026/11/25"
maturity = "production"
updated_date = "2026/11/25"

[rule]
author = ["eqld tests"]
description = "The tree probe ran."
from = "now-9m"
index = ["logs-endpoint.events.process*"]
language = "eql"
license = "Apache-2.0"
name = "Tree Probe Ran"
risk_score = 21
rule_id = "00000000-0000-4000-8000-0000000071ee"
severity = "low"
type = "eql"
query = '''
process where event.action == "exec" and process.name == "${PROBE}"
'''
`;

describeKernel('alert ancestry on the real kernel', () => {
  let dir: string;
  let alerts: string;
  let eqld: EqldProcess | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-tree-'));
    alerts = join(dir, 'alerts.ndjson');
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'probe.toml'), RULE);
    copyFileSync('/bin/true', join(dir, PROBE));
    eqld = await startEqld([
      '--config',
      '/dev/null',
      '--no-bundled-rules',
      '--rules',
      join(dir, 'rules'),
      '--no-syslog',
      '--alerts-file',
      alerts,
      '--state-dir',
      join(dir, 'state'),
    ]);
  }, 90_000);

  afterAll(async () => {
    await eqld?.stop('SIGTERM', 20_000);
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries the ancestry from the table and `eqld alerts show` draws the chain to the probe', async () => {
    // setsid: the outer sh leads a new session; the inner sh runs the probe with an odd argv
    spawnSync('setsid', [
      '-w',
      '/bin/sh',
      '-c',
      `/bin/sh -c '"$0" "$1"; true' "$0" "$1"; true`,
      join(dir, PROBE),
      'tree\u001b[2J',
    ]);
    const end = Date.now() + 20_000;
    let line: string | undefined;
    while (line === undefined) {
      if (existsSync(alerts))
        line = readFileSync(alerts, 'utf8')
          .split('\n')
          .find((l) => l.includes(PROBE));
      if (line === undefined && Date.now() > end) throw new Error(`no alert\n${eqld?.stderr().slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const doc = JSON.parse(line) as Json;
    const ancestry = doc.process.Ext.ancestry as string[];
    expect(ancestry[0]).toBe(doc.process.parent.entity_id);
    expect(ancestry.length).toBeGreaterThanOrEqual(2);
    const lineage = doc.eqld.lineage as Json[];
    const innerSh = lineage.find((a) => a.entity_id === doc.process.parent.entity_id);
    expect(innerSh?.executable).toMatch(/\/(sh|dash)$/);
    expect(innerSh?.parent?.entity_id).toBe(ancestry[1]);
    // the outer sh leads the session: it is in the lineage too, as the session leader
    expect(lineage.map((a) => a.entity_id)).toContain(doc.process.session_leader.entity_id);

    const id = String(doc.kibana.alert.uuid);
    const r = spawnSync(process.execPath, [EQLD_MAIN, 'alerts', 'show', id.slice(0, 12), alerts], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status, r.stderr).toBe(0);
    const tree = r.stdout;
    const sessionPid = doc.process.session_leader.pid as number;
    expect(tree).toMatch(new RegExp(`/(sh|dash)  pid ${sessionPid} .*session leader`));
    expect(tree).toMatch(new RegExp(`└─ .*/(sh|dash)  pid ${doc.process.parent.pid} `));
    expect(tree).toMatch(
      new RegExp(`└─ ${join(dir, PROBE).replaceAll('/', '\\/')}  pid ${doc.process.pid} `),
    );
    expect(tree).toContain(`${PROBE} tree\\x1b[2J`);
    expect(tree).toContain('● [1] exec');
  });
});
