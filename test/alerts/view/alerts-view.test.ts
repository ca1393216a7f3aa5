// `eqld alerts` output as golden files: the table and the process tree of alerts made by the real
// normalizer and detector from hostile command lines (newlines, escape sequences, a bidi override,
// invalid UTF-8), in plain text and in colour. Neither may carry a control character of the
// alert's own to the terminal: the only escape sequences allowed are eqld's SGR colour codes.
// Update the golden files with: UPDATE_GOLDEN=1 npx vitest run test/alerts/view
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../../src/alerts/alert-record.js';
import { type AlertsIo, runAlertsList, runAlertsShow } from '../../../src/alerts/view/alerts-command.js';
import { renderAlertTree } from '../../../src/alerts/view/render-tree.js';
import { ANSI, PLAIN, type Style } from '../../../src/alerts/view/style.js';
import { HOSTILE_NC, hostileAlerts, SEQUENCE_RULE_ID } from './fixtures.js';

// biome-ignore lint/suspicious/noExplicitAny: tests reshape arbitrary alert JSON
type Json = any;

const UPDATE = process.env.UPDATE_GOLDEN === '1';
const GOLDEN = new URL('golden/', import.meta.url).pathname;

function golden(name: string, lines: readonly string[]): void {
  const path = join(GOLDEN, name);
  const text = `${lines.join('\n')}\n`;
  if (UPDATE || !existsSync(path)) {
    if (!UPDATE) throw new Error(`golden file ${path} missing; run with UPDATE_GOLDEN=1 to create it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, text);
  }
  expect(text).toBe(readFileSync(path, 'utf8'));
}

/** every C0/C1 control or DEL in the text, except newlines and eqld's own SGR sequences */
function rawControls(text: string): string[] {
  const withoutSgr = text.replace(/\u001b\[[0-9;]*m/g, '');
  return [...withoutSgr.matchAll(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g)].map(
    (m) => `U+${(m[0].codePointAt(0) ?? 0).toString(16).padStart(4, '0')} at ${m.index}`,
  );
}

function capture(style: Style): AlertsIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), style };
}

let alerts: AlertRecord[];
let cleanup: () => void;
let dir: string;
let file: string;
let sequenceAlert: Json;

/** the sequence alert as the EQL helper's missing-event results will carry it: a placeholder
 *  (`missing: true`, no event data) for a `![...]` stage between the two events */
function withMissingStage(doc: Json): Json {
  const d = structuredClone(doc);
  d.eqld.matched_events.splice(1, 0, { missing: true, query: 'process where process.name == "sudo"' });
  return d;
}

beforeAll(async () => {
  ({ alerts, cleanup } = await hostileAlerts());
  sequenceAlert = alerts.find((a) => a.rule.id === SEQUENCE_RULE_ID)?.document;
  dir = mkdtempSync(join(tmpdir(), 'eqld-alerts-view-'));
  file = join(dir, 'alerts.ndjson');
  const lines = alerts.map((a) => JSON.stringify(a.document));
  const text = [
    lines[0],
    '{"truncated": ',
    lines[1],
    '{"message":"a JSON line that is no alert"}',
    ...lines.slice(2),
    '',
  ].join('\n');
  // the last alert's host name as invalid UTF-8 bytes in the file itself
  const buf = Buffer.from(
    `${text}${JSON.stringify(withMissingStage(sequenceAlert)).replace('"testhost"', '"HOSTX"')}\n`,
  );
  const at = buf.lastIndexOf('HOSTX');
  buf[at] = 0xff;
  buf[at + 1] = 0xfe;
  writeFileSync(file, buf);
});

afterAll(() => {
  cleanup?.();
  rmSync(dir, { recursive: true, force: true });
});

describe('eqld alerts: the table', () => {
  it('matches the golden table, naming the lines it skipped', async () => {
    const io = capture(PLAIN);
    expect(await runAlertsList({ file, filter: {}, json: false, follow: false }, io)).toBe(0);
    golden('table.txt', [...io.stdout, '--- stderr ---', ...io.stderr.map((l) => l.replaceAll(dir, '$DIR'))]);
    expect(rawControls(io.stdout.join('\n'))).toEqual([]);
  });

  it('colours severities on a terminal with SGR codes only', async () => {
    const io = capture(ANSI);
    await runAlertsList({ file, filter: {}, json: false, follow: false }, io);
    golden('table.ansi.txt', io.stdout);
    expect(io.stdout.join('\n')).toContain('\u001b[31mhigh');
    expect(rawControls(io.stdout.join('\n'))).toEqual([]);
  });

  it('keeps alerts of one rule (by id or part of the name) raised since a time', async () => {
    const io = capture(PLAIN);
    await runAlertsList({ file, filter: { rules: ['netcat'] }, json: false, follow: false }, io);
    expect(io.stdout.slice(1).map((l) => l.split(/\s{2,}/)[3])).toEqual([
      'Netcat Started',
      'Netcat Started (+1 suppressed)',
    ]);
    const byId = capture(PLAIN);
    await runAlertsList({ file, filter: { rules: [SEQUENCE_RULE_ID] }, json: true, follow: false }, byId);
    expect(byId.stdout.map((l) => (JSON.parse(l) as Json).kibana.alert.rule.rule_id)).toEqual([
      SEQUENCE_RULE_ID,
      SEQUENCE_RULE_ID,
    ]);
    const late = capture(PLAIN);
    await runAlertsList(
      { file, filter: { sinceMs: Date.parse('2026-11-25T16:00:06Z') }, json: false, follow: false },
      late,
    );
    expect(late.stdout.slice(1).map((l) => l.split(/\s{2,}/)[3])).toEqual(['eqld Telemetry Loss']);
    const none = capture(PLAIN);
    await runAlertsList({ file, filter: { rules: ['no such rule'] }, json: false, follow: false }, none);
    expect(none.stdout).toEqual([]);
    expect(none.stderr[0]).toBe('eqld alerts: no alert matches');
  });

  it('prints the documents themselves with --json, one per line', async () => {
    const io = capture(PLAIN);
    await runAlertsList({ file, filter: {}, json: true, follow: false }, io);
    expect(io.stdout).toHaveLength(alerts.length + 1);
    expect((JSON.parse(io.stdout[1] as string) as Json).process.args).toEqual(HOSTILE_NC);
  });
});

describe('eqld alerts show: the process tree', () => {
  it('matches the golden tree from entry leader to the process, events marked, escapes visible', () => {
    const lines = renderAlertTree(sequenceAlert, PLAIN);
    golden('tree-hostile.txt', lines);
    expect(rawControls(lines.join('\n'))).toEqual([]);
    const text = lines.join('\n');
    expect(text).toContain('\\x1b[2J');
    expect(text).toContain('\\x1b]0;innocent\\x07');
    expect(text).toContain('gpj.\\u{202e}exe');
  });

  it('matches the golden tree in colour, with SGR codes only', () => {
    const lines = renderAlertTree(sequenceAlert, ANSI);
    golden('tree-hostile.ansi.txt', lines);
    expect(rawControls(lines.join('\n'))).toEqual([]);
    expect(lines.join('\n')).toMatch(/\u001b\[1;31m● \[2\] connection_attempted/);
  });

  it('shows a missing-event stage as such, in its place among the stages', () => {
    const lines = renderAlertTree(withMissingStage(sequenceAlert), PLAIN);
    golden('tree-missing-stage.txt', lines);
    expect(lines).toContain('  [2] missing: process where process.name == "sudo"');
    // the event after the placeholder keeps its stage number on its process
    expect(lines.join('\n')).toContain('● [3] connection_attempted → 203.0.113.7:4444');
  });

  it('falls back to the events’ parent and leader blocks, marking the unknown part of the chain', () => {
    const d = structuredClone(sequenceAlert);
    delete d.eqld.lineage;
    d.eqld.matched_events = d.eqld.matched_events.slice(1);
    const lines = renderAlertTree(d, PLAIN);
    golden('tree-no-lineage.txt', lines);
    expect(lines.join('\n')).toContain('… (processes between not known to the alert)');
  });

  it('finds an alert by a unique prefix of its id, and says when a prefix is ambiguous or unknown', async () => {
    const id = String(sequenceAlert.kibana.alert.uuid);
    const io = capture(PLAIN);
    expect(await runAlertsShow({ file, id: id.slice(0, 8), json: false }, io)).toBe(0);
    expect(io.stdout[0]).toBe(`Alert ${id}`);
    const missing = capture(PLAIN);
    expect(await runAlertsShow({ file, id: 'abcdef012345', json: false }, missing)).toBe(1);
    expect(missing.stderr[0]).toBe(`eqld alerts show: no alert with id \`abcdef012345\` in ${file}`);
    const twice = join(dir, 'two.ndjson');
    const a = structuredClone(sequenceAlert);
    a.kibana.alert.uuid = `${id.slice(0, 10)}0000`;
    writeFileSync(twice, `${JSON.stringify(sequenceAlert)}\n${JSON.stringify(a)}\n`);
    const amb = capture(PLAIN);
    expect(await runAlertsShow({ file: twice, id: id.slice(0, 8), json: false }, amb)).toBe(1);
    expect(amb.stderr[0]).toContain('is the start of 2 alert ids');
  });
});
