// Golden records: each alert fixture formatted as RFC 5424 (remote) and as the syslog(3) local
// format (/dev/log), compared byte for byte with test/golden/syslog/. UPDATE_GOLDEN=1 rewrites them.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { AlertRecord } from '../../src/alerts/alert-record.js';
import { formatLocal } from '../../src/alerts/sinks/local-format.js';
import { formatRfc5424 } from '../../src/alerts/sinks/rfc5424.js';
import { facilityCode } from '../../src/alerts/sinks/syslog-codes.js';
import { hostileAlert, makeAlert } from './alert-fixtures.js';

process.env.TZ = 'UTC';
const DIR = join(import.meta.dirname, '..', 'golden', 'syslog');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const CASES: Record<string, AlertRecord> = {
  plain: makeAlert(),
  hostile: hostileAlert(),
  critical: makeAlert({ rule: { ...makeAlert().rule, severity: 'critical', riskScore: 99 } }),
  suppressed: makeAlert({ type: 'suppressed', suppressedCount: 17, id: 'suppressed-1' }),
  oversized: makeAlert({ summary: `long: ${'é'.repeat(6000)}`, entityIds: Array(200).fill('x'.repeat(40)) }),
};

function golden(name: string, actual: string): void {
  const file = join(DIR, name);
  if (UPDATE) writeFileSync(file, `${actual}\n`);
  expect(actual).toBe(readFileSync(file, 'utf8').replace(/\n$/, ''));
}

describe('syslog golden records', () => {
  for (const [name, alert] of Object.entries(CASES)) {
    it(`formats the ${name} alert as RFC 5424 exactly as recorded`, () => {
      const rec = formatRfc5424(alert, { facility: facilityCode('authpriv'), hostname: 'host1', pid: 4242 });
      golden(`${name}.rfc5424.txt`, rec);
    });
    it(`formats the ${name} alert in the syslog(3) local format exactly as recorded`, () => {
      const rec = formatLocal(alert, { facility: facilityCode('authpriv'), pid: 4242 });
      golden(`${name}.local.txt`, rec);
    });
  }
});
