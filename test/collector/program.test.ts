import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  hexWordArgs,
  PROTOCOL_VERSION,
  parseTracepointFormat,
  renderProgram,
} from '../../src/collector/program.js';

const EXEC_FORMAT = `name: sched_process_exec
ID: 300
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
`;

const OFFSETS = { comm: 1752, capEffective: 64, capPermitted: 56, upidNs: 8, mountMnt: 32 };

describe('bpf program rendering', () => {
  it('reads field offsets from a tracefs format file', () => {
    const f = parseTracepointFormat(EXEC_FORMAT);
    expect(f.find((x) => x.name === 'filename')).toEqual({
      name: 'filename',
      type: '__data_loc char[] filename',
      offset: 8,
      size: 4,
    });
  });

  it('unrolls argv chunks up to the bound, 8 per probe block, and fills every placeholder', () => {
    const p = renderProgram({ argvBytes: 2000, filenameLocOffset: 8, offsets: OFFSETS });
    expect(p).not.toMatch(/@[A-Z_]+( [^@]*)?@|^@repeat|^@chunk|^@end/m);
    // each chunk prints 4 words when it fits 32 bytes, else 25, plus the tail word
    const argChunks = [
      ...p.matchAll(/printf\("exec_arg %llu %d %d %d ((?:%016llx)+) %016llx\\n", \$e\.0, tid, (\d+),/g),
    ];
    expect(argChunks.map((m) => [Number(m[2]), m[1]!.length / 7])).toEqual(
      [0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800].flatMap((off) => [
        [off, 4],
        [off, 25],
      ]),
    );
    const code = p
      .split('\n')
      .filter((l) => !l.trimStart().startsWith('//'))
      .join('\n');
    expect(code).not.toContain('%rx');
    expect(p).toContain('*(uint64 *)((uint64)$t + 1752 + 8)');
    // 1 working-directory walk + 1 header + 3 filename blocks (21 chunks) + 2 argv blocks + 1
    // cleanup; no environment blocks when no variable is to be captured
    expect(p.match(/^tracepoint:sched:sched_process_exec$/gm)).toHaveLength(8);
    expect(p).not.toContain('@xe[tid]');
    expect(p).toContain('$wd = curtask->fs->pwd.dentry;');
    expect(p).toContain('*(uint32 *)((uint64)args + 8)');
  });

  it('refuses an argv bound that is not a small non-negative integer', () => {
    expect(() => renderProgram({ argvBytes: -1, filenameLocOffset: 8, offsets: OFFSETS })).toThrow(
      /argv bytes/,
    );
    expect(() => renderProgram({ argvBytes: 1.5, filenameLocOffset: 8, offsets: OFFSETS })).toThrow(
      /argv bytes/,
    );
  });

  it("answers only its own eqld's readiness ping: a value above any pid_max, drawn per process", async () => {
    const { READY_PID } = await import('../../src/collector/program.js');
    expect(READY_PID).toBeGreaterThanOrEqual(2_000_000_000);
    expect(READY_PID).toBeLessThan(2_100_000_000);
    const p = renderProgram({ argvBytes: 1024, filenameLocOffset: 8, offsets: OFFSETS });
    expect(p).toContain(`/args->pid == ${READY_PID} && args->sig == 0/`);
    const other = spawnSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import('./dist/collector/program.js').then((m) => console.log(m.READY_PID))",
      ],
      { encoding: 'utf8' },
    );
    expect(Number(other.stdout.trim())).toBeGreaterThanOrEqual(2_000_000_000);
    expect(Number(other.stdout.trim())).not.toBe(READY_PID);
  });

  it('says in its hello line the protocol version the parser speaks', () => {
    const p = renderProgram({ argvBytes: 8, filenameLocOffset: 8, offsets: OFFSETS });
    expect(p).toContain(`printf("hello ${PROTOCOL_VERSION} %llu %d %d\\n", nsecs, 8, pid);`);
  });

  it('refuses a comm offset that is not a positive integer', () => {
    expect(() =>
      renderProgram({ argvBytes: 8, filenameLocOffset: 8, offsets: { ...OFFSETS, comm: 0 } }),
    ).toThrow(/comm offset/);
  });

  it('reads only whole words inside the field, and the tail as the 8 bytes that end at the field end', () => {
    expect(hexWordArgs(2, 'user').split(', ')).toEqual([
      '($len >= 8 ? *(uint64 *)uptr($a) : 0)',
      '($len >= 16 ? *(uint64 *)uptr($a + 8) : 0)',
      '(($len & 7) != 0 ? *(uint64 *)uptr($a + $len - 8) >> (($len & 7) == 0 ? 0 : 64 - ($len & 7) * 8) : 0)',
    ]);
    expect(hexWordArgs(1, 'kernel')).toContain('*(uint64 *)($a + $len - 8)');
  });
});
