import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeShared, SHARED_DATA, sharedPath } from '../../test/support/shared-data.js';
import { compileQuery } from '../eql/index.js';
import { EVENT_KINDS, type EventKindFields } from '../normalize/field-catalogue.js';
import { ruleCoverage } from './coverage.js';

interface Analysed {
  path: string;
  query: string;
  analysis: { tier: string; tier_reasons: string[] };
}
const corpus = (
  SHARED_DATA ? JSON.parse(readFileSync(sharedPath('elastic-linux-eql-rules.json'), 'utf8')) : []
) as Analysed[];

const coverage = (q: string, kinds?: readonly EventKindFields[]) =>
  ruleCoverage(compileQuery(q).statement, kinds);
const needs = (q: string, kinds?: readonly EventKindFields[]) => coverage(q, kinds).needs;

/** a catalogue whose kinds lack `fields` */
const without = (...fields: string[]): EventKindFields[] =>
  EVENT_KINDS.map((k) => ({ ...k, fields: new Set([...k.fields].filter((f) => !fields.includes(f))) }));

describe('ruleCoverage: event kinds', () => {
  it('finds nothing missing in a process exec rule', () => {
    expect(needs('process where event.type == "start" and event.action in ("exec", "start")')).toEqual([]);
  });

  it('names file events for a file step when no file kind is catalogued', () => {
    const noFile = EVENT_KINDS.filter((k) => k.category !== 'file');
    expect(needs('sequence [process where true] [file where event.action == "creation"]', noFile)).toEqual([
      'file events',
    ]);
  });

  it('takes file creation, rename and deletion, and names file actions eqld does not report', () => {
    expect(needs('file where event.action in ("creation", "rename")')).toEqual([]);
    expect(needs('file where event.type == "deletion"')).toEqual([]);
    expect(needs('file where event.action == "modification"')).toEqual(['file modification events']);
    // Defend's Linux file events have event.outcome "unknown"
    expect(needs('file where event.action in ("open", "creation") and event.outcome == "success"')).toEqual([
      'file events of another event.outcome',
    ]);
    expect(needs('file where event.type == "creation" and file.Ext.original.path : "/tmp/*"')).toEqual([
      'file.Ext.original.path (file creation events)',
    ]);
  });

  it('names actions eqld never produces and ignores negated ones', () => {
    expect(needs('process where event.action == "guid_change"')).toEqual(['process guid_change events']);
    expect(needs('process where not event.action == "guid_change"')).toEqual([]);
    expect(needs('process where event.action != "fork"')).toEqual([]);
  });

  it('reads event.type as well as event.action', () => {
    expect(needs('process where event.type == "denied"')).toEqual(['other process events']);
    expect(needs('process where event.type == "end" and event.action == "exec"')).toEqual([
      'process exec events',
    ]);
  });

  it('ignores action names inside comments', () => {
    expect(needs('process where event.action == "exec" // event.action == "guid_change"\n')).toEqual([]);
  });

  it('says when a step reads another operating system, module or dataset', () => {
    expect(needs('file where host.os.type == "windows" and event.code == "5145"')).toEqual(
      EVENT_KINDS.some((k) => k.category === 'file')
        ? ['file events of another host.os.type']
        : ['file events'],
    );
    expect(needs('network where data_stream.dataset == "suricata.eve" and event.kind == "alert"')).toEqual([
      'network events of another data_stream.dataset and event.kind',
    ]);
  });

  it('names DNS events for network steps reading dns.*', () => {
    expect(needs('network where dns.question.name : "*.ngrok.io"')).toEqual(['DNS events']);
  });

  it('skips missing-event stages of a sequence', () => {
    expect(
      needs(
        'sequence with maxspan=1s [process where event.action == "exec"] ![process where event.action == "nope"]',
      ),
    ).toEqual([]);
  });
});

describe('ruleCoverage: fields', () => {
  it('needs a field a positive condition requires and the kind never fills', () => {
    const q = 'process where event.action == "exec" and process.env_vars : "LD_PRELOAD=*"';
    expect(needs(q, without('process.env_vars'))).toEqual(['process.env_vars (process exec events)']);
  });

  it('names alternatives with `or` and fields needed together with `and`', () => {
    const kinds = without('process.interactive', 'process.parent.interactive');
    expect(
      needs(
        'process where event.action == "exec" and (process.interactive == true or process.parent.interactive == true)',
        kinds,
      ),
    ).toEqual(['process.interactive or process.parent.interactive (process exec events)']);
    expect(
      needs(
        'process where event.action == "exec" and process.interactive == true and process.parent.interactive == true',
        kinds,
      ),
    ).toEqual(['process.interactive and process.parent.interactive (process exec events)']);
  });

  it('counts a non-optional sequence join key as required, an optional one not', () => {
    const kinds = without('process.working_directory');
    const q = (key: string) =>
      `sequence by ${key} with maxspan=1s [process where event.action == "exec"] [process where event.action == "end"]`;
    expect(needs(q('process.working_directory'), kinds)).toEqual([
      'process.working_directory (process exec events)',
      'process.working_directory (process end events)',
    ]);
    expect(needs(q('?process.working_directory'), kinds)).toEqual([]);
  });

  it('is satisfied when the field can be null: `== null` and `!=` on a never-set field', () => {
    expect(needs('process where event.action == "exec" and process.nonexistent == null')).toEqual([]);
    expect(needs('process where event.action == "exec" and process.nonexistent != "x"')).toEqual([]);
  });

  it('says when an exclusion reads a field that is never set', () => {
    const c = coverage('process where event.action == "exec" and not process.nonexistent in ("a", "b")');
    expect(c).toEqual({
      needs: [],
      notes: ['process.nonexistent is never set: the exclusion never applies'],
    });
    expect(coverage('process where event.action == "exec" and process.nonexistent != "a"').notes).toEqual([
      'process.nonexistent is never set: the exclusion never applies',
    ]);
  });

  it('says when an alternative reads a field that is never set', () => {
    expect(
      coverage(
        'process where event.action == "exec" and (process.name == "x" or process.nonexistent == "y")',
      ),
    ).toEqual({ needs: [], notes: ['process.nonexistent is never set: a condition on it never matches'] });
  });

  it('judges a field by the kinds the step matches, not by every kind of the category', () => {
    // process.exit_code is set on end events only
    expect(needs('process where event.action == "exec" and process.exit_code == 0')).toEqual([
      'process.exit_code (process exec events)',
    ]);
    expect(needs('process where event.action == "end" and process.exit_code == 0')).toEqual([]);
  });
});

describeShared('ruleCoverage against the shared corpus analysis', () => {
  it('finds a tier-C rule inactive when its reason is an event kind eqld lacks, active when eqld has it', () => {
    // the process actions the shared analysis took as missing and eqld now produces
    const nowCollected =
      /^process action:\['(load_module|already_running|uid_change|gid_change)'(, '(gid_change|uid_change)')?\]$/;
    const kindReason = /^(cat:file|process action|network action|needs DNS)/;
    const noFile = EVENT_KINDS.filter((k) => k.category !== 'file');
    const wrong = corpus
      .filter(
        (r) =>
          r.analysis.tier === 'C-other-events' && r.analysis.tier_reasons.some((x) => kindReason.test(x)),
      )
      .filter((r) => {
        const collected = r.analysis.tier_reasons.every((x) => nowCollected.test(x));
        return (needs(r.query, noFile).length === 0) !== collected;
      })
      .map((r) => r.path);
    expect(wrong).toEqual([]);
  });

  it('finds every tier-A rule active', () => {
    const inactive = corpus
      .filter((r) => r.analysis.tier.startsWith('A'))
      .map((r) => [r.path, needs(r.query)] as const)
      .filter(([, n]) => n.length > 0);
    expect(inactive).toEqual([]);
  });
});
