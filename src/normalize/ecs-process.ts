// Builds the ECS `process.*` object of one event from process-table entries: the acting
// process, its parent and its group/session/entry leaders, in the field set Elastic Defend's
// Linux process events carry (endpoint-package custom_documentation linux_process_fork_exec_exit).
import type { Credentials } from '../collector/raw-event.js';
import type { CredBlocks } from './cred-fields.js';
import { argsOf, imageFromExec, type ProcImage } from './proc-image.js';
import { type BlockCache, newEntry, type ProcEntry } from './process-table.js';
import { isInteractive, ttyDevice } from './tty.js';

// the image helpers live in proc-image.ts; they stay importable from here
export { argsOf, commandLine, imageFromExec, imageFromProc, processName } from './proc-image.js';

export interface ProcessFieldContext {
  /** process.args of a table entry's image (RecentProcesses) */
  args: (e: ProcEntry) => readonly string[];
  /** the shared user/group blocks of a credentials object */
  credBlocks: (c: Credentials) => CredBlocks;
  entityId: (pid: number, ticks: number) => string;
  /** a table entry's process.entity_id */
  entityIdOf: (e: ProcEntry) => string;
  /** clock ticks since boot -> ISO timestamp */
  startIso: (ticks: number) => string;
  /** an entry's process.start */
  startOf: (e: ProcEntry) => string;
  /** changes when the clock is re-sampled or the user database changes: cached blocks are stale */
  generation: () => number;
}

type Doc = Record<string, unknown>;

function imageFields(d: Doc, img: ProcImage, args: readonly string[]): void {
  if (img.executable !== '') d.executable = img.executable;
  d.name = img.name;
  d.args = args;
  d.args_count = img.extra.argsCount ?? args.length;
  d.command_line = img.commandLine;
  if (img.bytesEscaped) d.Ext = BYTES_ESCAPED;
}

/** marks a block whose executable, name, args and command_line are byte-escaped (not UTF-8) */
const BYTES_ESCAPED = Object.freeze({ bytes_escaped: true });

/** process.tty: the controlling terminal as a character device (ECS tty.char_device) */
function ttyBlock(ttyNr: number): Doc | undefined {
  const d = ttyDevice(ttyNr);
  return d === undefined ? undefined : { char_device: { major: d.major, minor: d.minor } };
}

/** process.previous: the earlier images, `executable` and `args` (ECS: "Only executable and args
 *  are set"; endpoint-package's Linux process docs also list args_count). Frozen, and the block
 *  built last is given again for the same images (a busy process's events follow each other). */
function previousBlock(images: readonly ProcImage[]): readonly Doc[] {
  if (images !== lastPrevious.images) {
    lastPrevious = { images, block: Object.freeze(buildPrevious(images)) };
  }
  return lastPrevious.block;
}

let lastPrevious: { images: readonly ProcImage[] | undefined; block: readonly Doc[] } = {
  images: undefined,
  block: [],
};

function buildPrevious(images: readonly ProcImage[]): Doc[] {
  return images.map((img) => {
    const args = argsOf(img);
    const d: Doc = {};
    if (img.executable !== '') d.executable = img.executable;
    d.args = args;
    d.args_count = img.extra.argsCount ?? args.length;
    return Object.freeze(d);
  });
}

/** The fields ECS gives a leader or parent: identity, image, start, terminal and ids. */
function buildRelative(ctx: ProcessFieldContext, r: ProcEntry): Doc {
  const d: Doc = { pid: r.pid, entity_id: ctx.entityIdOf(r) };
  imageFields(d, r.image, ctx.args(r));
  d.start = ctx.startOf(r);
  if (r.cwd !== undefined) d.working_directory = r.cwd;
  d.interactive = isInteractive(r.ttyNr);
  const tty = ttyBlock(r.ttyNr);
  if (tty) d.tty = tty;
  if (r.creds) {
    const c = ctx.credBlocks(r.creds);
    d.user = c.processUser;
    d.group = c.processGroup;
    d.real_user = c.processRealUser;
    d.real_group = c.processRealGroup;
  }
  return d;
}

/**
 * A process's parent/leader blocks, built once and shared (frozen) by every document that names
 * it until its image, cwd, credentials, entry type, the clock sample or the user database change.
 * Parents and leaders recur in event after event; rebuilding them was most of the allocation.
 */
function blocksOf(ctx: ProcessFieldContext, r: ProcEntry): BlockCache {
  const gen = ctx.generation();
  const b = r.blocks;
  if (
    b &&
    b.image === r.image &&
    b.cwd === r.cwd &&
    b.creds === r.creds &&
    b.ttyNr === r.ttyNr &&
    b.gen === gen &&
    b.entryType === r.entryType
  ) {
    return b;
  }
  const rel = buildRelative(ctx, r);
  const nb: BlockCache = {
    image: r.image,
    cwd: r.cwd,
    creds: r.creds,
    ttyNr: r.ttyNr,
    gen,
    entryType: r.entryType,
    rel: Object.freeze(rel),
    asLeader: Object.freeze({ ...rel, same_as_process: false }),
    asEntry: undefined,
    entryParent: undefined,
  };
  r.blocks = nb;
  return nb;
}

/** A process as ECS names a parent (process.parent.*): shared, frozen. */
export function relative(ctx: ProcessFieldContext, r: ProcEntry): Doc {
  return blocksOf(ctx, r).rel;
}

function leader(ctx: ProcessFieldContext, self: ProcEntry, pid: number, l: ProcEntry | undefined): Doc {
  if (!l || l.pid !== pid) return { pid, same_as_process: pid === self.pid };
  if (l !== self) return blocksOf(ctx, l).asLeader;
  const d = buildRelative(ctx, l);
  d.same_as_process = true;
  return d;
}

function entryLeaderBlock(
  ctx: ProcessFieldContext,
  self: ProcEntry,
  el: ProcEntry,
  ep: ProcEntry | undefined,
): Doc {
  const withMeta = (base: Doc): Doc => {
    base.entry_meta = { type: el.entryType ?? 'unknown' };
    if (ep) base.parent = { pid: ep.pid, entity_id: ctx.entityIdOf(ep), start: ctx.startOf(ep) };
    else if (el.ppid > 0) base.parent = { pid: el.ppid };
    return base;
  };
  if (el === self) {
    const d = buildRelative(ctx, el);
    d.same_as_process = true;
    return withMeta(d);
  }
  const b = blocksOf(ctx, el);
  if (b.asEntry === undefined || b.entryParent !== ep) {
    b.asEntry = Object.freeze(withMeta({ ...b.rel, same_as_process: false }));
    b.entryParent = ep;
  }
  return b.asEntry;
}

interface ProcessDocConstructor {
  /**
   * `parentPid`/`parentTicks`: the parent's pid and start tick, also when the parent is not in
   * the table; `exitCode`/`end`: an exit's process.exit_code and process.end
   */
  new (
    ctx: ProcessFieldContext,
    self: ProcEntry,
    parent: ProcEntry | undefined,
    parentPid: number,
    parentTicks: number | undefined,
    creds: Credentials | undefined,
    groupLeader: ProcEntry | undefined,
    sessionLeader: ProcEntry | undefined,
    entryLeaderParent: ProcEntry | undefined,
    exitCode: number | undefined,
    end: string | undefined,
    extras: ProcessExtras,
  ): Doc;
}

/** What only some documents' process.* has. */
export interface ProcessExtras {
  /** process.env_vars (process events; network events leave them out) */
  readonly envVars: readonly string[] | undefined;
  /** process.Ext.load_module of a load_module event */
  readonly loadModule: Doc | undefined;
}

/**
 * The extras of a document that has none. Every document gets an extras object of this one
 * shape (never undefined, never a subset of the fields), so that the builder's reads of it have
 * V8 type feedback from the first event: the first process with a captured environment variable
 * or a module load no longer deoptimizes it (as `img.extra` did: docs/decisions.md, "A resident
 * agent"). Not frozen: a frozen object would have a hidden class of its own.
 */
export const NO_PROCESS_EXTRAS: ProcessExtras = { envVars: undefined, loadModule: undefined };

/**
 * process.* of one document, built by a constructor rather than grown from an object literal:
 * a literal keeps only its own fields in the object and puts every field added later in a
 * separate property array, re-allocated as it grows (about 300 bytes of garbage per document);
 * a constructor's objects get room for the fields its body assigns (V8's in-object slack
 * tracking). Its prototype is Object.prototype, so to every consumer the result is a plain
 * object with the same fields, in the same order, as before. Positional arguments: no input
 * object per document either.
 */
export const ProcessDoc = function ProcessDoc(
  this: Doc,
  ctx: ProcessFieldContext,
  self: ProcEntry,
  parent: ProcEntry | undefined,
  parentPid: number,
  parentTicks: number | undefined,
  creds: Credentials | undefined,
  groupLeader: ProcEntry | undefined,
  sessionLeader: ProcEntry | undefined,
  entryLeaderParent: ProcEntry | undefined,
  exitCode: number | undefined,
  end: string | undefined,
  extras: ProcessExtras,
): void {
  const img = self.image;
  this.pid = self.pid;
  this.entity_id = ctx.entityIdOf(self);
  const parentBlock = parent ? relative(ctx, parent) : undefined;
  if (img.executable !== '') this.executable = img.executable;
  this.name = img.name;
  // a forked child that has not exec'd shares its parent's image: share its args array too
  const args =
    parentBlock !== undefined && parent?.image === img
      ? (parentBlock.args as readonly string[])
      : ctx.args(self);
  this.args = args;
  // the kernel's count when a cut argv kept fewer (Elastic Defend reports the real count)
  this.args_count = img.extra.argsCount ?? args.length;
  this.command_line = img.commandLine;
  const x = img.extra;
  const loadModule = extras.loadModule;
  if (x.argsTruncated || x.resolved !== undefined || x.bytesEscaped || loadModule !== undefined) {
    const ext: Doc = {};
    if (x.argsTruncated) ext.command_line_truncated = true;
    if (x.resolved !== undefined) ext.resolved_executable = x.resolved;
    if (x.bytesEscaped) ext.bytes_escaped = true;
    if (loadModule !== undefined) ext.load_module = loadModule;
    this.Ext = ext;
  }
  if (self.cwd !== undefined) this.working_directory = self.cwd;
  this.start = ctx.startOf(self);
  this.interactive = isInteractive(self.ttyNr);
  const tty = ttyBlock(self.ttyNr);
  if (tty) this.tty = tty;
  if (creds) {
    const c = ctx.credBlocks(creds);
    this.user = c.processUser;
    this.group = c.processGroup;
    this.real_user = c.processRealUser;
    this.real_group = c.processRealGroup;
  }
  const caps = self.caps;
  if (caps) this.thread = { capabilities: caps };
  if (extras.envVars !== undefined) this.env_vars = extras.envVars;
  if (self.previous !== undefined) this.previous = previousBlock(self.previous);
  if (parentBlock) this.parent = parentBlock;
  else if (parentPid > 0) {
    const par: Doc = { pid: parentPid };
    if (parentTicks !== undefined) {
      par.entity_id = ctx.entityId(parentPid, parentTicks);
      par.start = ctx.startIso(parentTicks);
    }
    this.parent = par;
  }
  // 0 = not known (the process was first seen without its parent): leave the leader out
  if (self.pgid > 0) this.group_leader = leader(ctx, self, self.pgid, groupLeader);
  if (self.sid > 0) this.session_leader = leader(ctx, self, self.sid, sessionLeader);
  const el = self.entryLeader;
  if (el) this.entry_leader = entryLeaderBlock(ctx, self, el, entryLeaderParent);
  if (exitCode !== undefined) {
    this.exit_code = exitCode;
    this.end = end;
  }
} as unknown as ProcessDocConstructor;
ProcessDoc.prototype = Object.prototype;

/**
 * V8 settles the size of a constructor's objects after its first few constructions, at the most
 * fields any of them had: build one with every field first, so that no later document spills
 * fields into a property array because the agent's first events happened to be small.
 */
function primeProcessDoc(): void {
  const image = imageFromExec('p', ['p'], true, '/');
  const self = newEntry({
    pid: 3,
    startTicks: 1,
    approxStart: false,
    ppid: 2,
    pgid: 3,
    sid: 3,
    ttyNr: 0,
    image,
    excluded: false,
    source: 'exec',
  });
  self.cwd = '/';
  self.entryLeader = self;
  const creds: Credentials = { uid: 0, gid: 0, euid: 0, egid: 0 };
  const id: Doc = { id: '0' };
  const ctx: ProcessFieldContext = {
    args: () => [],
    credBlocks: () => ({
      user: id,
      group: id,
      processUser: id,
      processGroup: id,
      processRealUser: id,
      processRealGroup: id,
    }),
    entityId: () => '',
    entityIdOf: () => '',
    startIso: () => '',
    startOf: () => '',
    generation: () => 0,
  };
  self.caps = Object.freeze({ effective: [], permitted: [] });
  self.previous = [image];
  self.ttyNr = (136 << 8) | 1;
  new ProcessDoc(ctx, self, undefined, 2, 1, creds, self, self, undefined, 0, '', {
    envVars: ['A=b'],
    loadModule: {},
  });
}
primeProcessDoc();
