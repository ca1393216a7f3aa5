// Replay fixtures that must and must not fire each bundled rule (test/fixtures/replay/*.ndjson,
// made by generate.py there), run through `eqld replay`'s library entry.
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runReplay } from '../../src/cli/replay.js';

const DIR = 'test/fixtures/replay';
const SSH = '63431796-f813-43af-820b-492ee2efec8e';
const ROOT = 'eb6a3790-d52d-11ec-8ce9-f661ea17fbce';

type Doc = {
  rule?: { id?: string };
  event?: { kind?: string };
  kibana?: { alert?: { suppression?: unknown } };
};

async function run(input: string, rules: string[] = []) {
  const out: Doc[] = [];
  const err: string[] = [];
  const code = await runReplay(rules, undefined, {
    lines: input.split('\n'),
    out: (l) => out.push(JSON.parse(l) as Doc),
    err: (l) => err.push(l),
  });
  return { code, alerts: out.filter((d) => d.kibana?.alert?.suppression === undefined), out, err };
}

const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.ndjson'))
  .sort();

describe('replay fixtures against the bundled rules', () => {
  it('has fixtures for both rules', () => {
    expect(fixtures.filter((f) => f.startsWith('ssh-netcon-')).length).toBeGreaterThanOrEqual(10);
    expect(fixtures.filter((f) => f.startsWith('root-netcon-')).length).toBeGreaterThanOrEqual(7);
  });

  for (const f of fixtures) {
    const fires = f.includes('-fire-');
    const ruleId = f.startsWith('ssh-netcon-') ? SSH : ROOT;
    it(`${f} ${fires ? 'fires exactly one alert of its rule' : 'fires nothing'}`, async () => {
      const { alerts, code } = await run(readFileSync(`${DIR}/${f}`, 'utf8'));
      expect(code).toBe(0);
      expect(alerts.map((a) => a.rule?.id)).toEqual(fires ? [ruleId] : []);
    });
  }

  it('the 2022 seed revision of the root rule fires on /usr/bin/ssh as root; the bundled one does not', async () => {
    const input = readFileSync(`${DIR}/root-netcon-quiet-usr-bin-ssh.ndjson`, 'utf8');
    expect((await run(input, [`${DIR}/seed-root-netcon-2022.toml`])).alerts.map((a) => a.rule?.id)).toEqual([
      ROOT,
    ]);
    expect((await run(input)).alerts).toEqual([]);
  });

  it('sorts events by @timestamp then event.sequence before matching', async () => {
    const lines = readFileSync(`${DIR}/ssh-netcon-fire-nc.ndjson`, 'utf8').trim().split('\n').reverse();
    expect((await run(lines.join('\n'))).alerts.map((a) => a.rule?.id)).toEqual([SSH]);
  });

  it('counts and reports malformed lines and still processes the good ones', async () => {
    const good = readFileSync(`${DIR}/ssh-netcon-fire-nc.ndjson`, 'utf8').trim().split('\n');
    const input = [
      '{not json',
      '[1,2]',
      '{"event":{"category":["process"]}}',
      '\u0000\u00ff garbage',
      ...good,
    ].join('\n');
    const { alerts, err } = await run(input);
    expect(alerts).toHaveLength(1);
    expect(err[0]).toBe('eqld replay: 4 malformed line(s) skipped');
    expect(err.slice(1, 5).map((l) => l.trim().split(':')[0])).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
    ]);
    expect(err.some((l) => l.includes('no valid @timestamp'))).toBe(true);
  });

  it('prints the same alert ids on every run of the same input', async () => {
    const input = readFileSync(`${DIR}/root-netcon-fire-reverse-shell.ndjson`, 'utf8');
    const a = (await run(input)).out;
    const b = (await run(input)).out;
    expect(b).toEqual(a);
  });
});
