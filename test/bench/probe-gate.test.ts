import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeProbeGateWrapper } from '../../bench/probe-gate.js';

// The bench's probe gate (bench/probe-gate.ts) rewrites eqld's rendered program; a stand-in
// "bpftrace" that prints what it was given shows the rewrite.
const dir = mkdtempSync(join(tmpdir(), 'eqld-probe-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const fakeBpftrace = join(dir, 'fake-bpftrace');
writeFileSync(fakeBpftrace, '#!/bin/sh\nif [ -f "$1" ]; then cat "$1"; else echo "args: $*"; fi\n');
chmodSync(fakeBpftrace, 0o755);
const wrapper = writeProbeGateWrapper(dir);

function gated(program: string): string {
  const path = join(dir, 'process.bt');
  writeFileSync(path, program);
  return execFileSync(wrapper, [path], {
    encoding: 'utf8',
    env: { ...process.env, EQLD_BENCH_REAL_BPFTRACE: fakeBpftrace },
  });
}

const PROGRAM = `// a comment with a brace {
BEGIN
{
  printf("hello {%d}\\n", pid);
}

tracepoint:sched:sched_process_exec
/pid != 1/
{
  $t = curtask;
  if ($t->pid > 0) { printf("exec \\"}\\" %d\\n", $t->pid); }
  /* } in a comment */
}

tracepoint:syscalls:sys_exit_clone,
tracepoint:syscalls:sys_exit_fork
{
  @fk[tid] = 1;
}

interval:s:5
{
  printf("counters %llu\\n", nsecs);
}

END
{
  clear(@fk);
}
`;

describe('the bench probe gate', () => {
  it('puts every probe body but BEGIN, END and intervals behind the gate map', () => {
    const out = gated(PROGRAM);
    expect(out).toContain('{ @eqld_bench_gate = 0;\n  printf("hello {%d}\\n", pid);\n}');
    expect(out).toContain(
      '/pid != 1/\n{ if (@eqld_bench_gate == 0) {\n  $t = curtask;\n  if ($t->pid > 0) { printf("exec \\"}\\" %d\\n", $t->pid); }\n  /* } in a comment */\n} }',
    );
    expect(out).toContain(
      'tracepoint:syscalls:sys_exit_fork\n{ if (@eqld_bench_gate == 0) {\n  @fk[tid] = 1;\n} }',
    );
    expect(out).toContain('interval:s:5\n{\n  printf("counters %llu\\n", nsecs);\n}');
    expect(out).toContain('{ clear(@eqld_bench_gate);\n  clear(@fk);\n}');
    expect(out.match(/@eqld_bench_gate == 0/g)).toHaveLength(2);
  });

  it('leaves everything else of the program as it was', () => {
    const out = gated(PROGRAM)
      .replaceAll(' @eqld_bench_gate = 0;', '')
      .replaceAll(' clear(@eqld_bench_gate);', '')
      .replaceAll('{ if (@eqld_bench_gate == 0) {', '{')
      .replaceAll('} }', '}');
    expect(out).toBe(PROGRAM);
  });

  it('passes anything but a program file through to bpftrace', () => {
    const out = execFileSync(wrapper, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, EQLD_BENCH_REAL_BPFTRACE: fakeBpftrace },
    });
    expect(out.trim()).toBe('args: --version');
  });

  it('refuses a program whose braces do not balance', () => {
    expect(() => gated('tracepoint:a:b\n{\n  @x = 1;\n')).toThrow(/unbalanced braces/);
  });
});
