// Process life-cycle raw events other than exec (fork, exit, setsid) into process documents
// (endpoint.events.process: fork, end, session_id_change), and the process table kept by them:
// a fork child inherits its parent's session, credentials, working directory and leaders; an
// exit marks the entry exited (it stays resolvable for the grace period); setsid makes the
// caller leader of a new session and group and detaches its terminal.
import type { ExitEvent, ForkEvent, SetsidEvent } from '../collector/raw-event.js';
import { END, FORK, SESSION_ID_CHANGE } from './ecs-event.js';
import { startTicksFromNs } from './entity-id.js';
import type { HandlerContext } from './handler-context.js';
import { imageFromProc } from './proc-image.js';
import { entryWithImage, newEntry } from './process-table.js';

export function onFork(ctx: HandlerContext, r: ForkEvent): void {
  const pTicks =
    r.parentStartNs === undefined ? undefined : startTicksFromNs(r.parentStartNs, ctx.host.clkTck);
  const parent = ctx.resolver.resolve(r.parentPid, pTicks);
  let ticks: number;
  let approx = false;
  if (r.childStartNs !== undefined) ticks = startTicksFromNs(r.childStartNs, ctx.host.clkTck);
  else {
    // no start_boottime: the fork's own time on the boot clock, within a tick of the truth
    ticks = Math.floor(ctx.boottimeNsFromMono(r.ktimeNs) / (1e9 / ctx.host.clkTck));
    approx = true;
  }
  const existing = ctx.table.get(r.childPid, ticks);
  if (existing) {
    // read from /proc after the fork (events held during start-up): report the fork all the
    // same, with the parent's image as a fork has, without touching the known entry
    if (ctx.isExcluded(existing)) {
      ctx.counters.excluded++;
      return;
    }
    const view = entryWithImage(existing, parent?.image ?? existing.image);
    ctx.emitProcess(
      r.ktimeNs,
      FORK,
      view,
      parent,
      r.parentPid,
      existing.parentTicks,
      existing.creds,
      !parent,
    );
    return;
  }
  const img = parent?.image ?? imageFromProc(undefined, '', []);
  const child = newEntry({
    pid: r.childPid,
    startTicks: ticks,
    approxStart: approx,
    ppid: r.parentPid,
    pgid: parent?.pgid ?? 0,
    sid: parent?.sid ?? 0,
    ttyNr: parent?.ttyNr ?? 0,
    image: img,
    excluded: ctx.excludesPid(r.childPid) || (parent?.excluded ?? false) || ctx.excludesPid(r.parentPid),
    source: 'fork',
  });
  const parentTicks = parent?.startTicks ?? pTicks;
  if (parentTicks !== undefined) child.parentTicks = parentTicks;
  if (parent?.cwd !== undefined) child.cwd = parent.cwd;
  if (parent?.creds) child.creds = parent.creds;
  if (parent?.caps) child.caps = parent.caps;
  if (parent?.ns) child.ns = parent.ns;
  if (parent?.cgroup !== undefined) child.cgroup = parent.cgroup;
  if (parent?.entryLeader) child.entryLeader = parent.entryLeader;
  ctx.table.insert(child);
  if (parent) ctx.table.touch(parent);
  ctx.emitProcess(r.ktimeNs, FORK, child, parent, r.parentPid, parentTicks, child.creds, !parent);
}

export function onExit(ctx: HandlerContext, r: ExitEvent): void {
  const ticks = startTicksFromNs(r.startNs, ctx.host.clkTck);
  const e = ctx.table.get(r.pid, ticks) ?? ctx.resolver.placeholder(r.pid, ticks, '');
  const parent = ctx.table.get(e.ppid, e.parentTicks);
  ctx.table.markExited(e, r.ktimeNs, r.exitCode);
  ctx.emitProcess(r.ktimeNs, END, e, parent, e.ppid, e.parentTicks, e.creds, e.source === 'event', r);
}

export function onSetsid(ctx: HandlerContext, r: SetsidEvent): void {
  if (r.ret < 0) {
    ctx.counters.droppedFailedSetsid++;
    return;
  }
  const ticks = startTicksFromNs(r.startNs, ctx.host.clkTck);
  const e = ctx.resolver.resolve(r.pid, ticks) ?? ctx.resolver.placeholder(r.pid, ticks, r.comm);
  e.sid = r.pid;
  e.pgid = r.pid;
  e.ttyNr = 0; // setsid(2) detaches the controlling terminal
  e.creds = ctx.resolver.credsOf(r);
  const parent = ctx.resolver.resolve(e.ppid, e.parentTicks);
  ctx.table.touch(e);
  const c = e.creds;
  ctx.emitProcess(r.ktimeNs, SESSION_ID_CHANGE, e, parent, e.ppid, e.parentTicks, c, e.source === 'event');
}
