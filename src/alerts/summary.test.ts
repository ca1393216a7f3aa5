import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { summarize } from './summary.js';

const proc = (over: Record<string, unknown>) => ({
  event: { category: ['process'], action: 'exec' },
  ...over,
});

describe('summarize', () => {
  it('describes a lone process event with its parent from process.parent.*', () => {
    const e = proc({
      process: {
        executable: '/usr/bin/id',
        pid: 9,
        entity_id: 'x',
        parent: { executable: '/bin/sh', pid: 8 },
      },
    });
    expect(summarize('R', [e])).toBe('R: /usr/bin/id (pid 9, child of /bin/sh pid 8)');
  });

  it('falls back to process.name and ? when fields are missing', () => {
    expect(summarize('R', [proc({ process: { name: 'nc' } })])).toBe('R: nc (pid ?)');
    expect(summarize('R', [{}])).toBe('R: ? (pid ?)');
  });

  it('names non-exec actions and brackets IPv6 destinations', () => {
    const e = proc({
      event: { category: ['process'], action: 'end' },
      process: { executable: '/x', pid: 1 },
    });
    expect(summarize('R', [e])).toBe('R: /x (pid 1) [end]');
    const n = {
      event: { category: ['network'] },
      process: { executable: '/y', pid: 2 },
      destination: { ip: '::1', port: 80 },
    };
    expect(summarize('R', [n])).toBe('R: /y (pid 2) -> [::1]:80');
  });

  it('names a file event’s path, and a rename’s old and new path, neutralized', () => {
    const f = (file: Record<string, unknown>, action: string) => ({
      event: { category: ['file'], action },
      process: { executable: '/bin/mv', pid: 3 },
      file,
    });
    expect(summarize('R', [f({ path: '/etc/ld.so.preload' }, 'creation')])).toBe(
      'R: /bin/mv (pid 3) [creation /etc/ld.so.preload]',
    );
    expect(
      summarize('R', [f({ path: '/etc/shadow', Ext: { original: { path: '/etc/.x' } } }, 'rename')]),
    ).toBe('R: /bin/mv (pid 3) [rename /etc/.x -> /etc/shadow]');
    expect(summarize('R', [f({ path: '/tmp/a\nforged record' }, 'creation')])).not.toContain('\n');
  });

  it('never contains a line break or control character, whatever the event strings hold', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }),
        fc.string({ unit: 'binary' }),
        fc.string(),
        (exe, parent, name) => {
          const e = proc({ process: { executable: exe, pid: 1, parent: { executable: parent, pid: 0 } } });
          const s = summarize(name, [
            e,
            {
              event: { category: ['network'] },
              process: { executable: exe },
              destination: { ip: parent, port: 1 },
            },
          ]);
          expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
        },
      ),
      { numRuns: 300 },
    );
  });
});
