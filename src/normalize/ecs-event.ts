// The parts of an ECS document every event shares (@timestamp, event.*, host.*, agent.*, ecs,
// data_stream, user/group) and the network-specific fields. Values follow Elastic Defend's
// endpoint.events.process / endpoint.events.network / endpoint.events.file data streams.
import ipaddr from 'ipaddr.js';
import type { Credentials } from '../collector/raw-event.js';
import { errnoName } from './errno.js';
import type { HostInfo } from './host-info.js';
import type { UserDb } from './user-db.js';

export const ECS_VERSION = '8.17.0';

export type Dataset = 'endpoint.events.process' | 'endpoint.events.network' | 'endpoint.events.file';

export interface AgentInfo {
  id: string;
  type: string;
  version: string;
}

type Doc = Record<string, unknown>;

/** host.* once per normalizer; each document gets the same (frozen) object. */
export function hostFields(h: HostInfo): Doc {
  const d: Doc = {
    id: h.id,
    name: h.name,
    hostname: h.hostname,
    architecture: h.architecture,
    os: Object.freeze({ ...h.os }),
  };
  if (h.ip !== undefined && h.ip.length > 0) d.ip = Object.freeze([...h.ip]);
  return Object.freeze(d);
}

/** What kind of event a document reports (event.action, category, type, outcome). */
export interface EventKind {
  action: string;
  category: 'process' | 'network' | 'file';
  type: 'start' | 'end' | 'change' | 'info' | 'creation' | 'deletion';
  outcome?: 'success' | 'failure' | 'unknown';
}

// event.category / event.type arrays: one frozen copy each, shared by every document
const CATEGORY = {
  process: Object.freeze(['process']),
  network: Object.freeze(['network']),
  file: Object.freeze(['file']),
} as const;
const TYPE = {
  start: Object.freeze(['start']),
  end: Object.freeze(['end']),
  change: Object.freeze(['change']),
  creation: Object.freeze(['creation']),
  deletion: Object.freeze(['deletion']),
  info: Object.freeze(['info']),
} as const;

// what each event reports in event.*: one object each, shared by every document
export const EXEC: EventKind = { action: 'exec', category: 'process', type: 'start' };
export const FORK: EventKind = { action: 'fork', category: 'process', type: 'start' };
export const END: EventKind = { action: 'end', category: 'process', type: 'end' };
export const SESSION_ID_CHANGE: EventKind = {
  action: 'session_id_change',
  category: 'process',
  type: 'change',
};
/** an id of the uid family (real, effective, saved, filesystem) changed: setuid(2) & co, or the
 *  exec of a set-user-ID program (Elastic Defend reports both, from commit_creds) */
export const UID_CHANGE: EventKind = { action: 'uid_change', category: 'process', type: 'change' };
export const GID_CHANGE: EventKind = { action: 'gid_change', category: 'process', type: 'change' };
/** a process found running at start-up (endpoint-package linux_process_already_running) */
export const ALREADY_RUNNING: EventKind = { action: 'already_running', category: 'process', type: 'info' };
/** a kernel module loaded by the process (endpoint-package linux_process_load_module) */
export const LOAD_MODULE: EventKind = { action: 'load_module', category: 'process', type: 'start' };
export const CONNECTION_ACCEPTED: EventKind = {
  action: 'connection_accepted',
  category: 'network',
  type: 'start',
};
export const DISCONNECT_RECEIVED: EventKind = {
  action: 'disconnect_received',
  category: 'network',
  type: 'end',
};
const connectKind = (outcome: EventKind['outcome']): EventKind => ({
  action: 'connection_attempted',
  category: 'network',
  type: 'start',
  outcome,
});
export const CONNECT = {
  success: connectKind('success'),
  failure: connectKind('failure'),
  unknown: connectKind('unknown'),
} as const;

// file events as Elastic Defend 8.15 reports them on Linux (event.outcome "unknown" on each; a
// rename is event.type "change"): see docs/ecs-mapping.md, "File events"
export const FILE = {
  creation: { action: 'creation', category: 'file', type: 'creation', outcome: 'unknown' },
  rename: { action: 'rename', category: 'file', type: 'change', outcome: 'unknown' },
  deletion: { action: 'deletion', category: 'file', type: 'deletion', outcome: 'unknown' },
} as const satisfies Record<string, EventKind>;

export type Direction = 'egress' | 'ingress' | undefined;

const networkBlock = (direction: Direction, transport: 'tcp' | 'udp', type: 'ipv4' | 'ipv6'): Doc =>
  Object.freeze(direction === undefined ? { transport, type } : { direction, transport, type });
const byTransport = (direction: Direction) => ({
  tcp: { ipv4: networkBlock(direction, 'tcp', 'ipv4'), ipv6: networkBlock(direction, 'tcp', 'ipv6') },
  udp: { ipv4: networkBlock(direction, 'udp', 'ipv4'), ipv6: networkBlock(direction, 'udp', 'ipv6') },
});
const NETWORK = {
  egress: byTransport('egress'),
  ingress: byTransport('ingress'),
  none: byTransport(undefined),
};

/** network.* of a network event: one frozen object per direction, transport and address family;
 *  a direction left out when it is not known (a disconnect) */
export function networkFields(transport: 'tcp' | 'udp', type: 'ipv4' | 'ipv6', direction: Direction): Doc {
  return NETWORK[direction ?? 'none'][transport][type];
}

const connectErrors = new Map<number, Doc>();

/** error.* of a failed connect: one frozen object per errno (a bounded set) */
export function connectErrorFields(errno: number): Doc {
  let d = connectErrors.get(errno);
  if (d === undefined) {
    d = Object.freeze({ code: errnoName(errno), message: `connect() returned -${errno}` });
    connectErrors.set(errno, d);
  }
  return d;
}

/** event.* of a document stamped at `timestamp` with event.id `id` and event.sequence `sequence` */
export function eventFields(
  timestamp: string,
  id: string,
  sequence: number,
  k: EventKind,
  dataset: Dataset,
): Doc {
  return k.outcome === undefined
    ? {
        id,
        sequence,
        kind: 'event',
        module: 'endpoint',
        dataset,
        action: k.action,
        category: CATEGORY[k.category],
        type: TYPE[k.type],
        created: timestamp,
      }
    : {
        id,
        sequence,
        kind: 'event',
        module: 'endpoint',
        dataset,
        action: k.action,
        category: CATEGORY[k.category],
        type: TYPE[k.type],
        outcome: k.outcome,
        created: timestamp,
      };
}

/** The fields whose values an event's kind and dataset alone fix, in every document of the kind:
 *  what is known of an event before its document is built. */
export const KIND_FIELDS: ReadonlySet<string> = new Set([
  'event.action',
  'event.category',
  'event.type',
  'event.outcome',
  'event.kind',
  'event.module',
  'event.dataset',
  'data_stream.type',
  'data_stream.dataset',
  'data_stream.namespace',
]);

/** What a document of this kind and dataset holds before anything about the event is known: its
 *  KIND_FIELDS, as eventFields() and the document factory write them (an absent one, such as a
 *  process event's event.outcome, is absent from the documents too). One frozen object per kind
 *  and dataset, so the rules' answer for it can be remembered by identity (RuleSet.wants()). */
export type KindDocument = Readonly<Record<string, unknown>>;

const kindDocuments = new Map<EventKind, Map<Dataset, KindDocument>>();

export function kindDocument(k: EventKind, dataset: Dataset): KindDocument {
  let byDataset = kindDocuments.get(k);
  if (byDataset === undefined) {
    byDataset = new Map();
    kindDocuments.set(k, byDataset);
  }
  let d = byDataset.get(dataset);
  if (d === undefined) {
    const { id: _id, sequence: _sequence, created: _created, ...event } = eventFields('', '', 0, k, dataset);
    d = Object.freeze({
      event: Object.freeze(event),
      data_stream: Object.freeze({ type: 'logs', dataset, namespace: 'default' }),
    });
    byDataset.set(dataset, d);
  }
  return d;
}

/** { id, name? } for a uid or gid; the name only when the database has one */
export function idName(users: UserDb, id: number, kind: 'user' | 'group'): Doc {
  const name = kind === 'user' ? users.userName(id) : users.groupName(id);
  return name === undefined ? { id: String(id) } : { id: String(id), name };
}

/** ECS user.* / group.*: the effective ids (a setuid-root binary is user.id "0"), real ids in Ext.real */
export function userFields(users: UserDb, c: Credentials): { user: Doc; group: Doc } {
  const user = idName(users, c.euid, 'user');
  user.Ext = { real: idName(users, c.uid, 'user') };
  const group = idName(users, c.egid, 'group');
  group.Ext = { real: idName(users, c.gid, 'group') };
  return { user, group };
}

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) becomes IPv4; IPv6 is written in RFC 5952 form. */
const DOTTED_QUAD = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function normalizeIp(addr: string, family: 'ipv4' | 'ipv6'): { ip: string; type: 'ipv4' | 'ipv6' } {
  // the kernel side prints IPv4 in canonical dotted-quad form: skip the parser on the hot path
  if (family === 'ipv4' && DOTTED_QUAD.test(addr)) return { ip: addr, type: 'ipv4' };
  if (!ipaddr.isValid(addr)) return { ip: addr, type: family };
  const a = ipaddr.parse(addr);
  if (a.kind() === 'ipv6') {
    const v6 = a as ipaddr.IPv6;
    if (v6.isIPv4MappedAddress()) return { ip: v6.toIPv4Address().toString(), type: 'ipv4' };
    return { ip: v6.toString(), type: 'ipv6' };
  }
  return { ip: a.toString(), type: 'ipv4' };
}
