// File events recorded from the real kernel (`eqld events` while the attacks and look-alikes of
// test/e2e/file-rules.test.ts ran in private mount namespaces, plus unrelated file events of the
// machine), replayed through six of Elastic's file rules, unchanged (test/fixtures/elastic-file-rules):
// each rule fires once, on its attack, and never on its look-alike.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runReplay } from '../../src/cli/replay.js';

const RULES = 'test/fixtures/elastic-file-rules';
const RECORDED = 'test/fixtures/replay-file/recorded-file-events.ndjson';

type Alert = { rule?: { name?: string }; file?: { path?: string; Ext?: { original?: { path?: string } } } };

describe('Elastic file rules on file events recorded from the kernel', () => {
  it('fire once each on the attacks and never on the look-alikes', async () => {
    const alerts: Alert[] = [];
    const err: string[] = [];
    const code = await runReplay([RULES], undefined, {
      lines: readFileSync(RECORDED, 'utf8').split('\n'),
      out: (l) => alerts.push(JSON.parse(l) as Alert),
      err: (l) => err.push(l),
    });
    expect(code).toBe(0);
    expect(err).toEqual(['eqld replay: 32 events, 6 alert record(s), 6 rules loaded']);
    expect(alerts.map((a) => [a.rule?.name, a.file?.path]).sort()).toEqual(
      [
        ['Systemd Service Created', '/etc/systemd/system/backdoor.service'],
        ['Dynamic Linker Creation', '/etc/ld.so.preload'],
        ['Creation of Hidden Shared Object File', expect.stringMatching(/\/\.hook\.so$/)],
        ['Shadow File Modification by Unusual Process', '/etc/shadow'],
        ['System Log File Deletion', '/var/log/auth.log'],
        ['Sudoers File Activity', '/etc/sudoers.d/u'],
      ].sort(),
    );
    const shadow = alerts.find((a) => a.rule?.name === 'Shadow File Modification by Unusual Process');
    expect(shadow?.file?.Ext?.original?.path).toBe('/etc/.evil');
  });
});
