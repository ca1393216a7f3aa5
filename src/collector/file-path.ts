// Builds file paths from what the kernel side printed: a walked directory (names leaf first,
// bpf/FORMAT.md "File events") and, for rename and unlink, the path string the process passed.
// Pure functions over bytes; paths are made of bytes, decoded to text only at the end.
//
// The result is the path as the acting process sees it, like elastic/ebpf's
// ebpf_resolve_path_to_string (GPL/Events/PathResolver.h): absolute from the process's root,
// "/"-separated, no "." or ".." or repeated "/" (the kernel's dentries have none; a string
// passed by the process is normalized lexically, see joinUserPath). A path that could not be
// read whole keeps what was read and starts with ".", as elastic/ebpf marks a path it cut.

export interface BuiltPath {
  bytes: Uint8Array;
  cut: boolean;
}

const SLASH = 0x2f;
const DOT = 0x2e;

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The absolute path of walked names given leaf first. `reachedRoot` false: the walk stopped
 * before the process's root (too deep, outside the root): "." then the names read.
 */
export function pathFromWalk(namesLeafFirst: readonly Uint8Array[], reachedRoot: boolean): BuiltPath {
  if (namesLeafFirst.length === 0) {
    return reachedRoot
      ? { bytes: Uint8Array.of(SLASH), cut: false }
      : { bytes: Uint8Array.of(DOT), cut: true };
  }
  const parts: Uint8Array[] = [];
  let total = 0;
  if (!reachedRoot) {
    parts.push(Uint8Array.of(DOT));
    total++;
  }
  const slash = Uint8Array.of(SLASH);
  for (let i = namesLeafFirst.length - 1; i >= 0; i--) {
    const n = namesLeafFirst[i]!;
    parts.push(slash, n);
    total += 1 + n.length;
  }
  return { bytes: concat(parts, total), cut: !reachedRoot };
}

/** Splits a path's bytes at "/" into its non-empty components. */
function components(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === SLASH) {
      if (i > start) out.push(bytes.subarray(start, i));
      start = i + 1;
    }
  }
  return out;
}

const isDot = (c: Uint8Array): boolean => c.length === 1 && c[0] === DOT;
const isDotDot = (c: Uint8Array): boolean => c.length === 2 && c[0] === DOT && c[1] === DOT;

/**
 * The path a process meant by `user` (the string it passed), relative to the directory `base`
 * (the walked descriptor or working directory) when `user` is relative. `base` undefined for a
 * relative path: the directory could not be read (a descriptor closed meanwhile): cut.
 * Normalized lexically: "." and empty components dropped, ".." takes the previous one off (not
 * above the root). Unlike the kernel's lookup, this does not follow a symbolic link inside
 * `user` before a "..": a path that goes through a link and back up names the link's parent
 * (docs/ecs-mapping.md).
 */
export function joinUserPath(base: BuiltPath | undefined, user: Uint8Array, userCut: boolean): BuiltPath {
  const absolute = user.length > 0 && user[0] === SLASH;
  let cut = userCut;
  const stack: Uint8Array[] = [];
  let prefixDot = false;
  if (!absolute) {
    if (base === undefined) {
      cut = true;
      prefixDot = true;
    } else {
      if (base.cut) {
        cut = true;
        prefixDot = true;
      }
      // a cut base starts with "." (its first component): the rest are the names read
      for (const c of components(base.bytes))
        if (!(base.cut && stack.length === 0 && isDot(c))) stack.push(c);
    }
  }
  for (const c of components(user)) {
    if (isDot(c)) continue;
    if (isDotDot(c)) {
      if (stack.length > 0) stack.pop();
      continue;
    }
    stack.push(c);
  }
  if (stack.length === 0) return { bytes: Uint8Array.of(prefixDot ? DOT : SLASH), cut };
  const parts: Uint8Array[] = [];
  let total = 0;
  if (prefixDot) {
    parts.push(Uint8Array.of(DOT));
    total++;
  }
  const slash = Uint8Array.of(SLASH);
  for (const c of stack) {
    parts.push(slash, c);
    total += 1 + c.length;
  }
  return { bytes: concat(parts, total), cut };
}
