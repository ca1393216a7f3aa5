// What capturing an exec costs, per exec, broken down by what the process program reads at
// sched_process_exec: argv (1 argument vs 16 arguments of 63 bytes, the default 1 KiB bound),
// the working directory walked in the kernel (issue 12), and the environment variables the rules
// read (issue 12: the prefilter scan of every variable, and the capture of a wanted one). Each
// variant runs bare bpftrace on the rendered program (paced as eqld runs it, its output read and
// dropped, no node), while a C load generator fork+execs /bin/true at 1,000/s from a directory 8
// levels deep with a 30-variable environment. Measured per fork+exec+exit cycle: the time the
// kernel spent in bpftrace's BPF programs (run_time_ns in /proc/PID/fdinfo of its program fds,
// with kernel.bpf_stats_enabled set for the run and restored after: exact, unlike the CPU of the
// exec'ing tasks, whose fork+exec costs ~800 µs on this VM and varies by more than the probes
// cost), and bpftrace's own CPU (formatting and writing the lines). Also the program before
// issue 12 (git 9351819), when git has it. Writes docs/benchmarks/exec-capture.md.
import { execFileSync, spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EnvVarSpec, mergeEnvVarSpecs } from '../src/collector/env-match.js';
import { DEFAULT_PACE_SHIM } from '../src/collector/pace-shim.js';
import {
  execFilenameLocOffset,
  hostStructOffsets,
  moduleNameLocOffset,
  renderProgram,
  TEMPLATE_PATH,
} from '../src/collector/program.js';
import { eqlEngine } from '../src/rules/engine.js';
import { envVarsOfRules } from '../src/rules/env-vars.js';
import { loadRules } from '../src/rules/index.js';

const RATE = 1000;
const WINDOW_S = Number(process.env.EQLD_BENCH_WINDOW_S ?? 5);
const REPEATS = Number(process.env.EQLD_BENCH_REPEATS ?? 5);
const CLK_TCK = 100;
/** main before issue 12's probes (protocol 3 with argc only) */
const BEFORE_COMMIT = '9351819';
const STATS = '/proc/sys/kernel/bpf_stats_enabled';

const LOADGEN_C = String.raw`
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + t.tv_nsec / 1e9; }
static long us(struct timeval tv) { return tv.tv_sec * 1000000L + tv.tv_usec; }
/* loadgen RATE SECS NARGS NENV [EXTRA_ENV] */
int main(int argc, char **argv) {
  if (argc < 5) return 2;
  double rate = atof(argv[1]), secs = atof(argv[2]); int nargs = atoi(argv[3]), nenv = atoi(argv[4]);
  char **args = calloc(nargs + 2, sizeof *args); args[0] = "/bin/true";
  for (int i = 1; i <= nargs; i++) { args[i] = malloc(64); memset(args[i], 'a' + i % 26, 63); args[i][63] = 0; }
  char **env = calloc(nenv + 2, sizeof *env); int k = 0;
  for (int i = 0; i < nenv; i++) { env[k] = malloc(40); snprintf(env[k], 40, "VARIABLE_%02d=value-of-the-variable-%02d", i, i); k++; }
  if (argc > 5) env[k++] = argv[5];
  long count = 0; double start = now(), end = start + secs;
  struct timespec next; clock_gettime(CLOCK_MONOTONIC, &next); long step = (long)(1e9 / rate);
  while (now() < end) {
    pid_t p = fork();
    if (p == 0) { execve("/bin/true", args, env); _exit(127); }
    if (p > 0) { int st; waitpid(p, &st, 0); count++; }
    next.tv_nsec += step; while (next.tv_nsec >= 1000000000L) { next.tv_nsec -= 1000000000L; next.tv_sec++; }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  double el = now() - start; struct rusage self, ch; getrusage(RUSAGE_SELF, &self); getrusage(RUSAGE_CHILDREN, &ch);
  printf("{\"count\":%ld,\"seconds\":%.4f,\"cpuUs\":%ld}\n", count, el,
         us(self.ru_utime) + us(self.ru_stime) + us(ch.ru_utime) + us(ch.ru_stime));
  return 0;
}
`;

interface Load {
  count: number;
  seconds: number;
  cpuUs: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function cpuSecondsOf(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
}

/** run_time_ns summed over the BPF programs `pid` holds open (its fds' fdinfo) */
function bpfRunTimeNs(pid: number): number {
  let ns = 0;
  for (const fd of readdirSync(`/proc/${pid}/fdinfo`)) {
    let info: string;
    try {
      info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
    } catch {
      continue;
    }
    if (!info.includes('prog_type:')) continue;
    const m = /^run_time_ns:\s*(\d+)$/m.exec(info);
    if (m) ns += Number(m[1]);
  }
  return ns;
}

function runLoad(bin: string, cwd: string, nargs: number, extraEnv?: string): Promise<Load> {
  return new Promise((resolve, reject) => {
    const a = [String(RATE), String(WINDOW_S), String(nargs), '30', ...(extraEnv ? [extraEnv] : [])];
    const p = spawn(bin, a, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`loadgen ${code}`)),
    );
  });
}

/** the current template with the working-directory walk at exec left out (the header still runs) */
function templateWithoutCwd(): string {
  const t = readFileSync(TEMPLATE_PATH, 'utf8');
  const walk = '@WALK 0 curtask->fs->pwd.dentry curtask->fs->pwd.mnt@\n  @xt[tid] = ($ts, $nl);';
  if (!t.includes(walk)) throw new Error('the exec walk block was not found in the template');
  return t.replace(walk, '@xt[tid] = ($ts, $nl);');
}

function templateBefore(): string | undefined {
  try {
    return execFileSync('git', ['show', `${BEFORE_COMMIT}:bpf/eqld.bt.in`], { encoding: 'utf8' });
  } catch {
    return undefined;
  }
}

/** the names the corpus's rules read, else those of the 13 issue-12 rules */
function corpusEnvVars(): EnvVarSpec[] {
  try {
    // the shared corpus as the tests find it (test/support/shared-data.ts, which imports vitest)
    const corpus = [process.env.EQLD_SHARED_DATA, '../shared/data', '/work/shared/data']
      .filter((p): p is string => typeof p === 'string' && p.length > 0)
      .map((p) => join(p, 'elastic-detection-rules', 'rules'))
      .find((p) => existsSync(p));
    if (corpus === undefined) throw new Error('no shared corpus');
    const rules = loadRules([corpus], {
      compile: eqlEngine.compileQuery,
    }).rules;
    return mergeEnvVarSpecs(envVarsOfRules(rules));
  } catch {
    return ['HISTFILE', 'HISTSIZE', 'LD_PRELOAD', 'LD_LIBRARY_PATH', 'GLIBC_TUNABLES', 'HTTP_PROXY'].map(
      (name) => ({ name, prefix: false, caseInsensitive: true }),
    );
  }
}

interface Variant {
  name: string;
  program: string | undefined;
  /** an extra variable the program captures (else the 30 are none of the wanted ones) */
  extraEnv?: string;
}

async function startBpftrace(program: string, dir: string): Promise<{ pid: number; stop: () => void }> {
  const file = join(dir, 'program.bt');
  writeFileSync(file, program);
  const log = join(dir, 'bpftrace.err');
  const bt = spawn('setpriv', ['--pdeathsig', 'KILL', '--', 'bpftrace', file], {
    env: {
      ...process.env,
      BPFTRACE_STRLEN: '200',
      BPFTRACE_PERF_RB_PAGES: '256',
      LD_PRELOAD: DEFAULT_PACE_SHIM,
      EQLD_BPFTRACE_PACE_MS: '20',
    },
    stdio: ['ignore', 'pipe', openSync(log, 'w')],
  });
  // the first lines say when it attached; the rest go to /dev/null through a reader that drops them
  let head = '';
  bt.stdout?.on('data', (d: Buffer) => {
    if (head.length < 4096) head += d.toString();
  });
  const deadline = Date.now() + 120_000;
  while (!/^hello /m.test(head)) {
    if (bt.exitCode !== null) throw new Error(`bpftrace exited: ${readFileSync(log, 'utf8').slice(0, 2000)}`);
    if (Date.now() > deadline) throw new Error('bpftrace did not attach');
    await sleep(100);
  }
  await sleep(3000);
  return { pid: bt.pid as number, stop: () => bt.kill('SIGKILL') };
}

interface Cell {
  variant: string;
  nargs: number;
  /** per window: ns in BPF programs per exec cycle, bpftrace µs of CPU per exec, execs/s done */
  bpfNs: number[];
  bpftraceUs: number[];
  rate: number[];
}

async function measureCell(bin: string, cwd: string, v: Variant, nargs: number, dir: string): Promise<Cell> {
  const bt = v.program === undefined ? undefined : await startBpftrace(v.program, dir);
  const cell: Cell = { variant: v.name, nargs, bpfNs: [], bpftraceUs: [], rate: [] };
  try {
    for (let i = 0; i < REPEATS; i++) {
      const b0 = bt ? cpuSecondsOf(bt.pid) : 0;
      const k0 = bt ? bpfRunTimeNs(bt.pid) : 0;
      const l = await runLoad(bin, cwd, nargs, v.extraEnv);
      await sleep(300); // the paced reader's last batch
      const b = bt ? cpuSecondsOf(bt.pid) - b0 : 0;
      const k = bt ? bpfRunTimeNs(bt.pid) - k0 : 0;
      cell.bpfNs.push(k / l.count);
      cell.bpftraceUs.push((b * 1e6) / l.count);
      cell.rate.push(l.count / l.seconds);
    }
  } finally {
    bt?.stop();
  }
  process.stdout.write(
    `${v.name}, ${nargs} args: BPF ${cell.bpfNs.map((x) => (x / 1000).toFixed(1)).join(' ')} µs/exec, bpftrace ${cell.bpftraceUs.map((x) => x.toFixed(0)).join(' ')} µs/exec\n`,
  );
  return cell;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2
    ? (s[(s.length - 1) / 2] as number)
    : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const fmt = (n: number) => n.toFixed(1);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'eqld-exec-capture-'));
  try {
    const bin = join(dir, 'loadgen');
    writeFileSync(`${bin}.c`, LOADGEN_C);
    execFileSync('gcc', ['-O2', '-o', bin, `${bin}.c`]);
    const cwd = join(dir, 'd1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8');
    mkdirSync(cwd, { recursive: true });
    const base = {
      argvBytes: 1024,
      filenameLocOffset: execFilenameLocOffset(),
      offsets: hostStructOffsets(),
      ...(moduleNameLocOffset() === undefined ? {} : { moduleNameLocOffset: moduleNameLocOffset() }),
    };
    const envVars = corpusEnvVars();
    const before = templateBefore();
    const variants: Variant[] = [
      ...(before
        ? [
            {
              name: `before issue 12 (${BEFORE_COMMIT})`,
              program: renderProgram({ ...base, template: before }),
            },
          ]
        : []),
      {
        name: 'issue 12, no cwd walk, no environment',
        program: renderProgram({ ...base, template: templateWithoutCwd() }),
      },
      { name: 'issue 12 with the cwd walk, no environment', program: renderProgram(base) },
      {
        name: `issue 12 with the cwd walk and ${envVars.length} environment names (none present)`,
        program: renderProgram({ ...base, envVars }),
      },
      {
        name: `issue 12 with the cwd walk and ${envVars.length} environment names (one present)`,
        program: renderProgram({ ...base, envVars }),
        extraEnv: 'HISTFILE=/dev/null',
      },
    ];
    const statsBefore = readFileSync(STATS, 'utf8').trim();
    writeFileSync(STATS, '1');
    const cells: Cell[] = [];
    try {
      for (const v of variants)
        for (const nargs of [1, 16]) cells.push(await measureCell(bin, cwd, v, nargs, dir));
    } finally {
      writeFileSync(STATS, statsBefore);
    }
    const spread = (xs: number[], scale: number) =>
      `${fmt(median(xs) / scale)} (${fmt(Math.min(...xs) / scale)}–${fmt(Math.max(...xs) / scale)})`;
    const rows = cells.map(
      (c) =>
        `| ${c.variant} | ${c.nargs === 1 ? '1 (9 bytes)' : '16 × 63 bytes (1 KiB)'} | ${spread(c.bpfNs, 1000)} | ${spread(c.bpftraceUs, 1)} | ${fmt(median(c.rate))} |`,
    );
    const doc = [
      '## Exec capture cost (bench/exec-capture.bench.ts)',
      '',
      `- machine: kernel ${release()}, ${cpus()[0]?.model ?? '?'} x ${cpus().length}, load average at the end ${loadavg()
        .map((x) => x.toFixed(1))
        .join(' ')} (shared with other sessions: bpftrace's CPU carries their noise; the BPF time does not)`,
      `- load: /bin/true fork+exec'd at ${RATE}/s for ${WINDOW_S} s, ${REPEATS} windows per cell, from a directory 8 levels deep, with 30 environment variables of ~38 bytes; bare bpftrace (paced at 20 ms as eqld runs it) on the rendered process program with the default 1 KiB argv bound, its output read and dropped`,
      "- BPF µs per exec: run_time_ns of bpftrace's programs (every probe of the program: the exec blocks and the fork and exit probes each cycle also fires) over the execs done, with kernel.bpf_stats_enabled on for the run; bpftrace µs: its utime+stime (10 ms ticks) over the execs. Median of the windows (min–max)",
      `- environment names: the ${envVars.length} the corpus's rules read (src/rules/env-vars.ts), none of them among the 30 variables unless one is added`,
      '',
      '| program | argv | BPF µs per exec (spread) | bpftrace µs per exec (spread) | execs/s |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n');
    writeFileSync(new URL('../docs/benchmarks/exec-capture.md', import.meta.url), doc);
    process.stdout.write(`${doc}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
