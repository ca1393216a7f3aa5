// The bpftrace code that reads paths in the kernel, expanded into the program templates:
// `@WALK slot dentry vfsmount@` walks a dentry up to the task's root and prints it as `fp`
// lines (with an `fn` line per long name); `@USTR slot pointer@` prints a NUL-terminated
// string of user memory as `fs` lines. Pure text generation; bpf/FORMAT.md ("File events")
// describes the lines and src/collector/file-assembler.ts reads them back.
//
// Why it looks like this (bpftrace 0.17, tracepoints only; measured on kernel 6.18):
// - No `&`/offsetof: `struct mount` is reached from a vfsmount by subtracting the offset of
//   `mount.mnt` read from BTF. No arrays: a line's six steps live in scalar variables.
// - A probe has a 512-byte stack and a printf's arguments live on it: six names per line (a
//   length and four words each) fit.
// - Bounded `while` loops, not unrolled code: an unrolled 100-level walk and 4 KiB string took
//   bpftrace's LLVM tens of seconds and overflowed the stack. A loop keeps the program small;
//   the verifier walks it (a 102-step walk: ~300k instructions processed of the 1M limit, so one
//   walk or one string per probe block).
// - The walk follows elastic/ebpf's GPL/Events/PathResolver.h (ebpf_resolve_path_to_string):
//   each step either ends the walk at the task's fs->root, or crosses from a mount's root to its
//   mountpoint in the parent mount, or takes one name and goes to d_parent; at most
//   WALK_STEPS steps. A walk that ends elsewhere (the namespace's root mount reached without
//   meeting fs->root, a dentry that is its own parent) or runs out of steps is marked so, and
//   the reader prefixes the path with elastic/ebpf's "." as Defend does for a cut path.
// - Long names are remembered in @fln[tid, i] during the walk and printed after it, so the
//   walk's line stays small.
// - User strings have no known length and a word read that crosses into an unmapped page fails
//   whole: words are read at 8-byte aligned addresses (which never cross a page), the first NUL
//   is found with the "has a zero byte" trick, and bytes before the string and after its NUL are
//   masked out in the kernel, so no other byte of user memory reaches the output. The length
//   goes through a map and back so that the verifier does not explore the printing loop once
//   per possible length (that exceeded its 1M-instruction limit).

/** steps per `fp` line */
export const STEPS_PER_LINE = 6;
/** `fp` lines per walk: 17 * 6 = 102 steps, above elastic/ebpf's 100 components */
export const WALK_LINES = 17;
export const WALK_STEPS = STEPS_PER_LINE * WALK_LINES;
/** bytes of a name printed inside an `fp` line (three whole words and a tail word) */
export const SHORT_NAME_BYTES = 31;
/** NAME_MAX */
export const NAME_MAX = 255;
/** a long name is printed in `fn` lines of up to 128 bytes (two for a 255-byte name): one line
 *  of 32 words did not fit the stack beside a second walk in the same program */
export const NAME_PART_BYTES = 128;
/** long names printed per walk (`fn` lines); a walk with more is marked cut */
export const MAX_LONG_NAMES = 8;
/** bytes per `fs` chunk line */
export const STRING_CHUNK_BYTES = 200;
/** a user path is at most PATH_MAX bytes with its NUL: the scan reads up to 4096 bytes */
export const STRING_MAX_BYTES = 4096;
/** chunks that cover STRING_MAX_BYTES from an aligned start */
export const STRING_CHUNKS = Math.ceil((STRING_MAX_BYTES + 8) / STRING_CHUNK_BYTES);

/** Reads of `words` whole words and a tail word of [a, a + len), kernel or user memory. */
export function hexWords(words: number, space: 'user' | 'kernel', a = '$a', len = '$len'): string {
  // kptr/uptr: an integer made into a pointer has no address space, and bpftrace 0.17 warns
  // "Addrspace is not set" at every start for one read without either
  const read = (at: string): string =>
    space === 'user' ? `*(uint64 *)uptr(${at})` : `*(uint64 *)kptr(${at})`;
  const args: string[] = [];
  for (let k = 0; k < words; k++) {
    args.push(`(${len} >= ${8 * (k + 1)} ? ${read(k === 0 ? a : `${a} + ${8 * k}`)} : 0)`);
  }
  args.push(
    `((${len} & 7) != 0 ? ${read(`${a} + ${len} - 8`)} >> ((${len} & 7) == 0 ? 0 : 64 - (${len} & 7) * 8) : 0)`,
  );
  return args.join(', ');
}

const hexFormat = (words: number): string => `${'%016llx'.repeat(words)} %016llx`;

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((l) => (l.length > 0 ? by + l : l))
    .join('\n');
}

/**
 * The mask of the bytes of word `k` (bytes 8k .. 8k+7) that lie within a name of `len` bytes
 * (len <= 255), without a comparison: a comparison compiles to a branch, and branches split the
 * verifier's states. v = clamp(len - 8k, 0, 8) by adding offsets that keep every value
 * positive and reading the sign from bit 8; then ~((~0 << 4v) << 4v) keeps the low v bytes
 * (two shifts: a shift by 64 is not defined).
 */
export function nameWordMask(len: string, k: number): string {
  // x = len + 256 - 8k is in [8, 511]; len - 8k >= 0 exactly when bit 8 of x is set
  const x = `(${len} + ${256 - 8 * k})`;
  const lo = `((${x} - 256) * (${x} >> 8))`; // max(len - 8k, 0), in [0, 255]
  const v = `(${lo} - (${lo} - 8) * ((${lo} + 248) >> 8))`; // min(lo, 8)
  return `~((0xffffffffffffffff << (${v} * 4)) << (${v} * 4))`;
}

/**
 * The walk of `dentry` (struct dentry *) in `vfsmount` (struct vfsmount *) as `fp` lines of slot
 * `slot`, leaf first, then an `fn` line per name longer than SHORT_NAME_BYTES. Uses the probe's
 * $ts (the event's key) and adds the lines it prints to $nl.
 */
export function walkMacro(slot: number, dentry: string, vfsmount: string, mountMntOffset: number): string {
  const off = mountMntOffset;
  let steps = '';
  for (let j = 0; j < STEPS_PER_LINE; j++) {
    steps += `$l${j} = (uint64)0;
$a${j} = (uint64)0;
if ($wg == 1) {
  if ($wd == $rd && $wm == $rm) {
    $wg = 0;
  } else if ($wd == ((struct mount *)kptr($wm))->mnt.mnt_root) {
    if ((uint64)((struct mount *)kptr($wm))->mnt_parent == $wm) {
      $wg = 2;
    } else {
      $wd = ((struct mount *)kptr($wm))->mnt_mountpoint;
      $wm = (uint64)((struct mount *)kptr($wm))->mnt_parent;
    }
  } else if ($wd == $wd->d_parent) {
    $wg = 2;
  } else {
    $l${j} = (uint64)$wd->d_name.len;
    $a${j} = (uint64)$wd->d_name.name;
    $wd = $wd->d_parent;
    if ($l${j} > ${SHORT_NAME_BYTES}) {
      // counted in a map, not a variable: a variable's exact value would split the verifier's
      // states at every long name
      $wc = @flc[tid];
      if ($wc < ${MAX_LONG_NAMES}) {
        @fln[tid, $wc] = ($a${j}, $l${j}, $wi * ${STEPS_PER_LINE} + ${j});
      }
      @flc[tid] = $wc + 1;
    }
  }
}
`;
  }
  const fmt: string[] = [];
  const args: string[] = [];
  for (let j = 0; j < STEPS_PER_LINE; j++) {
    fmt.push(`%llu ${'%016llx'.repeat(4)}`);
    args.push(`$l${j}`);
    // read whole, without a condition per word (conditional reads multiplied the verifier's
    // work tenfold), and masked without one: a name of up to 39 bytes is stored inline in the
    // dentry (d_shortname, DNAME_INLINE_LEN 40), so these 32 bytes stay inside it, but the bytes
    // after its NUL are whatever the slab held before (kernel pointers, seen): they are cleared
    // here, so nothing past the name leaves the kernel. A longer name fills all 32 bytes (and
    // comes whole in its fn line).
    args.push(
      [0, 1, 2, 3]
        .map((k) => `*(uint64 *)kptr($a${j}${k === 0 ? '' : ` + ${8 * k}`}) & ${nameWordMask(`$l${j}`, k)}`)
        .join(', '),
    );
  }
  return `$wd = ${dentry};
$wm = (uint64)${vfsmount} - ${off};
$rd = curtask->fs->root.dentry;
$rm = (uint64)curtask->fs->root.mnt - ${off};
$wg = 1;
$wi = (uint64)0;
@flc[tid] = (uint64)0;
while ($wi < ${WALK_LINES} && $wg == 1) {
${indent(steps, '  ')}  printf("fp %llu %d ${slot} %llu %d ${fmt.join(' ')}\\n", $ts, tid, $wi, $wg, ${args.join(', ')});
  $nl = $nl + 1;
  $wi = $wi + 1;
}
// through a map: the verifier then checks what follows once, not once per exact line count
@fnl[tid] = $nl;
$nl = @fnl[tid];
$wn = @flc[tid];
delete(@flc[tid]);
$wk = (uint64)0;
while ($wk < $wn && $wk < ${MAX_LONG_NAMES}) {
  $x = @fln[tid, $wk];
  $xa = $x.0;
  $xl = $x.1 > ${NAME_PART_BYTES} ? (uint64)${NAME_PART_BYTES} : $x.1;
  printf("fn %llu %d ${slot} %llu %llu 0 ${hexFormat(16)}\\n", $ts, tid, $x.2, $x.1, ${hexWords(16, 'kernel', '$xa', '$xl')});
  $nl = $nl + 1;
  if ($x.1 > ${NAME_PART_BYTES}) {
    $xa = $x.0 + ${NAME_PART_BYTES};
    $xl = $x.1 > ${NAME_MAX} ? (uint64)${NAME_MAX - NAME_PART_BYTES} : $x.1 - ${NAME_PART_BYTES};
    printf("fn %llu %d ${slot} %llu %llu 1 ${hexFormat(16)}\\n", $ts, tid, $x.2, $x.1, ${hexWords(16, 'kernel', '$xa', '$xl')});
    $nl = $nl + 1;
  }
  delete(@fln[tid, $wk]);
  $wk = $wk + 1;
}
@fnl[tid] = $nl;
$nl = @fnl[tid];
delete(@fnl[tid]);
`;
}

/**
 * The NUL-terminated user string at `pointer` as `fs` lines of slot `slot`. Each line has the
 * string's offset in its first aligned word (so), its length (len, STRING_MAX_BYTES when no NUL
 * was found within the bound) and the aligned offset of its 200 bytes (chunk). Uses $ts and $nl
 * as walkMacro does.
 */
export function userStringMacro(slot: number, pointer: string): string {
  const words = STRING_CHUNK_BYTES / 8;
  const bytesBelow = [0x80, 0x8000, 0x800000, 0x80000000, 0x8000000000, 0x800000000000, 0x80000000000000]
    .map((v) => `($slb > 0x${v.toString(16)} ? (uint64)1 : (uint64)0)`)
    .join(' + ');
  const args: string[] = [];
  for (let k = 0; k < words; k++) {
    const at = `($sc + ${8 * k})`;
    // keep the bytes of the word at `at` that lie in [so, so + len)
    const high = `(${at} + 8 <= $so + $sl ? 0xffffffffffffffff : (${at} >= $so + $sl ? (uint64)0 : ((uint64)1 << (($so + $sl - ${at}) * 8)) - 1))`;
    const low = k === 0 ? ' & ($sc == 0 ? ~$sm : 0xffffffffffffffff)' : '';
    args.push(`(*(uint64 *)uptr($sb + ${at}) & ${high}${low})`);
  }
  return `$sp = (uint64)${pointer};
$sb = $sp & 0xfffffffffffffff8;
$so = $sp & 7;
$sm = $so == 0 ? (uint64)0 : ((uint64)1 << ($so * 8)) - 1;
$sk = (uint64)0;
$sl = (uint64)${STRING_MAX_BYTES};
$sg = 1;
while ($sk < ${(STRING_MAX_BYTES + 8) / 8} && $sg == 1) {
  $sv = *(uint64 *)uptr($sb + $sk * 8) | ($sk == 0 ? $sm : (uint64)0);
  $sz = ($sv - 0x0101010101010101) & ~$sv & 0x8080808080808080;
  if ($sz != 0) {
    $slb = $sz & (~$sz + 1);
    $sl = $sk * 8 + ${bytesBelow} - $so;
    $sg = 0;
  }
  $sk = $sk + 1;
}
if ($sl > ${STRING_MAX_BYTES}) {
  $sl = (uint64)${STRING_MAX_BYTES};
}
@fsl[tid] = $sl;
$sl = @fsl[tid];
delete(@fsl[tid]);
$sc = (uint64)0;
while ($sc < ${STRING_CHUNKS * STRING_CHUNK_BYTES} && $sc < $so + $sl) {
  printf("fs %llu %d ${slot} %llu %llu %llu ${'%016llx'.repeat(words)}\\n", $ts, tid, $so, $sl, $sc, ${args.join(', ')});
  $nl = $nl + 1;
  $sc = $sc + ${STRING_CHUNK_BYTES};
}
@fnl[tid] = $nl;
$nl = @fnl[tid];
delete(@fnl[tid]);
`;
}

/** the exit tracepoints of a family of syscalls that take a path relative to a descriptor */
const SYSCALL_EXITS: Record<string, readonly string[]> = {
  rename: ['rename', 'renameat', 'renameat2'],
  unlink: ['unlink', 'unlinkat'],
};

/**
 * A probe block on the exits of `family` that, for an event under way (@fe[tid]), walks the
 * directory a relative user path is relative to: the descriptor `dfd` (its low 32 bits, so
 * AT_FDCWD is 0xffffff9c and a negative descriptor is above any max_fds), or the working
 * directory for AT_FDCWD. An absolute path needs no walk; a descriptor that is not open prints
 * none (the reader then marks the path cut).
 */
export function relativeToBlock(
  family: string,
  slot: number,
  dfd: string,
  pointer: string,
  mountMntOffset: number,
): string {
  const exits = SYSCALL_EXITS[family];
  if (exits === undefined) throw new Error(`Unknown syscall family ${family} in @RELATIVE_TO`);
  return `${exits.map((n) => `tracepoint:syscalls:sys_exit_${n}`).join(',\n')}
/@fe[tid].0 != 0/
{
  $e = @fe[tid];
  $ts = $e.0;
  $nl = $e.1;
  $dfd = ${dfd};
  if (*(uint8 *)uptr(${pointer}) != 47) {
    $bd = curtask->fs->pwd.dentry;
    $bm = curtask->fs->pwd.mnt;
    $open = 1;
    if ($dfd != 0xffffff9c) {
      $fds = curtask->files->fdt;
      if ($dfd >= (uint64)$fds->max_fds) {
        $open = 0;
      } else {
        $bf = *($fds->fd + $dfd);
        if ($bf == 0) {
          $open = 0;
        } else {
          $bd = $bf->f_path.dentry;
          $bm = $bf->f_path.mnt;
        }
      }
    }
    if ($open == 1) {
${indent(walkMacro(slot, '$bd', '$bm', mountMntOffset), '      ')}    }
  }
  @fe[tid] = ($ts, $nl);
}`;
}

/**
 * Expands every `@WALK slot dentry vfsmount@` and `@USTR slot pointer@` line (keeping its indent)
 * and every `@RELATIVE_TO family slot dfd pointer@` line (a whole probe block).
 */
export function expandPathMacros(template: string, mountMntOffset: number): string {
  return template
    .replace(
      /^@RELATIVE_TO (\S+) (\d+) (\S+) (\S+)@[ \t]*$/gm,
      (_m, family: string, slot: string, dfd: string, p: string) =>
        relativeToBlock(family, Number(slot), dfd, p, mountMntOffset),
    )
    .replace(
      /^([ \t]*)@WALK (\d+) (\S+) (\S+)@[ \t]*$/gm,
      (_m, pad: string, slot: string, d: string, m: string) =>
        indent(walkMacro(Number(slot), d, m, mountMntOffset), pad).replace(/\n$/, ''),
    )
    .replace(/^([ \t]*)@USTR (\d+) (\S+)@[ \t]*$/gm, (_m, pad: string, slot: string, p: string) =>
      indent(userStringMacro(Number(slot), p), pad).replace(/\n$/, ''),
    );
}
