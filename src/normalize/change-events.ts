// Raw events that change what a process is, besides exec: its ids (setuid/setgid family ->
// uid_change / gid_change documents), its process group (setpgid) and working directory (chdir)
// (no document: the table follows them as the kernel does) and the kernel modules it loads
// (load_module).
import type { ChdirEvent, CredChangeEvent, ModuleEvent, SetpgidEvent } from '../collector/raw-event.js';
import { GID_CHANGE, LOAD_MODULE, UID_CHANGE } from './ecs-event.js';
import { startTicksFromNs } from './entity-id.js';
import type { HandlerContext } from './handler-context.js';
import { loadModuleFields } from './module-fields.js';

/** uid_change / gid_change: an id of the family changed (the kernel compared old and new). */
export function onCredChange(ctx: HandlerContext, r: CredChangeEvent): void {
  const ticks = startTicksFromNs(r.startNs, ctx.host.clkTck);
  const e = ctx.resolver.actor(r.pid, ticks, r.comm);
  const creds = ctx.resolver.credsOf(r, e.creds);
  // glibc makes every thread of a process repeat a setuid(2) (setxid broadcast): a thread's
  // event that brings nothing new was already reported by the thread that went first
  if (r.tid !== r.pid && creds === e.creds) {
    ctx.counters.droppedThreadCredRepeats++;
    return;
  }
  e.creds = creds;
  e.caps = ctx.resolver.capsOf(r, e.caps);
  const parent = ctx.resolver.resolve(e.ppid, e.parentTicks);
  ctx.table.touch(e);
  const kind = r.kind === 'setuid' ? UID_CHANGE : GID_CHANGE;
  ctx.emitProcess(r.ktimeNs, kind, e, parent, e.ppid, e.parentTicks, creds, e.source === 'event');
}

/**
 * Job control: setpgid moves a process to another group. The caller's own group is read from
 * the kernel after the call; another process named by pid is moved only when the caller's pids
 * are host pids (its pid namespace is the host's), since the table is keyed by host pids.
 */
export function onSetpgid(ctx: HandlerContext, r: SetpgidEvent): void {
  const ticks = startTicksFromNs(r.startNs, ctx.host.clkTck);
  const caller = ctx.table.get(r.pid, ticks);
  if (caller !== undefined && r.callerPgid > 0) caller.pgid = r.callerPgid;
  if (r.targetPid === 0 || r.targetPid === r.pid) return;
  const hostNs = ctx.host.pidNs;
  if (caller?.ns !== undefined && hostNs !== undefined && caller.ns.pid !== hostNs) {
    ctx.counters.droppedSetpgidNamespaced++;
    return;
  }
  const target = ctx.table.get(r.targetPid);
  if (target !== undefined && target.exitedAtNs === undefined) {
    target.pgid = r.pgid === 0 ? r.targetPid : r.pgid;
  }
}

/** chdir/fchdir: the process's later events, and children it forks, carry the new directory. */
export function onChdir(ctx: HandlerContext, r: ChdirEvent): void {
  const e = ctx.table.get(r.pid, startTicksFromNs(r.startNs, ctx.host.clkTck));
  if (e !== undefined) e.cwd = ctx.resolver.strings.get(r.cwd);
}

/** load_module; loads by pid 1/2 and their children (the kernel's own requests) are skipped, as
 *  elastic/ebpf does */
export function onModule(ctx: HandlerContext, r: ModuleEvent): void {
  const ticks = startTicksFromNs(r.startNs, ctx.host.clkTck);
  const e = ctx.resolver.actor(r.pid, ticks, r.comm);
  if (r.pid <= 2 || e.ppid <= 2) {
    ctx.counters.droppedKernelModuleLoads++;
    return;
  }
  e.creds = ctx.resolver.credsOf(r, e.creds);
  e.caps = ctx.resolver.capsOf(r, e.caps);
  const parent = ctx.resolver.resolve(e.ppid, e.parentTicks);
  ctx.table.touch(e);
  const extras = { envVars: undefined, loadModule: loadModuleFields(r) };
  ctx.emitProcess(
    r.ktimeNs,
    LOAD_MODULE,
    e,
    parent,
    e.ppid,
    e.parentTicks,
    e.creds,
    e.source === 'event',
    undefined,
    extras,
  );
}
