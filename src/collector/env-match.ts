// Which environment variables the kernel program captures at exec, and the bpftrace tests that
// pick them out: each wanted name becomes comparisons of a variable's first 8-byte words with
// constants, so a variable is judged in the kernel and nothing else of the environment (tokens,
// passwords) is ever printed. Pure; no knowledge of the rest of the program.

/** the longest variable name that can be captured (with its `=`: four 8-byte words) */
export const ENV_NAME_MAX = 31;

/**
 * An environment variable to capture at exec: `NAME` captures `NAME=...`; with `prefix`, every
 * variable whose name starts with NAME (a rule's `NAME*` pattern).
 */
export interface EnvVarSpec {
  name: string;
  prefix: boolean;
}

export class EnvVarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EnvVarError';
  }
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Checks a variable name; throws EnvVarError saying what was expected. */
export function checkEnvVarSpec(v: EnvVarSpec): void {
  if (!ENV_NAME.test(v.name) || v.name.length > ENV_NAME_MAX) {
    throw new EnvVarError(
      `Expected an environment variable name of letters, digits and _, not starting with a digit, at most ${ENV_NAME_MAX} characters, got ${JSON.stringify(v.name)}`,
    );
  }
}

/** The spec a configured entry means: `NAME` or `NAME*`. */
export function parseEnvVarSpec(text: string): EnvVarSpec {
  const prefix = text.endsWith('*');
  const v = { name: prefix ? text.slice(0, -1) : text, prefix };
  checkEnvVarSpec(v);
  return v;
}

/** One list without repeats; a prefix covers the names and longer prefixes it starts. */
export function mergeEnvVarSpecs(specs: readonly EnvVarSpec[]): EnvVarSpec[] {
  const prefixes = specs.filter((s) => s.prefix).map((s) => s.name);
  const covered = (s: EnvVarSpec) =>
    prefixes.some((p) => s.name.startsWith(p) && (s.name !== p || !s.prefix));
  const out = new Map<string, EnvVarSpec>();
  for (const s of specs) {
    if (covered(s)) continue;
    out.set(`${s.name}${s.prefix ? '*' : ''}`, s);
  }
  return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** A little-endian 64-bit constant of bytes[8k, 8k+8) and the mask of the bytes present. */
function wordOf(bytes: Buffer, k: number): { value: bigint; mask: bigint } {
  let value = 0n;
  let mask = 0n;
  for (let i = 0; i < 8 && 8 * k + i < bytes.length; i++) {
    value |= BigInt(bytes[8 * k + i] as number) << BigInt(8 * i);
    mask |= 0xffn << BigInt(8 * i);
  }
  return { value, mask };
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** `$w == value`, or `($w & mask) == value` for a partial word */
function wordTest(variable: string, w: { value: bigint; mask: bigint }): string {
  return w.mask === 0xffffffffffffffffn
    ? `${variable} == ${hex(w.value)}`
    : `(${variable} & ${hex(w.mask)}) == ${hex(w.value)}`;
}

/**
 * The program's tests of one variable against the wanted names: `first` on its first word `$w`
 * alone (most variables stop there: one read), `full` on its first four words `$w`..`$w3`. A name
 * is matched with its `=` (LD_PRELOAD does not capture LD_PRELOAD_X), a prefix without.
 */
export function envMatchConditions(vars: readonly EnvVarSpec[]): { first: string; full: string } {
  const firsts = new Set<string>();
  const fulls: string[] = [];
  for (const v of vars) {
    checkEnvVarSpec(v);
    const bytes = Buffer.from(v.prefix ? v.name : `${v.name}=`, 'latin1');
    const tests: string[] = [];
    for (let k = 0; k < Math.ceil(bytes.length / 8); k++) {
      tests.push(wordTest(k === 0 ? '$w' : `$w${k}`, wordOf(bytes, k)));
    }
    firsts.add(tests[0] as string);
    fulls.push(tests.length === 1 ? (tests[0] as string) : `(${tests.join(' && ')})`);
  }
  return { first: [...firsts].join(' || '), full: fulls.join(' || ') };
}
