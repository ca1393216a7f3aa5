// The network fields of a document (source.*, destination.*, network.*, error.*) from a connect,
// accept or disconnect raw event. Orientation follows Elastic Defend's Linux network events
// (endpoint-package linux_network_attempted_accepted_and_disconnect): on an attempt the source
// is this host's socket and the destination the peer; on an accepted connection the source is
// the peer that connected and the destination this host's listener (what the Defend-only rule
// "Ollama API Accessed from External Network" needs: destination.port 11434, source.ip external).
// Pure functions; no process fields.
import type { AcceptEvent, ConnectEvent, DisconnectEvent } from '../collector/raw-event.js';
import type { NetworkParts } from './document-factory.js';
import { connectErrorFields, networkFields, normalizeIp } from './ecs-event.js';

type Doc = Record<string, unknown>;

/** source.* / destination.* of one end: {address, ip, port} */
function end(ip: string, port: number): Doc {
  return { address: ip, ip, port };
}

/** The local end of a connect, when the socket was bound (port 0: the call failed before that). */
function localEnd(r: ConnectEvent): Doc | undefined {
  if (r.sport === undefined || r.sport === 0 || r.saddr === undefined) return undefined;
  return end(normalizeIp(r.saddr, r.family).ip, r.sport);
}

export function connectParts(
  r: ConnectEvent,
  transport: 'tcp' | 'udp',
  errno: number | undefined,
): NetworkParts {
  const { ip, type } = normalizeIp(r.daddr, r.family);
  return {
    source: localEnd(r),
    destination: end(ip, r.dport),
    network: networkFields(transport, type, 'egress'),
    error: errno === undefined ? undefined : connectErrorFields(errno),
  };
}

export function acceptParts(r: AcceptEvent): NetworkParts {
  const peer = normalizeIp(r.raddr, r.family);
  const local = normalizeIp(r.laddr, r.family);
  return {
    source: end(peer.ip, r.rport),
    destination: end(local.ip, r.lport),
    network: networkFields('tcp', peer.type, 'ingress'),
    error: undefined,
  };
}

/** bytes up to 2^53 as numbers (JSON and ECS long); larger counts are cut to the largest exact one */
const bytes = (n: bigint): number =>
  n > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(n);

/** A disconnect: source is this host's end (bytes it sent), destination the peer (bytes received). */
export function disconnectParts(r: DisconnectEvent): NetworkParts {
  const local = normalizeIp(r.saddr, r.family);
  const peer = normalizeIp(r.daddr, r.family);
  return {
    source: { ...end(local.ip, r.sport), bytes: bytes(r.bytesSent) },
    destination: { ...end(peer.ip, r.dport), bytes: bytes(r.bytesReceived) },
    network: networkFields('tcp', peer.type, undefined),
    error: undefined,
  };
}
