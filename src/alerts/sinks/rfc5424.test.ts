import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeAlert } from '../../../test/sinks/alert-fixtures.js';
import { parse5424 } from '../../../test/sinks/rfc5424-parse.js';
import { escapeText } from './escape.js';
import { formatLocal } from './local-format.js';
import { formatRfc5424, TRUNCATION_MARKER } from './rfc5424.js';

/** any UTF-16 code unit, so lone surrogates (undecodable input) are generated too */
const anyString = (maxLength: number) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });

function noControlBytes(s: string): boolean {
  return !Buffer.from(s, 'utf8').some((b) => b < 0x20 || b === 0x7f);
}

describe('RFC 5424 formatter', () => {
  it('maps facility and rule severity into PRI (authpriv=10; critical 2, high 3, medium 4, low 5)', () => {
    const pris = (['critical', 'high', 'medium', 'low'] as const).map((severity) => {
      const rec = formatRfc5424(makeAlert({ rule: { ...makeAlert().rule, severity } }), {
        facility: 10,
        hostname: 'h',
        pid: 1,
      });
      return parse5424(rec).pri;
    });
    expect(pris).toEqual([82, 83, 84, 85]);
  });

  it('cuts MSGID to 32 printable ASCII characters and the host name to PRINTUSASCII', () => {
    const rec = formatRfc5424(makeAlert({ rule: { ...makeAlert().rule, code: `ab c${'x'.repeat(40)}` } }), {
      facility: 10,
      hostname: 'my host',
      pid: 7,
    });
    const p = parse5424(rec);
    expect(p.msgId).toBe(`ab_c${'x'.repeat(28)}`);
    expect(p.hostname).toBe('my_host');
    expect(p.appName).toBe('eqld');
  });

  it('never lets hostile strings leave one record with one SD element, and stays under the cap', () => {
    fc.assert(
      fc.property(
        anyString(3000),
        fc.array(anyString(80), { maxLength: 40 }),
        anyString(80),
        fc.integer({ min: 1500, max: 9000 }),
        (summary, entityIds, id, maxBytes) => {
          const alert = makeAlert({ summary, entityIds, id });
          const rec = formatRfc5424(alert, { facility: 10, hostname: 'h', pid: 1, maxBytes });
          expect(Buffer.byteLength(rec)).toBeLessThanOrEqual(maxBytes);
          expect(noControlBytes(rec)).toBe(true);
          const p = parse5424(rec);
          expect(p.sdId).toBe('eqld@32473');
          const params = new Map<string, string[]>();
          for (const [k, v] of p.params) params.set(k, [...(params.get(k) ?? []), v]);
          expect(params.get('alertId')).toEqual([escapeText(id)]);
          const ids = params.get('entityId') ?? [];
          expect(ids).toEqual(entityIds.slice(0, ids.length).map((e) => escapeText(e)));
          const omitted = Number(params.get('entityIdsOmitted')?.[0] ?? 0);
          expect(ids.length + omitted).toBe(entityIds.length);
          const full = escapeText(summary);
          if (p.msg !== full) {
            expect(p.msg.endsWith(TRUNCATION_MARKER)).toBe(true);
            expect(full.startsWith(p.msg.slice(0, -TRUNCATION_MARKER.length))).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('syslog(3) local formatter', () => {
  it('writes <PRI>Mmm dd hh:mm:ss eqld[pid]: with key=value facts and the summary last', () => {
    process.env.TZ = 'UTC';
    const rec = formatLocal(makeAlert(), { facility: 10, pid: 99 });
    expect(rec).toMatch(
      /^<84>Nov 25 16:04:05 eqld\[99\]: type=alert alert_id=\S+ rule_id=\S+ rule_code=persistence_ssh_netcon severity=medium risk_score=47 entity_ids="[^"]+" msg="Network Connection/,
    );
  });

  it('keeps hostile summaries on one line inside one quoted msg value, under the cap', () => {
    fc.assert(
      fc.property(anyString(3000), fc.integer({ min: 1500, max: 9000 }), (summary, maxBytes) => {
        const rec = formatLocal(makeAlert({ summary }), { facility: 10, pid: 1, maxBytes });
        expect(Buffer.byteLength(rec)).toBeLessThanOrEqual(maxBytes);
        expect(noControlBytes(rec)).toBe(true);
        const m =
          /^<\d+>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d eqld\[1\]: (?:[a-z_]+=(?:[^ "]+|"(?:[^"\\]|\\.)*") )+msg="((?:[^"\\]|\\.)*)"$/.exec(
            rec,
          );
        expect(m).not.toBeNull();
        const unquoted = (m?.[1] ?? '').replace(/\\(["\\])/g, '$1');
        const full = escapeText(summary);
        if (unquoted !== full)
          expect(full.startsWith(unquoted.slice(0, -TRUNCATION_MARKER.length))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
