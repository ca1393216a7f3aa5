// Which environment variables the kernel program captures at exec, and the bpftrace tests that
// pick them out: each wanted name becomes comparisons of a variable's first 8-byte words with
// constants, so a variable is judged in the kernel and nothing else of the environment (tokens,
// passwords) is ever printed. Pure; no knowledge of the rest of the program.

/** the longest variable name that can be captured (with its `=`: four 8-byte words) */
export const ENV_NAME_MAX = 31;

/**
 * An environment variable to capture at exec: `NAME` captures `NAME=...`; with `prefix`, every
 * variable whose name starts with NAME (a rule's `NAME*` pattern); with `caseInsensitive`, in any
 * case (a rule's `like~` or `:`: `http_proxy` and `HTTP_PROXY`).
 */
export interface EnvVarSpec {
  name: string;
  prefix: boolean;
  caseInsensitive?: boolean;
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

/** Whether `a` captures every variable `b` does. */
function covers(a: EnvVarSpec, b: EnvVarSpec): boolean {
  if (b.caseInsensitive && !a.caseInsensitive) return false;
  const fold = (x: string) => (a.caseInsensitive ? x.toLowerCase() : x);
  const an = fold(a.name);
  const bn = fold(b.name);
  return a.prefix ? bn.startsWith(an) : !b.prefix && an === bn;
}

/** One list without repeats, in name order: a spec that another one covers is left out. */
export function mergeEnvVarSpecs(specs: readonly EnvVarSpec[]): EnvVarSpec[] {
  const out: EnvVarSpec[] = [];
  specs.forEach((s, i) => {
    // of two equal specs the first stays
    const coveredBy = specs.some((o, j) => j !== i && covers(o, s) && (!covers(s, o) || j < i));
    if (!coveredBy) out.push({ ...s });
  });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

interface Word {
  value: bigint;
  /** the bytes present */
  mask: bigint;
  /** 0x20 at each letter byte compared in any case: OR-ed in, it folds A-Z onto a-z */
  fold: bigint;
}

const isLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

/** The little-endian 64-bit constant of bytes[8k, 8k+8), its mask and case fold. */
function wordOf(bytes: Buffer, k: number, caseInsensitive: boolean): Word {
  let value = 0n;
  let mask = 0n;
  let fold = 0n;
  for (let i = 0; i < 8 && 8 * k + i < bytes.length; i++) {
    let c = bytes[8 * k + i] as number;
    const shift = BigInt(8 * i);
    if (caseInsensitive && isLetter(c)) {
      c |= 0x20;
      fold |= 0x20n << shift;
    }
    value |= BigInt(c) << shift;
    mask |= 0xffn << shift;
  }
  return { value, mask, fold };
}

const hex = (v: bigint) => `0x${v.toString(16)}`;

/** `$w == value`, with `& mask` for a partial word and `| fold` for letters in any case. A byte
 *  that is not a letter cannot turn into one by `| 0x20`, so folding only ever matches letters. */
function wordTest(variable: string, w: Word): string {
  const folded = w.fold === 0n ? variable : `(${variable} | ${hex(w.fold)})`;
  return w.mask === 0xffffffffffffffffn
    ? `${folded} == ${hex(w.value)}`
    : `(${folded} & ${hex(w.mask)}) == ${hex(w.value)}`;
}

/**
 * The program's tests of one variable against the wanted names. `keys` and `prefilter`: a map of
 * the names' first words (up to 8 bytes, every byte OR 0x20 so that case does not matter) and its
 * lookup of a variable's first word `$w`, one read and one lookup per variable (a name shorter
 * than 8 bytes is looked up with its own mask). `full`: the exact test on the variable's first
 * four words `$w`..`$w3`, run on the few that pass the prefilter. A name is matched with its `=`
 * (LD_PRELOAD does not capture LD_PRELOAD_X), a prefix without.
 */
export function envMatchConditions(vars: readonly EnvVarSpec[]): {
  keys: string[];
  prefilter: string;
  full: string;
} {
  const keys = new Set<string>();
  const lookups = new Set<string>();
  const fulls: string[] = [];
  for (const v of vars) {
    checkEnvVarSpec(v);
    const bytes = Buffer.from(v.prefix ? v.name : `${v.name}=`, 'latin1');
    const first = bytes.subarray(0, 8);
    const folded = Buffer.from(first.map((b) => b | 0x20));
    const k = wordOf(folded, 0, false);
    const fold = k.mask & 0x2020202020202020n;
    keys.add(hex(k.value));
    lookups.add(
      k.mask === 0xffffffffffffffffn
        ? `@envk[$w | ${hex(fold)}] != 0`
        : `@envk[($w & ${hex(k.mask)}) | ${hex(fold)}] != 0`,
    );
    const tests: string[] = [];
    for (let i = 0; i < Math.ceil(bytes.length / 8); i++) {
      tests.push(wordTest(i === 0 ? '$w' : `$w${i}`, wordOf(bytes, i, v.caseInsensitive ?? false)));
    }
    fulls.push(tests.length === 1 ? (tests[0] as string) : `(${tests.join(' && ')})`);
  }
  return {
    keys: [...keys].map((k) => `  @envk[${k}] = 1;`),
    prefilter: [...lookups].join(' || '),
    full: fulls.join(' || '),
  };
}
