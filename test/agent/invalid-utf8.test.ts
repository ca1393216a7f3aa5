// Bytes that are not UTF-8, end to end on the real kernel: a program whose path and argv hold the
// bytes ff fe 80 is exec'd; the event, the alert document and the local syslog record all carry
// them in the byte-escaped form (docs/ecs-mapping.md), marked process.Ext.bytes_escaped, and each
// maps back to the exact bytes. A literal `\x41` in the same argv stays distinguishable.
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
import { unescapeBytes } from '../../src/collector/hex.js';
import { unixReceiver } from '../sinks/receivers.js';
import { type EqldProcess, startEqld } from '../support/eqld-process.js';
import { describeKernel } from '../support/kernel.js';
import { readCompleteNdjson } from '../support/ndjson.js';

const RULE = `[metadata]
creation_date = "2026/12/04"
maturity = "production"
updated_date = "2026/12/04"

[rule]
author = ["eqld tests"]
description = "Exec of the invalid UTF-8 test program."
from = "now-9m"
index = ["logs-endpoint.events.process*"]
language = "eql"
license = "Apache-2.0"
name = "Invalid UTF-8 Test Exec"
risk_score = 21
rule_id = "00000000-0000-4000-8000-0000000000f8"
severity = "low"
type = "eql"
query = '''
process where event.type == "start" and process.name : "eqld-utf8-*"
'''
`;

const BAD = Buffer.from([0xff, 0xfe, 0x80]);
const bytes = (...parts: (string | Buffer)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));

describeKernel('bytes that are not UTF-8, from argv to syslog and back', () => {
  let dir: string;
  let eqld: EqldProcess;
  const syslog = { records: [] as string[], stop: async () => {} };
  let progBytes: Buffer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'eqld-utf8-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'utf8.toml'), RULE);
    progBytes = bytes(dir, '/eqld-utf8-', BAD);
    copyFileSync('/bin/true', progBytes);
    const rx = unixReceiver(join(dir, 'log.sock'));
    await rx.start();
    syslog.records = rx.records;
    syslog.stop = () => rx.stop();
    eqld = await startEqld([
      '--config',
      '/dev/null',
      '--rules',
      join(dir, 'rules'),
      '--syslog-socket',
      join(dir, 'log.sock'),
      '--alerts-file',
      join(dir, 'alerts.ndjson'),
      '--events-file',
      join(dir, 'events.ndjson'),
      '--state-dir',
      join(dir, 'state'),
    ]);
    await eqld.waitForLog((l) => l.msg === 'eqld running', 60_000);
  }, 90_000);

  afterAll(async () => {
    if (eqld) await eqld.stop('SIGTERM', 20_000).catch(() => undefined);
    await syslog.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('carries them escaped and marked in the event, the alert and syslog, and they map back exactly', async () => {
    // argv: the path, the bytes alone, and a literal backslash-x-4-1 that must not read as a byte
    const argv = [progBytes, BAD, Buffer.from('a\\x41')];
    const py =
      'import os,sys\nos.execv(sys.argv[1].encode("latin1"), [a.encode("latin1") for a in sys.argv[1:]])';
    const r = spawnSync('python3', ['-c', py, ...argv.map((a) => a.toString('latin1'))]);
    expect(r.status).toBe(0);

    const alertsFile = join(dir, 'alerts.ndjson');
    const until = Date.now() + 20_000;
    const complete = () => {
      const text = existsSync(alertsFile) ? readFileSync(alertsFile, 'utf8') : '';
      return text.includes('eqld-utf8-') && text.endsWith('\n');
    };
    while (!complete()) {
      if (Date.now() > until) throw new Error(`no alert; eqld said:\n${eqld.stderr().slice(-3000)}`);
      await new Promise((res) => setTimeout(res, 100));
    }
    const alert = JSON.parse(readFileSync(alertsFile, 'utf8').trim().split('\n').pop() as string) as {
      'kibana.alert.original_event'?: unknown;
      eqld?: unknown;
      process?: { args?: string[] };
    } & Record<string, unknown>;
    const event = readCompleteNdjson<{ event: { action: string }; process: Record<string, unknown> }>(
      join(dir, 'events.ndjson'),
    ).find((d) => d.event.action === 'exec' && String(d.process.name).startsWith('eqld-utf8-'));
    if (!event) throw new Error('no exec event for the program');

    const escapedPath = `${dir}/eqld-utf8-\\xff\\xfe\\x80`;
    expect(event.process.args).toEqual([escapedPath, '\\xff\\xfe\\x80', 'a\\x5cx41']);
    expect(event.process.executable).toBe(escapedPath);
    expect(event.process.name).toBe('eqld-utf8-\\xff\\xfe\\x80');
    expect(event.process.Ext).toMatchObject({ bytes_escaped: true });
    expect((event.process.args as string[]).map((a) => Buffer.from(unescapeBytes(a)))).toEqual(argv);

    // the alert document embeds the matched event unchanged
    const alertText = JSON.stringify(alert);
    expect(alertText).toContain(JSON.stringify(event.process.args));
    expect(alertText).toContain('"bytes_escaped":true');

    // the local syslog record: key=value facts and msg="<summary>"
    const until2 = Date.now() + 10_000;
    const recordOf = () => syslog.records.find((x) => x.includes('eqld-utf8-'));
    while (recordOf() === undefined) {
      if (Date.now() > until2) throw new Error('no syslog record');
      await new Promise((res) => setTimeout(res, 100));
    }
    const rec = recordOf() as string;
    expect(rec).not.toMatch(/[\u0080-\u009f\ufffd]/);
    const msg = /msg="((?:[^"\\]|\\.)*)"/.exec(rec)?.[1] as string;
    // undo the local format's quoting, then the summary's neutralizing (docs/syslog.md) ...
    const unquoted = msg.replace(/\\(.)/g, '$1');
    const summary = unquoted.replace(/\\(\\|n|r|t|x[0-9a-f]{2}|u\{[0-9a-f]+\})/g, (_m, e: string) =>
      e === '\\'
        ? '\\'
        : e === 'n'
          ? '\n'
          : e === 'r'
            ? '\r'
            : e === 't'
              ? '\t'
              : e.startsWith('x')
                ? String.fromCharCode(Number.parseInt(e.slice(1), 16))
                : String.fromCodePoint(Number.parseInt(e.slice(2, -1), 16)),
    );
    // ... which gives the event's text; the marked process's escapes are then its bytes
    expect(summary).toContain(escapedPath);
    const pathInSummary = summary.slice(summary.indexOf(dir), summary.indexOf(dir) + escapedPath.length);
    expect(Buffer.from(unescapeBytes(pathInSummary))).toEqual(progBytes);
  });
});
