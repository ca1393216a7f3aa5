// Delivery through journald: where systemd-journald owns the local syslog socket, an alert written
// to it is parsed by journald into SYSLOG_IDENTIFIER/SYSLOG_PID/PRIORITY/SYSLOG_FACILITY and a
// MESSAGE equal to the key=value body. Runs only where journald is running and journalctl reads
// the journal; elsewhere it skips with the reason printed.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createSinks } from '../../src/alerts/sinks/index.js';
import { formatLocal } from '../../src/alerts/sinks/local-format.js';
import { hostileAlert, makeAlert, waitUntil } from './alert-fixtures.js';

const JOURNAL_DEV_LOG = '/run/systemd/journal/dev-log';

function journaldUnavailable(): string | undefined {
  if (!existsSync(JOURNAL_DEV_LOG))
    return `systemd-journald is not running here (${JOURNAL_DEV_LOG} missing)`;
  try {
    execFileSync('journalctl', ['-n', '0', '-q'], { stdio: 'pipe' });
  } catch (err) {
    return `journalctl cannot read the journal: ${(err as Error).message}`;
  }
  return undefined;
}

const why = journaldUnavailable();
if (why) process.stderr.write(`SKIPPED (journald unavailable: ${why}): journald delivery test\n`);
const describeJournald = why ? describe.skip : describe;

describeJournald('journald', () => {
  it('parses a hostile alert from the local socket, unchanged, into identifier, pid, priority, facility and the key=value message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eqld-journald-'));
    const id = `journald-${process.pid}-${Date.now()}`;
    const alert = { ...hostileAlert(), id, rule: { ...makeAlert().rule, severity: 'high' as const } };
    const set = await createSinks(
      { syslogLocal: { socketPath: JOURNAL_DEV_LOG, facility: 'authpriv' }, spoolDir: join(dir, 'spool') },
      pino({ level: 'silent' }),
    );
    try {
      await set.write(alert);
      await set.flush();
      let entry: Record<string, string> | undefined;
      await waitUntil(
        () => {
          const out = execFileSync('journalctl', ['-o', 'json', '-t', 'eqld', '--no-pager', '-n', '200'], {
            encoding: 'utf8',
          });
          entry = out
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Record<string, string>)
            .find((e) => typeof e.MESSAGE === 'string' && e.MESSAGE.includes(id));
          return entry !== undefined;
        },
        10_000,
        'the alert in the journal',
      );
      const body = formatLocal(alert, { facility: 10, pid: process.pid }).replace(/^.*?eqld\[\d+\]: /, '');
      expect(entry).toMatchObject({
        SYSLOG_IDENTIFIER: 'eqld',
        SYSLOG_PID: String(process.pid),
        PRIORITY: '3',
        SYSLOG_FACILITY: '10',
        MESSAGE: body,
      });
    } finally {
      await set.close(500);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
