// A process's executable image as the process table keeps it: executable, name and command
// line, with the args cut back out of the command line when a document needs them. It is what a
// forked child shares with its parent until it execs. Sized for 100,000 processes: four fields,
// the rarely needed parts (resolved path, truncation, args that cannot be cut back) apart.
import { resolve } from 'node:path';

/** Elastic Defend on Linux builds command_line as the args joined by single spaces. */
export function commandLine(args: readonly string[]): string {
  return args.join(' ');
}

const DELETED = ' (deleted)';

/** path.posix.basename(p), inline: it runs for every exec */
function basename(p: string): string {
  let end = p.length;
  while (end > 0 && p.charCodeAt(end - 1) === 47) end--;
  if (end === 0) return '';
  return p.slice(p.lastIndexOf('/', end - 1) + 1, end);
}

const isAbsolute = (p: string): boolean => p.charCodeAt(0) === 47;

/** process.name: the last path component, without the " (deleted)" procfs adds to unlinked files */
export function processName(executable: string): string {
  const p = executable.endsWith(DELETED) ? executable.slice(0, -DELETED.length) : executable;
  return basename(p);
}

/** What few images have (shared between images where it is equal: ImageSharing). */
export interface ImageExtra {
  /** absolute path resolved against the cwd at exec, when it differs from `executable` */
  readonly resolved: string | undefined;
  /**
   * the args, only when they cannot be cut back out of commandLine (none at all, or one of over
   * 65,535 characters); see argsOf
   */
  readonly args: readonly string[] | undefined;
  /** the length of each argument as a char code, only when an argument has a space in it */
  readonly argLengths: string | undefined;
  readonly argsTruncated: boolean;
  /** executable, name and args are in the collector's byte-escaped form (not UTF-8) */
  readonly bytesEscaped: boolean;
  /** the kernel's argc when the argv was cut and it counts more arguments than were kept */
  readonly argsCount: number | undefined;
}

/**
 * An image with command_line built once and the args not kept as an array: command_line split
 * at spaces gives them back, or, when an argument has a space in it, command_line cut at the
 * argument lengths. One string per process instead of an array and a string per argument.
 */
export class ProcImage {
  constructor(
    /** as exec'd (relative when the exec was relative); /proc/PID/exe for seeded processes */
    readonly executable: string,
    readonly name: string,
    /** process.command_line: the args joined by single spaces */
    readonly commandLine: string,
    /** PLAIN_EXTRA for most images (never undefined: see PLAIN_EXTRA) */
    readonly extra: ImageExtra,
  ) {}

  get resolved(): string | undefined {
    return this.extra.resolved;
  }

  get argsTruncated(): boolean {
    return this.extra.argsTruncated;
  }

  get bytesEscaped(): boolean {
    return this.extra.bytesEscaped;
  }

  /** process.args_count (documents take the length of the args they carry) */
  get argsCount(): number {
    const x = this.extra;
    if (x.argsCount !== undefined) return x.argsCount;
    if (x.args !== undefined) return x.args.length;
    if (x.argLengths !== undefined) return x.argLengths.length;
    const cl = this.commandLine;
    let n = 1;
    for (let i = 0; i < cl.length; i++) if (cl.charCodeAt(i) === 32) n++;
    return n;
  }
}

/**
 * The extra parts of an image that has none, shared by most images. An image always has an
 * extra-parts object, never undefined: the documents' builders read its fields on every event,
 * and with `undefined` almost always there V8's optimized code had no feedback for those reads;
 * the first image with extra parts (a relative exec, a long argv) minutes after start deoptimized
 * the hot path and had it compiled again (docs/decisions.md, "A resident agent").
 */
export const PLAIN_EXTRA: ImageExtra = Object.freeze({
  resolved: undefined,
  args: undefined,
  argLengths: undefined,
  argsTruncated: false,
  bytesEscaped: false,
  argsCount: undefined,
});

const NO_ARGS: readonly string[] = Object.freeze([]);
const NO_ARGS_EXTRA: ImageExtra = Object.freeze({
  resolved: undefined,
  args: NO_ARGS,
  argLengths: undefined,
  argsTruncated: false,
  bytesEscaped: false,
  argsCount: undefined,
});

/**
 * Shares what images repeat: one copy of each name and resolved path, and one extra-parts object
 * per resolved path and argument layout (a relative exec gets a resolved path on every exec of
 * that program). Bounded: cleared when full.
 */
export class ImageSharing {
  private readonly extras = new Map<string, ImageExtra>();
  constructor(
    /** one copy of a repeated string */
    readonly string: (s: string) => string,
    private readonly cap = 4096,
  ) {}

  /** the shared copy of `x` (kept args are per process: never shared) */
  extra(x: ImageExtra): ImageExtra {
    if (x.args !== undefined || this.cap === 0) return x;
    const lens = x.argLengths;
    // the lengths string is read by its own length, so the key is unambiguous
    const key = `${x.argsTruncated ? 't' : 'f'}${x.bytesEscaped ? 'e' : 'u'}${x.argsCount ?? ''}:${lens === undefined ? '-' : `${lens.length}:${lens}`}${x.resolved ?? ''}`;
    const hit = this.extras.get(key);
    if (hit !== undefined) return hit;
    if (this.extras.size >= this.cap) this.extras.clear();
    this.extras.set(key, Object.freeze(x));
    return x;
  }
}

const UNSHARED = new ImageSharing((s) => s, 0);

function makeImage(
  executable: string,
  resolved: string | undefined,
  name: string,
  argv: readonly string[],
  argsTruncated: boolean,
  share: ImageSharing,
  bytesEscaped: boolean,
  kernelArgc = 0,
): ProcImage {
  const n = argv.length;
  // a cut argv keeps fewer arguments than the process has: args_count is the kernel's count
  const argsCount = argsTruncated && kernelArgc > n ? kernelArgc : undefined;
  let args: readonly string[] | undefined;
  let argLengths: string | undefined;
  if (n === 0) args = NO_ARGS;
  else {
    let spaced = false;
    let long = false;
    for (let i = 0; i < n; i++) {
      const a = argv[i] as string;
      if (a.length > 0xffff) long = true;
      else if (!spaced && a.includes(' ')) spaced = true;
    }
    if (long) args = argv;
    else if (spaced) argLengths = String.fromCharCode(...argv.map((a) => a.length));
  }
  let extra = PLAIN_EXTRA;
  if (
    resolved !== undefined ||
    argsTruncated ||
    bytesEscaped ||
    argsCount !== undefined ||
    (args !== undefined && n > 0) ||
    argLengths !== undefined
  ) {
    extra = share.extra({ resolved, args, argLengths, argsTruncated, bytesEscaped, argsCount });
  } else if (n === 0) extra = NO_ARGS_EXTRA;
  return new ProcImage(executable, name, n === 0 ? '' : argv.join(' '), extra);
}

/** process.args of an image (a new array each time unless the image keeps them) */
export function argsOf(img: ProcImage): readonly string[] {
  const x = img.extra;
  if (x.args !== undefined) return x.args;
  const cl = img.commandLine;
  const lens = x.argLengths;
  if (lens === undefined) return cl.split(' ');
  const out = new Array<string>(lens.length);
  let at = 0;
  for (let i = 0; i < lens.length; i++) {
    const end = at + lens.charCodeAt(i);
    out[i] = cl.slice(at, end);
    at = end + 1;
  }
  return out;
}

/** `share` gives one copy of what images repeat (name, resolved path, extra parts) */
export function imageFromExec(
  filename: string,
  argv: readonly string[],
  argsTruncated: boolean,
  cwd: string | undefined,
  share: ImageSharing = UNSHARED,
  bytesEscaped = false,
  /** the kernel's argc (raw exec event), 0 when unknown */
  kernelArgc = 0,
): ProcImage {
  const resolved =
    !isAbsolute(filename) && cwd !== undefined && isAbsolute(cwd)
      ? share.string(resolve(cwd, filename))
      : undefined;
  return makeImage(
    filename,
    resolved,
    share.string(processName(filename)),
    argv,
    argsTruncated,
    share,
    bytesEscaped,
    kernelArgc,
  );
}

export function imageFromProc(
  exe: string | undefined,
  comm: string,
  args: readonly string[],
  share: ImageSharing = UNSHARED,
  bytesEscaped = false,
): ProcImage {
  return makeImage(exe ?? '', undefined, exe ? processName(exe) : comm, args, false, share, bytesEscaped);
}
