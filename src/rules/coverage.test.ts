import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeShared, SHARED_DATA, sharedPath } from '../../test/support/shared-data.js';
import { missingEventKinds } from './coverage.js';

interface Analysed {
  path: string;
  query: string;
  analysis: { tier: string; tier_reasons: string[] };
}
const corpus = (
  SHARED_DATA ? JSON.parse(readFileSync(sharedPath('elastic-linux-eql-rules.json'), 'utf8')) : []
) as Analysed[];

describe('missingEventKinds', () => {
  it('finds nothing missing in a process exec rule', () => {
    expect(
      missingEventKinds('process where event.type == "start" and event.action in ("exec", "start")'),
    ).toEqual([]);
  });

  it('names the event category eqld does not collect', () => {
    expect(missingEventKinds('sequence [process where true] [library where event.action == "load"]')).toEqual(
      ['library events'],
    );
  });

  it('takes file creation, rename and deletion, and names file actions eqld does not report', () => {
    expect(missingEventKinds('file where event.action in ("creation", "rename")')).toEqual([]);
    expect(missingEventKinds('file where event.type == "deletion"')).toEqual([]);
    expect(missingEventKinds('file where event.action == "modification"')).toEqual([
      'file modification events',
    ]);
  });

  it('names actions eqld never produces and ignores negated ones', () => {
    expect(missingEventKinds('process where event.action == "uid_change"')).toEqual([
      'process uid_change events',
    ]);
    expect(missingEventKinds('process where not event.action == "uid_change"')).toEqual([]);
    expect(missingEventKinds('process where event.action != "fork"')).toEqual([]);
  });

  it('ignores action names inside comments', () => {
    expect(
      missingEventKinds('process where event.action == "exec" // event.action == "uid_change"\n'),
    ).toEqual([]);
  });

  it('names DNS events for network steps reading dns.*', () => {
    expect(missingEventKinds('network where dns.question.name : "*.ngrok.io"')).toEqual(['DNS events']);
  });
});

describeShared('missingEventKinds against the shared corpus analysis', () => {
  it('agrees with the shared analysis on tiers A/B except rules that need connection_accepted', () => {
    // the shared analysis assumes accept events; eqld collects connection_attempted only
    const wrong = corpus
      .filter((r) => r.analysis.tier !== 'C-other-events')
      .map((r) => [r.path, missingEventKinds(r.query)] as const)
      .filter(([, needs]) => needs.length > 0);
    expect(wrong).toEqual([
      [
        'rules/cross-platform/initial_access_ollama_api_external_access.toml',
        ['network connection_accepted events'],
      ],
      [
        'rules/linux/persistence_simple_web_server_connection_accepted.toml',
        ['network connection_accepted events'],
      ],
    ]);
  });

  it('marks inactive every tier-C rule whose reason is an event kind', () => {
    // file events are collected now: a tier-C rule held back by them alone is no longer inactive
    const kindReason = /^(process action|network action|needs DNS)/;
    const missed = corpus
      .filter(
        (r) =>
          r.analysis.tier === 'C-other-events' && r.analysis.tier_reasons.some((x) => kindReason.test(x)),
      )
      .filter((r) => missingEventKinds(r.query).length === 0)
      .map((r) => r.path);
    expect(missed).toEqual([]);
  });
});
