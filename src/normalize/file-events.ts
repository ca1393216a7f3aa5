// File raw events (creation, rename, deletion from the file program) into file documents
// (endpoint.events.file): the acting process resolved as for network events (actingProcess), its
// credentials refreshed from the event, the file fields from ecs-file.ts.
import type { FileEvent } from '../collector/raw-event.js';
import { FILE } from './ecs-event.js';
import { fileFields } from './ecs-file.js';
import { actingProcess, type HandlerContext } from './handler-context.js';

export function onFile(ctx: HandlerContext, r: FileEvent): void {
  const acting = actingProcess(ctx, r);
  if (acting === undefined) return;
  ctx.emitFile(r.ktimeNs, FILE[r.action], acting.e, acting.parent, acting.creds, () =>
    fileFields(r.path, r.oldPath, r.bytesEscaped === true),
  );
}
