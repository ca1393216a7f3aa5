// Renders bpf/eqld.bt.in into the bpftrace program eqld runs: fills the argv bound, the
// __data_loc offsets (read from the tracepoints' tracefs format files), the struct member offsets
// bpftrace 0.17 cannot compute (task_struct.comm, cred.cap_*, upid.ns: read from BTF by
// renderHostProgram) and the environment variables to capture (env-match.ts), and expands the
// conditional sections, the per-chunk probe blocks and the hex-word reads. renderProgram is pure
// apart from reading the template; renderHostProgram also reads tracefs and the kernel's BTF.
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readStructMemberOffset } from './btf.js';
import { type EnvVarSpec, envMatchConditions } from './env-match.js';
import { expandPathMacros } from './path-macros.js';

/** bpftrace's BPFTRACE_STRLEN maximum, and the size of one printed chunk */
export const CHUNK_BYTES = 200;
/** PATH_MAX: the kernel refuses longer exec filenames, so filenames are never cut */
export const FILENAME_MAX_BYTES = 4096;
export const DEFAULT_ARGV_BYTES = 1024;
/** chunks unrolled per probe block (11 fit the 512-byte stack; 8 leaves margin) */
export const CHUNKS_PER_BLOCK = 8;
export const MAX_ARGV_BYTES = 32 * 1024;
export const PROTOCOL_VERSION = 3;
/** environment variables examined per exec (the rest of a longer environment is not) */
export const ENV_SCAN = 256;
/** environment variables captured per exec at most */
export const ENV_MAX = 8;
/**
 * kill(READY_PID, 0) is the readiness ping (see bpf/eqld.bt.in); above any pid_max (at most
 * 2^22), so ESRCH. Drawn at random per eqld process from [2e9, 2.1e9): every bpftrace program on
 * the host sees every process's kill(2), so with one fixed value a program would also answer
 * another eqld's ping, reporting that eqld's pid as its own (`ready` carries the pinger's pid).
 */
export const READY_PID = 2_000_000_000 + randomInt(100_000_000);

export const TEMPLATE_PATH = fileURLToPath(new URL('../../bpf/eqld.bt.in', import.meta.url));
export const DEFAULT_TRACEFS = '/sys/kernel/tracing';

export class ProgramError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProgramError';
  }
}

export interface TracepointField {
  name: string;
  type: string;
  offset: number;
  size: number;
}

/** Parses a tracefs `format` file into its fields. */
export function parseTracepointFormat(text: string): TracepointField[] {
  const fields: TracepointField[] = [];
  const re = /field:([^;]+);\s*offset:(\d+);\s*size:(\d+);/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const decl = m[1]!.trim();
    const name = /([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?$/.exec(decl)?.[1] ?? decl;
    fields.push({ name, type: decl, offset: Number(m[2]), size: Number(m[3]) });
  }
  return fields;
}

export function readTracepointFields(event: string, tracefs = DEFAULT_TRACEFS): TracepointField[] {
  const path = `${tracefs}/events/${event}/format`;
  try {
    return parseTracepointFormat(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new ProgramError(`Cannot read tracepoint format ${path}`, { cause: error });
  }
}

/** Offset of sched_process_exec's `__data_loc char[] filename` word (its length is the high 16 bits). */
export function execFilenameLocOffset(tracefs = DEFAULT_TRACEFS): number {
  const f = readTracepointFields('sched/sched_process_exec', tracefs).find((x) => x.name === 'filename');
  if (!f?.type.startsWith('__data_loc')) {
    throw new ProgramError('sched:sched_process_exec has no `__data_loc char[] filename` field');
  }
  return f.offset;
}

/** byte offsets of struct members the program reads by address (readStructMemberOffset in btf.ts) */
export interface StructOffsets {
  /** `comm` in struct task_struct */
  comm: number;
  /** `cap_effective` / `cap_permitted` in struct cred (kernel_cap_t: 8 bytes, u64 or u32[2]) */
  capEffective: number;
  capPermitted: number;
  /** `ns` in struct upid */
  upidNs: number;
  /** `mnt` in struct mount (the working directory's walk crosses mounts: path-macros.ts) */
  mountMnt: number;
}

export interface RenderOptions {
  argvBytes: number;
  filenameLocOffset: number;
  offsets: StructOffsets;
  /** variables to capture at exec; none: the environment is not read at all */
  envVars?: readonly EnvVarSpec[];
  /** offset of module:module_load's `__data_loc char[] name` word; absent: the kernel has no such
   *  tracepoint (CONFIG_MODULES off) and the probe is left out */
  moduleNameLocOffset?: number;
  template?: string;
}

/**
 * The bpftrace expressions that print the bytes [$a, $a + $len) of user or kernel memory ($a
 * and $len are variables of the probe, 0 <= $len <= 8 * words) as `words` little-endian
 * 64-bit words and a tail word: word k is read only if it lies wholly inside the field (else
 * it is 0); the tail holds the last `$len % 8` bytes, read as the 8 bytes that end at
 * $a + $len and shifted right so that only the field's own bytes remain. So no byte past
 * $len is ever printed (the environment after argv, the tracepoint record after the
 * filename), with one conditional read per word; masking each word instead doubled
 * bpftrace's compile time (measured: 2.8 vs 4.2 s to attach at the default argv bound).
 * The tail read starts up to 7 bytes before $a when $len < 8: those bytes are shifted out.
 */
export function hexWordArgs(words: number, space: 'user' | 'kernel'): string {
  const read = (at: string): string => (space === 'user' ? `*(uint64 *)uptr(${at})` : `*(uint64 *)(${at})`);
  const args: string[] = [];
  for (let k = 0; k < words; k++) {
    args.push(`($len >= ${8 * (k + 1)} ? ${read(k === 0 ? '$a' : `$a + ${8 * k}`)} : 0)`);
  }
  // the shift is (64 - 8 * ($len % 8)); the redundant `== 0 ? 0 :` makes bpftrace 0.17 type it
  // without an address space (as a literal), else it warns "Addrspace mismatch" on every start
  // when a user-space read is shifted by an amount derived from kernel-read values
  args.push(
    `(($len & 7) != 0 ? ${read('$a + $len - 8')} >> (($len & 7) == 0 ? 0 : 64 - ($len & 7) * 8) : 0)`,
  );
  return args.join(', ');
}

export function normalizeArgvBytes(n: number | undefined): number {
  const v = n ?? DEFAULT_ARGV_BYTES;
  if (!Number.isInteger(v) || v < 0 || v > MAX_ARGV_BYTES) {
    throw new ProgramError(`Expected argv bytes to be an integer from 0 to ${MAX_ARGV_BYTES}, got ${n}`);
  }
  return v;
}

/** Keeps the `@if NAME` ... `@endif` sections whose NAME is on and drops the others (no nesting). */
function conditionalSections(text: string, on: Record<string, boolean>): string {
  return text.replace(/^@if (\S+)\n([\s\S]*?)^@endif\n/gm, (_all, name: string, body: string) => {
    const v = on[name];
    if (v === undefined) throw new ProgramError(`Unknown @if section ${name} in the template`);
    return v ? body : '';
  });
}

export function renderProgram(opts: RenderOptions): string {
  const argvBytes = normalizeArgvBytes(opts.argvBytes);
  const o = opts.offsets;
  for (const [name, v] of Object.entries(o)) {
    if (!Number.isInteger(v) || v <= 0) {
      throw new ProgramError(`Expected the ${name} offset to be a positive integer, got ${v}`);
    }
  }
  const envVars = opts.envVars ?? [];
  const env = envVars.length > 0;
  const match = env ? envMatchConditions(envVars) : { keys: [], prefilter: '0', full: '0' };
  const template = conditionalSections(opts.template ?? readFileSync(TEMPLATE_PATH, 'utf8'), {
    env,
    module: opts.moduleNameLocOffset !== undefined,
  });
  const chunks: Record<string, number> = {
    exec_fn: Math.ceil(FILENAME_MAX_BYTES / CHUNK_BYTES),
    exec_arg: Math.ceil(argvBytes / CHUNK_BYTES),
  };
  const expanded = template.replace(
    /^@repeat (\S+)\n([\s\S]*?)^@end\n/gm,
    (_all, name: string, body: string) => {
      const n = chunks[name];
      if (n === undefined) throw new ProgramError(`Unknown @repeat block ${name} in the template`);
      let out = '';
      for (let b = 0; b < n; b += CHUNKS_PER_BLOCK) {
        const block = body.replace(/^@chunk\n([\s\S]*?)^@endchunk\n/m, (_c, chunk: string) => {
          let text = '';
          for (let i = b; i < Math.min(n, b + CHUNKS_PER_BLOCK); i++) {
            text += chunk.replaceAll('@OFF@', String(i * CHUNK_BYTES));
          }
          return text;
        });
        out += block.replaceAll('@BLOCK_OFF@', String(b * CHUNK_BYTES));
      }
      return out;
    },
  );
  return expandPathMacros(expanded, o.mountMnt)
    .replace(/^@(envvar|envcand)\n([\s\S]*?)^@end\1\n/gm, (_all, _name: string, body: string) => {
      let out = '';
      for (let k = 0; k < ENV_MAX; k++) out += body.replaceAll('@K@', String(k));
      return out;
    })
    .replace(/@HEXFMT (\d+)@/g, (_m, n: string) => `${'%016llx'.repeat(Number(n))} %016llx`)
    .replace(/@HEXARGS (\d+) (user|kernel)@/g, (_m, n: string, space: 'user' | 'kernel') =>
      hexWordArgs(Number(n), space),
    )
    .replaceAll('@PROTOCOL_VERSION@', String(PROTOCOL_VERSION))
    .replaceAll('@ARGV_BYTES@', String(argvBytes))
    .replaceAll('@FNLOC@', String(opts.filenameLocOffset))
    .replaceAll('@COMM_OFF@', String(o.comm))
    .replaceAll('@CAP_EFF_OFF@', String(o.capEffective))
    .replaceAll('@CAP_PRM_OFF@', String(o.capPermitted))
    .replaceAll('@UPID_NS_OFF@', String(o.upidNs))
    .replaceAll('@ENV_SCAN@', String(ENV_SCAN))
    .replaceAll('@ENV_MAX@', String(ENV_MAX))
    .replaceAll('@ENV_KEYS@', match.keys.join('\n'))
    .replaceAll('@ENV_PREFILTER@', match.prefilter)
    .replaceAll('@ENV_MATCH@', match.full)
    .replaceAll('@ENV_SEEN@', env ? '@xe[tid].0' : '0')
    .replaceAll('@ENV_N@', env ? '@xe[tid].1' : '0')
    .replaceAll('@MODLOC@', String(opts.moduleNameLocOffset ?? 0))
    .replaceAll('@READY_PID@', String(READY_PID));
}

/** The offset of module:module_load's name word, or undefined when the tracepoint is absent. */
export function moduleNameLocOffset(tracefs = DEFAULT_TRACEFS): number | undefined {
  if (!existsSync(`${tracefs}/events/module/module_load/format`)) return undefined;
  const f = readTracepointFields('module/module_load', tracefs).find((x) => x.name === 'name');
  if (!f?.type.startsWith('__data_loc')) {
    throw new ProgramError('module:module_load has no `__data_loc char[] name` field');
  }
  return f.offset;
}

/** This kernel's struct member offsets, from its BTF. */
export function hostStructOffsets(): StructOffsets {
  return {
    comm: readStructMemberOffset('task_struct', 'comm'),
    capEffective: readStructMemberOffset('cred', 'cap_effective'),
    capPermitted: readStructMemberOffset('cred', 'cap_permitted'),
    upidNs: readStructMemberOffset('upid', 'ns'),
    mountMnt: readStructMemberOffset('mount', 'mnt'),
  };
}

/** What renderHostProgram takes besides the argv bound. */
export interface HostProgramOptions {
  /** variables to capture at exec (default none) */
  envVars?: readonly EnvVarSpec[];
}

/** renderProgram with this host's offsets (tracefs, BTF) and tracepoints. */
export function renderHostProgram(argvBytes: number, o: HostProgramOptions = {}): string {
  const moduleLoc = moduleNameLocOffset();
  return renderProgram({
    argvBytes,
    filenameLocOffset: execFilenameLocOffset(),
    offsets: hostStructOffsets(),
    ...(o.envVars ? { envVars: o.envVars } : {}),
    ...(moduleLoc === undefined ? {} : { moduleNameLocOffset: moduleLoc }),
  });
}

export const FILE_TEMPLATE_PATH = fileURLToPath(new URL('../../bpf/eqld-file.bt.in', import.meta.url));
/** the file program's line protocol (bpf/FORMAT.md, "File events") */
export const FILE_PROTOCOL_VERSION = 1;
/** file events printed per second by default; the rest are counted as dropped */
export const DEFAULT_FILE_EVENTS_PER_SECOND = 5000;
export const MAX_FILE_EVENTS_PER_SECOND = 1_000_000;

export interface FileRenderOptions {
  /** byte offset of `mnt` in struct mount (readStructMemberOffset in btf.ts) */
  mountMntOffset: number;
  commOffset: number;
  /** eqld's own pid as the kernel numbers it: its file activity is not reported in the kernel;
   *  0 when it is not known at rendering (eqld in a pid namespace of its own: its file events are
   *  then dropped in user space, by the pid the `ready` line reports) */
  selfPid: number;
  /** file events printed per second at most */
  eventsPerSecond: number;
  template?: string;
}

function positiveInteger(name: string, v: number, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || v <= 0 || v > max) {
    throw new ProgramError(`Expected ${name} to be an integer from 1 to ${max}, got ${v}`);
  }
  return v;
}

/** Renders bpf/eqld-file.bt.in: the path macros, offsets, eqld's pid and the budget. */
export function renderFileProgram(opts: FileRenderOptions): string {
  const template = opts.template ?? readFileSync(FILE_TEMPLATE_PATH, 'utf8');
  const mnt = positiveInteger('the struct mount mnt offset', opts.mountMntOffset, 4096);
  return expandPathMacros(template, mnt)
    .replaceAll('@PROTOCOL_VERSION@', String(FILE_PROTOCOL_VERSION))
    .replaceAll('@COMM_OFF@', String(positiveInteger('the task_struct comm offset', opts.commOffset, 65536)))
    .replaceAll('@SELF_PID@', String(opts.selfPid === 0 ? 0 : positiveInteger('the agent pid', opts.selfPid)))
    .replaceAll(
      '@BUDGET@',
      String(positiveInteger('file events per second', opts.eventsPerSecond, MAX_FILE_EVENTS_PER_SECOND)),
    )
    .replaceAll('@READY_PID@', String(READY_PID));
}

/** renderFileProgram with this host's offsets (BTF) and eqld's kernel pid (0: unknown). */
export function renderHostFileProgram(eventsPerSecond: number, selfPid = process.pid): string {
  return renderFileProgram({
    mountMntOffset: readStructMemberOffset('mount', 'mnt'),
    commOffset: readStructMemberOffset('task_struct', 'comm'),
    selfPid,
    eventsPerSecond,
  });
}
