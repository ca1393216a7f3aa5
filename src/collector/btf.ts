// Reads byte offsets of kernel struct members from the kernel's BTF (/sys/kernel/btf/vmlinux),
// because bpftrace 0.17 has neither `&` nor offsetof and the program reads some fields (e.g.
// task_struct.comm) as raw words at `curtask + offset`; offsets differ per kernel build.
// Format: linux Documentation/bpf/btf.rst. Deliberately small: little-endian base BTF only (no
// split/module BTF), one member name per call (no `a.b` paths), bitfields refused, no caching.
// Malformed input is a BtfError, never a RangeError or a hang: every read is bounds-checked
// and every loop is bounded by the input's size or a fixed depth.
import { readFileSync } from 'node:fs';

export class BtfError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BtfError';
  }
}

export const VMLINUX_BTF = '/sys/kernel/btf/vmlinux';

const MAGIC = 0xeb9f;
const HEADER_BYTES = 24;
const TYPE_BYTES = 12;
/** anonymous members inside anonymous members, and modifier chains: far deeper than any kernel */
const MAX_DEPTH = 64;

const KIND_STRUCT = 4;
const KIND_UNION = 5;
const KIND_NAMES = [
  'void',
  'INT',
  'PTR',
  'ARRAY',
  'STRUCT',
  'UNION',
  'ENUM',
  'FWD',
  'TYPEDEF',
  'VOLATILE',
  'CONST',
  'RESTRICT',
  'FUNC',
  'FUNC_PROTO',
  'VAR',
  'DATASEC',
  'FLOAT',
  'DECL_TAG',
  'TYPE_TAG',
  'ENUM64',
];
/** kinds a member's type is resolved through to reach an anonymous struct/union */
const MODIFIER_KINDS = new Set([8, 9, 10, 11, 18]); // TYPEDEF VOLATILE CONST RESTRICT TYPE_TAG

/** Bytes after the 12-byte common header, by kind (btf.rst §2.2); -1: unknown kind. */
function trailingBytes(kind: number, vlen: number): number {
  switch (kind) {
    case 1: // INT
    case 14: // VAR
    case 17: // DECL_TAG
      return 4;
    case 2: // PTR
    case 7: // FWD
    case 8: // TYPEDEF
    case 9: // VOLATILE
    case 10: // CONST
    case 11: // RESTRICT
    case 12: // FUNC
    case 16: // FLOAT
    case 18: // TYPE_TAG
      return 0;
    case 3: // ARRAY
      return 12;
    case 4: // STRUCT
    case 5: // UNION
    case 15: // DATASEC
    case 19: // ENUM64
      return vlen * 12;
    case 6: // ENUM
    case 13: // FUNC_PROTO
      return vlen * 8;
    default:
      return -1;
  }
}

interface Parsed {
  view: DataView;
  bytes: Uint8Array;
  strStart: number;
  strEnd: number;
  /** byte position of type id i's record (ids start at 1); length `count + 1` */
  pos: Uint32Array;
  count: number;
  /** type id of the first STRUCT named as wanted with members, or 0 */
  structId: number;
  /** a STRUCT or FWD of that name was seen without members */
  declaredOnly: boolean;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

/** Does the NUL-terminated string at `nameOff` in the string section equal `want`? */
function nameEquals(p: Parsed, nameOff: number, want: Uint8Array): boolean {
  const start = p.strStart + nameOff;
  // the name plus its NUL must lie inside the string section
  if (nameOff >= p.strEnd - p.strStart || start + want.length >= p.strEnd) return false;
  const b = p.bytes;
  for (let i = 0; i < want.length; i++) if (b[start + i] !== want[i]) return false;
  return b[start + want.length] === 0;
}

function parse(btf: Uint8Array, structName: Uint8Array): Parsed {
  if (btf.byteLength < HEADER_BYTES)
    throw new BtfError(`expected a BTF header of ${HEADER_BYTES} bytes, got ${btf.byteLength} bytes`);
  const view = new DataView(btf.buffer, btf.byteOffset, btf.byteLength);
  const magic = view.getUint16(0, true);
  if (magic !== MAGIC) {
    if (magic === 0x9feb) throw new BtfError('expected little-endian BTF, got big-endian BTF (magic 0xeb9f)');
    throw new BtfError(`expected BTF magic 0xeb9f, got 0x${magic.toString(16).padStart(4, '0')}`);
  }
  const version = view.getUint8(2);
  if (version !== 1) throw new BtfError(`expected BTF version 1, got ${version}`);
  const hdrLen = view.getUint32(4, true);
  if (hdrLen < HEADER_BYTES || hdrLen > btf.byteLength)
    throw new BtfError(
      `expected a header length from ${HEADER_BYTES} to the blob size ${btf.byteLength}, got ${hdrLen}`,
    );
  const section = (what: string, at: number): [number, number] => {
    const off = view.getUint32(at, true);
    const len = view.getUint32(at + 4, true);
    const start = hdrLen + off;
    if (start + len > btf.byteLength)
      throw new BtfError(
        `expected the ${what} section (${len} bytes at ${start}) inside the ${btf.byteLength}-byte blob, ` +
          `got one that ends at ${start + len} (truncated?)`,
      );
    return [start, start + len];
  };
  const [typeStart, typeEnd] = section('type', 8);
  const [strStart, strEnd] = section('string', 16);

  const count = Math.floor((typeEnd - typeStart) / TYPE_BYTES); // upper bound
  const p: Parsed = {
    view,
    bytes: btf,
    strStart,
    strEnd,
    pos: new Uint32Array(count + 1),
    count: 0,
    structId: 0,
    declaredOnly: false,
  };
  let id = 0;
  for (let at = typeStart; at < typeEnd; ) {
    id++;
    if (at + TYPE_BYTES > typeEnd)
      throw new BtfError(
        `expected a ${TYPE_BYTES}-byte record for type ${id} at ${at}, got ${typeEnd - at} bytes (truncated)`,
      );
    const info = view.getUint32(at + 4, true);
    const kind = (info >>> 24) & 0x1f;
    const vlen = info & 0xffff;
    const extra = trailingBytes(kind, vlen);
    if (extra < 0)
      throw new BtfError(
        `expected a known BTF kind (1-19) for type ${id} at ${at}, got kind ${kind}: cannot walk past it`,
      );
    if (at + TYPE_BYTES + extra > typeEnd)
      throw new BtfError(
        `expected ${extra} bytes of ${KIND_NAMES[kind]} data for type ${id} at ${at}, ` +
          `got ${typeEnd - at - TYPE_BYTES} (truncated)`,
      );
    p.pos[id] = at;
    if (p.structId === 0 && (kind === KIND_STRUCT || kind === 7) && structName.length > 0) {
      if (nameEquals(p, view.getUint32(at, true), structName)) {
        // a FWD is only a declaration, and so is a STRUCT without members
        if (kind === KIND_STRUCT && vlen > 0) p.structId = id;
        else p.declaredOnly = true;
      }
    }
    at += TYPE_BYTES + extra;
  }
  p.count = id;
  return p;
}

/** Follows typedef/const/volatile/restrict/type_tag from type `id`; returns the id reached. */
function stripModifiers(p: Parsed, id: number): number {
  for (let i = 0; i < MAX_DEPTH; i++) {
    if (id === 0 || id > p.count) return id;
    const info = p.view.getUint32(p.pos[id]! + 4, true);
    if (!MODIFIER_KINDS.has((info >>> 24) & 0x1f)) return id;
    id = p.view.getUint32(p.pos[id]! + 8, true);
  }
  throw new BtfError(
    `expected a modifier chain shorter than ${MAX_DEPTH} types, got a longer one (a cycle?)`,
  );
}

/**
 * Bit offset of `want` inside the struct/union with type id `id`, searching anonymous
 * struct/union members too; undefined if absent.
 */
function findMember(p: Parsed, id: number, want: Uint8Array, depth: number): number | undefined {
  if (depth > MAX_DEPTH)
    throw new BtfError(`expected anonymous members nested at most ${MAX_DEPTH} deep, got deeper (a cycle?)`);
  const at = p.pos[id]!;
  const info = p.view.getUint32(at + 4, true);
  const vlen = info & 0xffff;
  const kindFlag = info >>> 31 === 1;
  for (let i = 0; i < vlen; i++) {
    const m = at + TYPE_BYTES + i * 12;
    const nameOff = p.view.getUint32(m, true);
    const raw = p.view.getUint32(m + 8, true);
    const bitOffset = kindFlag ? raw & 0xffffff : raw;
    if (nameOff === 0) {
      const t = stripModifiers(p, p.view.getUint32(m + 4, true));
      if (t === 0 || t > p.count) continue;
      const kind = (p.view.getUint32(p.pos[t]! + 4, true) >>> 24) & 0x1f;
      if (kind !== KIND_STRUCT && kind !== KIND_UNION) continue;
      const inner = findMember(p, t, want, depth + 1);
      if (inner !== undefined) return bitOffset + inner;
    } else if (nameEquals(p, nameOff, want)) {
      const bitfieldSize = kindFlag ? raw >>> 24 : 0;
      if (bitfieldSize !== 0)
        throw new BtfError(
          `expected member ${quote(new TextDecoder().decode(want))} to be a whole-byte field, ` +
            `got a ${bitfieldSize}-bit bitfield at bit ${bitOffset}`,
        );
      return bitOffset;
    }
  }
  return undefined;
}

function encodeName(what: string, name: string): Uint8Array {
  if (name.length === 0 || name.includes('\0'))
    throw new BtfError(`expected a ${what} name, got ${quote(name)}`);
  return new TextEncoder().encode(name);
}

function findStruct(btf: Uint8Array, structName: string): Parsed {
  const p = parse(btf, encodeName('struct', structName));
  if (p.structId === 0)
    throw new BtfError(
      p.declaredOnly
        ? `expected struct ${structName} with members, got only declarations of it`
        : `expected struct ${structName} in the BTF, got none of that name`,
    );
  return p;
}

/** Byte offset of `memberName` in `struct structName`, counting through anonymous members. */
export function structMemberOffset(btf: Uint8Array, structName: string, memberName: string): number {
  const want = encodeName('member', memberName);
  const p = findStruct(btf, structName);
  const bits = findMember(p, p.structId, want, 0);
  if (bits === undefined) throw new BtfError(`struct ${structName} has no member ${memberName}`);
  if (bits % 8 !== 0)
    throw new BtfError(
      `expected struct ${structName} member ${memberName} at a byte boundary, got bit offset ${bits}`,
    );
  return bits / 8;
}

/** `sizeof(struct structName)` in bytes. */
export function structSize(btf: Uint8Array, structName: string): number {
  const p = findStruct(btf, structName);
  return p.view.getUint32(p.pos[p.structId]! + 8, true);
}

function readBtf(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new BtfError(`cannot read BTF from ${path}: ${(error as Error).message}`, { cause: error });
  }
}

function withPath<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (error) {
    if (error instanceof BtfError) throw new BtfError(`${path}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** structMemberOffset on the BTF file at `path` (default: the running kernel's). */
export function readStructMemberOffset(structName: string, memberName: string, path = VMLINUX_BTF): number {
  const btf = readBtf(path);
  return withPath(path, () => structMemberOffset(btf, structName, memberName));
}

/** structSize on the BTF file at `path` (default: the running kernel's). */
export function readStructSize(structName: string, path = VMLINUX_BTF): number {
  const btf = readBtf(path);
  return withPath(path, () => structSize(btf, structName));
}
