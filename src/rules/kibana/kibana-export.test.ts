import { describe, expect, it } from 'vitest';
import { classifyKibanaObject, looksLikeKibanaExport, readKibanaExport } from './kibana-export.js';

describe('classifyKibanaObject', () => {
  it.each([
    [{ rule_id: 'x', type: 'eql', name: 'n' }, 'rule'],
    [{ type: 'machine_learning', name: 'n' }, 'rule'],
    [{ list_id: 'l', type: 'detection', name: 'n', namespace_type: 'single' }, 'exception_list'],
    [{ list_id: 'endpoint_list', type: 'endpoint', namespace_type: 'agnostic' }, 'exception_list'],
    [{ list_id: 'l', item_id: 'i', type: 'simple', entries: [] }, 'exception_list_item'],
    [{ id: 'c', type: 'action', attributes: { actionTypeId: '.webhook' } }, 'action_connector'],
    [{ exported_count: 3, exported_rules_count: 3 }, 'export_summary'],
    [{ exported_exception_list_count: 1, exported_exception_list_item_count: 2 }, 'export_summary'],
    [{ owner: 'soc' }, undefined],
    [{ type: 'detection' }, undefined],
  ])('%j is %s', (o, kind) => {
    expect(classifyKibanaObject(o)).toBe(kind);
  });
});

describe('looksLikeKibanaExport', () => {
  it('tells an export from TOML and from other JSON by its first line', () => {
    expect(looksLikeKibanaExport('\n{"rule_id":"x","type":"eql"}\n', false)).toBe(true);
    expect(looksLikeKibanaExport('[metadata]\nmaturity = "production"\n', true)).toBe(false);
    expect(looksLikeKibanaExport('{\n  "rule-id": {"version": 3}\n}\n', false)).toBe(false);
    expect(looksLikeKibanaExport('{"owner": "soc"}\n', false)).toBe(false);
    // named on the command line: a broken first line still makes it an export (its error is named)
    expect(looksLikeKibanaExport('{"rule_id": "x", "na\n', true)).toBe(true);
  });
});

describe('readKibanaExport', () => {
  it('keeps good lines, names bad ones by line, skips blank lines, never prints control bytes', () => {
    const text = [
      '{"rule_id":"a","type":"eql"}',
      '',
      '{"x":\u001b[31m',
      '"str"',
      '{"rule_id":"b","type":"eql"}',
    ].join('\r\n');
    const exp = readKibanaExport(text, 'e.ndjson');
    expect(exp.lines.map((l) => [l.kind, l.line])).toEqual([
      ['rule', 1],
      ['rule', 5],
    ]);
    expect(exp.errors.map((e) => [e.kind, e.line])).toEqual([
      ['json', 3],
      ['json', 4],
    ]);
    for (const e of exp.errors) expect(e.message).not.toMatch(/[\u0000-\u001f]/);
  });
});
