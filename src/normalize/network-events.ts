// Network raw events (connect, accept, disconnect) into network documents: which are reported
// (TCP; UDP only when asked; re-polls of an attempt dropped), and the acting process's
// credentials and capabilities refreshed from the event. The fields are network-parts.ts's.
import type { AcceptEvent, ConnectEvent, DisconnectEvent } from '../collector/raw-event.js';
import type { NetworkParts } from './document-factory.js';
import { CONNECT, CONNECTION_ACCEPTED, DISCONNECT_RECEIVED, type EventKind } from './ecs-event.js';
import { connectOutcome } from './errno.js';
import { type ActingRaw, actingProcess, type HandlerContext } from './handler-context.js';
import { acceptParts, connectParts, disconnectParts } from './network-parts.js';

type NetworkRaw = ActingRaw & { ktimeNs: number };

/** One network document for the event's process, with the event's credentials and capabilities. */
function report(ctx: HandlerContext, r: NetworkRaw, kind: EventKind, net: () => NetworkParts): void {
  const acting = actingProcess(ctx, r);
  if (acting === undefined) return;
  ctx.emitNetwork(r.ktimeNs, kind, acting.e, acting.parent, acting.creds, net);
}

export function onConnect(ctx: HandlerContext, r: ConnectEvent): void {
  const transport = r.socketType === 'stream' ? 'tcp' : r.socketType === 'dgram' ? 'udp' : undefined;
  if (transport === undefined) {
    ctx.counters.droppedOtherSocket++;
    return;
  }
  if (transport === 'udp' && !ctx.udpConnects) {
    ctx.counters.droppedUdp++;
    return;
  }
  const out = connectOutcome(r.ret);
  if (out.outcome === 'repoll') {
    ctx.counters.droppedRepoll++;
    return;
  }
  const errno = out.outcome === 'failure' ? out.errno : undefined;
  report(ctx, r, CONNECT[out.outcome], () => connectParts(r, transport, errno));
}

export function onAccept(ctx: HandlerContext, r: AcceptEvent): void {
  report(ctx, r, CONNECTION_ACCEPTED, () => acceptParts(r));
}

export function onDisconnect(ctx: HandlerContext, r: DisconnectEvent): void {
  report(ctx, r, DISCONNECT_RECEIVED, () => disconnectParts(r));
}
