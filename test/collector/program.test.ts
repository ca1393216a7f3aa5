import { describe, expect, it } from 'vitest';
import { parseTracepointFormat, renderProgram } from '../../src/collector/program.js';

const EXEC_FORMAT = `name: sched_process_exec
ID: 300
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
`;

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
    const p = renderProgram({ argvBytes: 2000, filenameLocOffset: 8 });
    expect(p).not.toMatch(/@[A-Z_]+@|^@repeat|^@chunk|^@end/m);
    const argChunks = [...p.matchAll(/printf\("exec_arg %llu %d %d %rx\\n", \$e\.0, tid, (\d+),/g)].map((m) =>
      Number(m[1]),
    );
    expect(argChunks).toEqual([0, 200, 400, 600, 800, 1000, 1200, 1400, 1600, 1800]);
    // 1 header + 3 filename blocks (21 chunks) + 2 argv blocks + 1 cleanup
    expect(p.match(/^tracepoint:sched:sched_process_exec$/gm)).toHaveLength(7);
    expect(p).toContain('*(uint32 *)((uint64)args + 8)');
  });

  it('refuses an argv bound that is not a small non-negative integer', () => {
    expect(() => renderProgram({ argvBytes: -1, filenameLocOffset: 8 })).toThrow(/argv bytes/);
    expect(() => renderProgram({ argvBytes: 1.5, filenameLocOffset: 8 })).toThrow(/argv bytes/);
  });
});
