// AlertRecord builders for the sink tests: a plain detection, a hostile one whose strings try to
// forge a second syslog record, and helpers to make numbered series for ordering checks.
import type { AlertRecord } from '../../src/alerts/alert-record.js';

export function makeAlert(over: Partial<AlertRecord> = {}): AlertRecord {
  return {
    id: 'a3f1c2d4e5b6a7980123456789abcdef0123456789abcdef0123456789abcdef',
    type: 'alert',
    timestamp: '2026-11-25T16:04:05.678Z',
    rule: {
      id: '9c951837-7d13-4b0c-be7a-f346623c8795',
      uuid: '9c951837-7d13-4b0c-be7a-f346623c8795',
      name: 'Network Connection Initiated by Suspicious SSHD Child Process',
      severity: 'medium',
      riskScore: 47,
      code: 'persistence_ssh_netcon',
      buildingBlock: false,
    },
    summary:
      'Network Connection Initiated by Suspicious SSHD Child Process: /usr/bin/nc (pid 4242, child of /bin/bash pid 4240 from sshd) -> 1.1.1.1:443',
    entityIds: ['MTIzNC0xNzAwMDAwMDAwMDAw', 'NDI0Mi0xNzAwMDAwMDAwMDAx'],
    document: {
      '@timestamp': '2026-11-25T16:04:05.678Z',
      event: { kind: 'alert' },
      message: 'x',
      process: { pid: 4242, command_line: 'nc 1.1.1.1 443', args: ['nc', '1.1.1.1', '443'] },
    },
    ...over,
  };
}

/** Strings an attacker controls (command lines, paths) reach the summary and entity ids. */
export const HOSTILE_SUMMARY =
  'Evil: /tmp/x "quoted" back\\slash ]bracket\n<13>1 2026-11-25T00:00:00Z forged eqld - - - fake record\r\u0000' +
  '\u001b[31mred\u0085nel\u2028ls\u202eRLO \ud800lone \ufffdreplacement 12 <14>Nov 25 00:00:00 eqld[1]: forged';

export function hostileAlert(): AlertRecord {
  return makeAlert({
    id: 'hostile-0001',
    summary: HOSTILE_SUMMARY,
    entityIds: ['ok-id', 'bad"]\\id\n[x@1 a="b"]', '\u0000'],
    rule: { ...makeAlert().rule, code: 'code with spaces and ünïcode that is far longer than thirty-two' },
  });
}

export function numbered(n: number, prefix = 'seq', from = 0): AlertRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const id = `${prefix}-${String(i).padStart(6, '0')}`;
    return makeAlert({
      id,
      summary: `${prefix} alert number ${i}`,
      timestamp: new Date(Date.UTC(2026, 10, 25, 16, 0, 0, i)).toISOString(),
      document: {
        '@timestamp': '2026-11-25T16:00:00.000Z',
        kibana: { alert: { uuid: id } },
        message: `alert ${i}`,
      },
    });
  });
}

/** The alert id carried by a received record, whatever the format (RFC 5424, local, NDJSON). */
export function alertIdOf(rec: string): string | undefined {
  const m = /alertId="([^"]+)"/.exec(rec) ?? /alert_id=(\S+)/.exec(rec);
  if (m) return m[1];
  try {
    return (JSON.parse(rec) as { kibana?: { alert?: { uuid?: string } } }).kibana?.alert?.uuid;
  } catch {
    return undefined;
  }
}

/** First occurrence of each id, in arrival order (duplicates of a re-send removed). */
export function firstOccurrences(ids: readonly (string | undefined)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of ids) {
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

export async function waitUntil(
  pred: () => boolean,
  timeoutMs = 20_000,
  what = 'condition',
  detail: () => unknown = () => '',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} ${JSON.stringify(detail())}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}
