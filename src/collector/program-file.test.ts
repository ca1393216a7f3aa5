import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProgramFiles } from './program-file.js';

describe('ProgramFiles', () => {
  let parent: string;
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('writes programs into one private directory and removes it when told', () => {
    parent = mkdtempSync(join(tmpdir(), 'eqld-programs-'));
    const files = new ProgramFiles(parent);
    const a = files.write('process', 'BEGIN {}');
    const b = files.write('file', 'END {}');
    expect(join(a, '..')).toBe(join(b, '..'));
    expect(readdirSync(parent)).toEqual([expect.stringMatching(new RegExp(`^eqld-bpf-${process.pid}-`))]);
    files.remove();
    expect(readdirSync(parent)).toEqual([]);
  });

  it('removes the directories a killed collector left behind, and only those', () => {
    parent = mkdtempSync(join(tmpdir(), 'eqld-programs-'));
    // a pid that ran and is gone: a child that has exited and been reaped
    const gone = spawnSync('true').pid as number;
    const orphan = join(parent, `eqld-bpf-${gone}-abc123`);
    const alive = join(parent, 'eqld-bpf-1-def456'); // init runs
    const other = join(parent, 'eqld-bpf-notapid');
    for (const d of [orphan, alive, other]) {
      mkdirSync(d);
      writeFileSync(join(d, 'process.bt'), 'BEGIN {}');
    }
    new ProgramFiles(parent).write('process', 'BEGIN {}');
    expect(existsSync(orphan)).toBe(false);
    expect(existsSync(alive)).toBe(true);
    expect(existsSync(other)).toBe(true);
  });
});
