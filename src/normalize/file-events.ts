// File raw events (creation, rename, deletion from the file program) into file documents
// (endpoint.events.file): the acting process resolved as for network events, its credentials
// refreshed from the event, the file fields from ecs-file.ts.
import type { FileEvent } from '../collector/raw-event.js';
import { FILE } from './ecs-event.js';
import { fileFields } from './ecs-file.js';
import { startTicksFromNs } from './entity-id.js';
import type { HandlerContext } from './handler-context.js';

export function onFile(ctx: HandlerContext, r: FileEvent): void {
  const ticks = startTicksFromNs(r.startNs, ctx.host.clkTck);
  const e = ctx.resolver.actor(r.pid, ticks, r.comm);
  if (ctx.isExcluded(e)) {
    ctx.counters.excluded++;
    return;
  }
  const parent = ctx.resolver.resolve(e.ppid, e.parentTicks);
  const creds = ctx.resolver.credsOf(r, e.creds);
  e.creds = creds;
  ctx.table.touch(e);
  ctx.emitFile(
    r.ktimeNs,
    FILE[r.action],
    e,
    parent,
    creds,
    fileFields(r.path, r.oldPath, r.bytesEscaped === true),
  );
}
