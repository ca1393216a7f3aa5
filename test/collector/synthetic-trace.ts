// Deterministic stand-in for recorded bpftrace output (bpf/FORMAT.md), for the parse
// micro-benchmark (bench/collector-parse.bench.ts) and its tests. Modelled on a capture of
// bpftrace 0.17 under the collector benchmark's storms: an exec is fork + exec header +
// exec_fn + exec_arg chunks + exit; a connect storm is one `connect` line per connect.
// Two CPUs' lines interleave with a small timestamp skew, as from two perf buffers.
// Same seed, same text: a before/after comparison runs on byte-identical input.

import { chunkFields, commWords, connectSource, execContext } from '../support/hex-words.js';
import { mulberry32 } from '../support/prng.js';

export type Workload = 'exec' | 'exec-long-argv' | 'connect';

export interface TraceOptions {
  workload: Workload;
  /** operations (one exec or one connect) to generate */
  ops: number;
  seed?: number;
  /** argv bound the program was rendered with (exec-long-argv: ~4000 B argv cut to it) */
  argvBound?: number;
}

function ascii(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
}

function comm(name: string): string {
  return commWords(name);
}

const PROGRAMS = ['/bin/true', '/usr/bin/mkdir', '/usr/bin/git', '/usr/local/bin/node', '/bin/sh'];
const WORDS = ['-p', '-m', '700', '/tmp/bash_jobs.0', 'status', '--short', '-c', 'echo hi', 'run'];

/** Generates the text bpftrace would print (lines ending in `\n`), deterministically. */
export function syntheticTrace(opts: TraceOptions): string {
  const rnd = mulberry32(opts.seed ?? 1);
  const bound = opts.argvBound ?? 1024;
  const cpu: string[][] = [[], []];
  const bootNs = 4_866_053_530_880;
  let ts = bootNs;
  let nextPid = 2000;
  const out: string[] = ['Attaching 19 probes...', `hello 3 ${ts} ${bound}`];
  for (let op = 0; op < opts.ops; op++) {
    const lines = cpu[rnd() < 0.5 ? 0 : 1]!;
    ts += 200_000 + Math.floor(rnd() * 1_000_000);
    const ppid = 1000 + Math.floor(rnd() * 50);
    const pstart = 48_841_955_502 + ppid;
    if (opts.workload === 'connect') {
      const ret = rnd() < 0.9 ? -111 : 0;
      const v6 = rnd() < 0.1;
      lines.push(
        `connect ${ts} ${ppid} ${ppid} ${pstart} 0 0 0 0 ${v6 ? 6 : 4} 1 ${33000 + (op % 1000)} ` +
          `${v6 ? '::1' : '127.0.0.1'} ${ret} ${connectSource()} ${comm('python3')}`,
      );
    } else {
      execLines(lines, ts, ppid, pstart);
    }
    // the CPUs' buffers are drained every few operations, in either order
    if (rnd() < 0.3) {
      const [a, b] = rnd() < 0.5 ? [cpu[0]!, cpu[1]!] : [cpu[1]!, cpu[0]!];
      out.push(...a.splice(0), ...b.splice(0));
    }
  }
  out.push(...cpu[0]!, ...cpu[1]!, '@connect_other: 3', '');
  return out.join('\n');

  function execLines(lines: string[], ts: number, ppid: number, pstart: number): void {
    const pid = nextPid++;
    const start = ts - 3000;
    const prog = PROGRAMS[Math.floor(rnd() * PROGRAMS.length)]!;
    lines.push(`fork ${ts - 5000} ${ppid} ${ppid} ${pstart} ${pid} ${start}`);
    const fn = ascii(`${prog}\0`);
    let args = `${prog.slice(prog.lastIndexOf('/') + 1)}\0`;
    if (opts.workload === 'exec-long-argv') {
      for (let i = 0; i < 40; i++) args += `${'a'.repeat(99)}\0`;
    } else {
      const n = 1 + Math.floor(rnd() * 4);
      for (let i = 0; i < n; i++) args += `${WORDS[Math.floor(rnd() * WORDS.length)]}\0`;
    }
    const argv = ascii(args);
    const shown = Math.min(argv.length, bound);
    const name = prog.slice(prog.lastIndexOf('/') + 1);
    lines.push(
      `exec ${ts} ${pid} ${pid} ${ppid} 0 0 0 0 ${ppid} ${start} ${pstart} 1 ${fn.length} ` +
        `${argv.length} ${shown} ${comm(name)} ${execContext({ argc: args.split('\0').length - 1 })}`,
    );
    for (let off = 0; off < fn.length; off += 200)
      lines.push(`exec_fn ${ts} ${pid} ${off} ${chunkFields(fn.subarray(off, off + 200))}`);
    for (let off = 0; off < shown; off += 200)
      lines.push(
        `exec_arg ${ts} ${pid} ${off} ${chunkFields(argv.subarray(off, Math.min(off + 200, shown)))}`,
      );
    lines.push(`exit ${ts + 400_000} ${pid} ${pid} ${start} 0`);
  }
}
