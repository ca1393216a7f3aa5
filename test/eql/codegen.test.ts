// The generated filters (src/eql/codegen.ts) as code: rule text never becomes source text (field
// names and literals with quotes, backslashes, `*/`, newlines, U+2028, lone surrogates), long
// chains are split into functions, and a process that disallows code generation runs the closures.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateFilter } from '../../src/eql/codegen.js';
import { ExprCompiler } from '../../src/eql/compile-expr.js';
import { compileQuery } from '../../src/eql/index.js';
import { parseQuery } from '../../src/eql/parser.js';
import { REPO_ROOT } from '../support/eqld-process.js';

/** an EQL string literal holding exactly `s` */
const eqlString = (s: string): string =>
  `"${[...s]
    .map((c) => {
      if (c === '\\') return '\\\\';
      if (c === '"') return '\\"';
      const cp = c.codePointAt(0) as number;
      return cp < 0x20 || cp === 0x2028 || cp === 0x2029 || (cp >= 0xd800 && cp <= 0xdfff)
        ? `\\u{${cp.toString(16).padStart(4, '0')}}`
        : c;
    })
    .join('')}"`;

/** an EQL quoted field name for `s` (a backtick doubled) */
const eqlField = (s: string): string => `\`${s.replaceAll('`', '``')}\``;

function sourceOf(query: string): string {
  const st = parseQuery(query);
  if (st.query.kind !== 'event') throw new Error('an event query');
  const ec = new ExprCompiler(query);
  const gen = generateFilter(st.query.category, ec.rewrite(st.query.condition), () => () => false);
  if (!gen) throw new Error('code generation is disallowed in this process');
  return gen.source;
}

const HOSTILE = [
  '"); globalThis.eqldPwned = 1; ("',
  "'); globalThis.eqldPwned = 1; ('",
  ['`$', '{globalThis.eqldPwned = 1}`'].join(''),
  '*/ globalThis.eqldPwned = 1; /*',
  'a\\',
  '\\"',
  'line\nglobalThis.eqldPwned = 1;//',
  'sep\u2028globalThis.eqldPwned = 1;\u2029',
  'lone \ud800 surrogate',
  '</script>',
];

describe('generated filters', () => {
  it.each(HOSTILE)('compare a hostile literal as data, never as code: %j', (h) => {
    for (const op of ['==', ':', 'like', 'in', 'in~', '>=']) {
      const lit = eqlString(h);
      const query =
        op === 'in' || op === 'in~'
          ? `process where process.name ${op} (${lit}, "other")`
          : `process where process.name ${op} ${lit}`;
      const test = (compileQuery(query).filter as { test: (d: object) => boolean }).test;
      const doc = (name: unknown) => ({ event: { category: 'process' }, process: { name } });
      expect(test(doc(h)), `${op} ${JSON.stringify(h)}`).toBe(true);
      const wildcard = (op === ':' || op === 'like') && /[*?]/.test(h);
      if (op !== '>=' && !wildcard) expect(test(doc(`${h}x`)), `${op} ${JSON.stringify(h)}x`).toBe(false);
      expect((globalThis as Record<string, unknown>).eqldPwned).toBeUndefined();
      const src = sourceOf(query);
      // the literal appears only as a JSON string literal (or inside a constant)
      if (op === '==') expect(src).toContain(JSON.stringify(h));
      if (h.includes('\n')) expect(src).not.toContain(h);
    }
  });

  it.each(HOSTILE)('read a hostile field name through a constant, never from the source: %j', (h) => {
    const query = `process where ${eqlField(h)} == "v" or ${eqlField(`${h}.child`)} in ("w", "z")`;
    const test = (compileQuery(query).filter as { test: (d: object) => boolean }).test;
    expect(test({ event: { category: 'process' }, [h]: 'v' })).toBe(true);
    expect(test({ event: { category: 'process' }, [h]: { child: 'z' } })).toBe(true);
    expect(test({ event: { category: 'process' }, [h]: 'w' })).toBe(false);
    expect((globalThis as Record<string, unknown>).eqldPwned).toBeUndefined();
    expect(sourceOf(query)).not.toContain(h);
  });

  it('splits a long chain of alternatives into functions of a few operands each', () => {
    const alternatives = Array.from({ length: 2000 }, (_, i) => `process.pid == ${i}`).join(' or ');
    const query = `process where ${alternatives}`;
    const src = sourceOf(query);
    expect(src.match(/^function f\d+\(d\)/gm)?.length).toBeGreaterThan(100);
    const test = (compileQuery(query).filter as { test: (d: object) => boolean }).test;
    expect(test({ event: { category: 'process' }, process: { pid: 1999 } })).toBe(true);
    expect(test({ event: { category: 'process' }, process: { pid: 2000 } })).toBe(false);
  });

  it('writes numbers JSON cannot print (NaN, -0) as constants or with their sign', () => {
    expect(sourceOf('process where process.pid == -0')).toContain('(-0)');
    const test = (
      compileQuery('process where process.pid in ("NaN", 1)').filter as {
        test: (d: object) => boolean;
      }
    ).test;
    // a terms query compares numbers as a Set does (NaN equals NaN), like the closures
    expect(test({ event: { category: 'process' }, process: { pid: Number.NaN } })).toBe(
      (
        compileQuery('process where process.pid in ("NaN", 1)', { codegen: false }).filter as {
          test: (d: object) => boolean;
        }
      ).test({ event: { category: 'process' }, process: { pid: Number.NaN } }),
    );
  });

  const dist = join(REPO_ROOT, 'dist', 'eql', 'index.js');
  it.skipIf(!existsSync(dist))(
    'runs the closures where code generation from strings is disallowed (built dist/)',
    () => {
      const script = `
        const eql = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'eql', 'index.js'))});
        const cg = await import(${JSON.stringify(join(REPO_ROOT, 'dist', 'eql', 'codegen.js'))});
        let generated = 'no';
        try { new Function('return 1'); generated = 'yes'; } catch {}
        const q = eql.compileQuery('process where process.name : ("bash", "sh*") and process.pid > 5');
        const t = q.filter.test;
        const d = (name, pid) => ({ event: { category: 'process' }, process: { name, pid } });
        const lit = { kind: 'literal', value: true, at: 0 };
        process.stdout.write(JSON.stringify({
          generated,
          generator: cg.generateFilter('any', lit, () => () => true) === undefined ? 'off' : 'on',
          results: [t(d('BASH', 6)), t(d('shell', 9)), t(d('bash', 5)), t(d('zsh', 9))],
        }));`;
      const out = execFileSync(
        process.execPath,
        ['--disallow-code-generation-from-strings', '--input-type=module', '-e', script],
        { encoding: 'utf8' },
      );
      expect(JSON.parse(out)).toEqual({
        generated: 'no',
        generator: 'off',
        results: [true, true, false, false],
      });
    },
  );
});
