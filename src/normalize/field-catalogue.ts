// The catalogue of what the normalizer puts in its documents, per event kind (event.category +
// event.action): the fields whose value is the same in every document of the kind (event.*,
// data_stream.*, host.os.type, network.direction), and every other field it may set. It is data,
// not code: `eqld rules check` (src/rules/coverage.ts) reads it to tell whether a rule can ever
// match, and a real-kernel test (test/normalize/parity.kernel.test.ts) checks that every
// field listed here shows up in real events, so the list cannot drift from the normalizer.
// A new event kind is a new entry in EVENT_KINDS; a new field is a name in its kind's set.
// A field listed may still be absent from one document (no user name for an id, a parent not
// found); a field not listed is never set on that kind.

export interface EventKindFields {
  /** event.category and event.action of the kind: its key */
  readonly category: string;
  readonly action: string;
  /** fields with one value in every document of this kind (event.type and event.category are
   *  arrays, as in the documents) */
  readonly constants: Readonly<Record<string, string | readonly string[]>>;
  /** every other field the normalizer may set on documents of this kind (dotted names) */
  readonly fields: ReadonlySet<string>;
}

/** the dotted names `prefix.x` for each x */
const under = (prefix: string, names: readonly string[]): string[] => names.map((n) => `${prefix}.${n}`);

/** In every document (ecs-event.ts, document-factory.ts). */
const COMMON: readonly string[] = [
  '@timestamp',
  'event.id',
  'event.sequence',
  'event.created',
  ...under('host', [
    'id',
    'name',
    'hostname',
    'architecture',
    'os.name',
    'os.version',
    'os.platform',
    'os.family',
    'os.full',
    'os.kernel',
    'ip',
  ]),
  ...under('agent', ['id', 'version']),
  'ecs.version',
  'eqld.unresolved',
];

/** Top-level user.* / group.* (cred-fields.ts): effective ids, real ids in Ext.real. */
const USER: readonly string[] = [
  ...under('user', ['id', 'name', 'Ext.real.id', 'Ext.real.name']),
  ...under('group', ['id', 'name', 'Ext.real.id', 'Ext.real.name']),
];

/** What a process block has for a relative (parent, leader; ecs-process.ts buildRelative). */
const RELATIVE: readonly string[] = [
  'pid',
  'entity_id',
  'executable',
  'name',
  'args',
  'args_count',
  'command_line',
  'start',
  'working_directory',
  'interactive',
  'tty.char_device.major',
  'tty.char_device.minor',
  'user.id',
  'user.name',
  'group.id',
  'group.name',
  'real_user.id',
  'real_user.name',
  'real_group.id',
  'real_group.name',
  // executable, name, args and command_line are in the byte-escaped form (not UTF-8)
  'Ext.bytes_escaped',
];

/** process.* of the acting process, with its parent and leaders (ecs-process.ts ProcessDoc). */
const PROCESS: readonly string[] = [
  ...under('process', RELATIVE),
  ...under('process', [
    'Ext.command_line_truncated',
    'Ext.resolved_executable',
    'thread.capabilities.effective',
    'thread.capabilities.permitted',
    'previous.executable',
    'previous.args',
    'previous.args_count',
  ]),
  ...under('process.parent', RELATIVE),
  ...under('process.group_leader', [...RELATIVE, 'same_as_process']),
  ...under('process.session_leader', [...RELATIVE, 'same_as_process']),
  ...under('process.entry_leader', [
    ...RELATIVE,
    'same_as_process',
    'entry_meta.type',
    'parent.pid',
    'parent.entity_id',
    'parent.start',
  ]),
  'container.id',
];

/** process events carry the variables captured at exec (network events leave them out) */
const PROCESS_EVENT: readonly string[] = [...USER, ...PROCESS, 'process.env_vars'];

const ENDS: readonly string[] = [
  ...under('source', ['address', 'ip', 'port']),
  ...under('destination', ['address', 'ip', 'port']),
  'network.transport',
  'network.type',
];

/** file.* of a file event (ecs-file.ts fileFields); file.Ext.original.* on a rename only. */
const FILE: readonly string[] = [
  ...under('file', ['path', 'name', 'extension', 'directory', 'Ext.bytes_escaped']),
];
const FILE_ORIGINAL: readonly string[] = under('file.Ext.original', ['path', 'name', 'extension']);

/** a connect: its outcome, the errno of a failure */
const CONNECT: readonly string[] = [...ENDS, 'event.outcome', 'error.code', 'error.message'];

/** The constants every document of a kind has. */
function constants(
  category: string,
  action: string,
  type: string,
  dataset: string,
  more: Record<string, string> = {},
): Record<string, string | readonly string[]> {
  return {
    'event.category': [category],
    'event.action': action,
    'event.type': [type],
    'event.kind': 'event',
    'event.module': 'endpoint',
    'event.dataset': dataset,
    'data_stream.type': 'logs',
    'data_stream.dataset': dataset,
    'data_stream.namespace': 'default',
    'host.os.type': 'linux',
    'agent.type': 'eqld',
    ...more,
  };
}

function kind(
  category: string,
  action: string,
  type: string,
  dataset: string,
  fields: readonly string[],
  more?: Record<string, string>,
): EventKindFields {
  return Object.freeze({
    category,
    action,
    constants: Object.freeze(constants(category, action, type, dataset, more)),
    fields: new Set([...COMMON, ...fields]),
  });
}

const PROCESS_DS = 'endpoint.events.process';
const NETWORK_DS = 'endpoint.events.network';
const FILE_DS = 'endpoint.events.file';

/** Every kind of document eqld emits. */
export const EVENT_KINDS: readonly EventKindFields[] = Object.freeze([
  kind('process', 'exec', 'start', PROCESS_DS, PROCESS_EVENT),
  kind('process', 'fork', 'start', PROCESS_DS, PROCESS_EVENT),
  kind('process', 'end', 'end', PROCESS_DS, [...PROCESS_EVENT, 'process.exit_code', 'process.end']),
  kind('process', 'session_id_change', 'change', PROCESS_DS, PROCESS_EVENT),
  kind('process', 'uid_change', 'change', PROCESS_DS, PROCESS_EVENT),
  kind('process', 'gid_change', 'change', PROCESS_DS, PROCESS_EVENT),
  kind('process', 'already_running', 'info', PROCESS_DS, PROCESS_EVENT),
  kind('process', 'load_module', 'start', PROCESS_DS, [
    ...PROCESS_EVENT,
    ...under('process.Ext.load_module', ['name', 'taints', 'taint_flags']),
  ]),
  kind('network', 'connection_attempted', 'start', NETWORK_DS, [...USER, ...PROCESS, ...CONNECT], {
    'network.direction': 'egress',
  }),
  kind('network', 'connection_accepted', 'start', NETWORK_DS, [...USER, ...PROCESS, ...ENDS], {
    'network.direction': 'ingress',
  }),
  kind('network', 'disconnect_received', 'end', NETWORK_DS, [
    ...USER,
    ...PROCESS,
    ...ENDS,
    'source.bytes',
    'destination.bytes',
  ]),
  // file events (ecs-event.ts FILE): event.outcome "unknown" on each, a rename is a "change"
  kind('file', 'creation', 'creation', FILE_DS, [...USER, ...PROCESS, ...FILE], {
    'event.outcome': 'unknown',
  }),
  kind('file', 'rename', 'change', FILE_DS, [...USER, ...PROCESS, ...FILE, ...FILE_ORIGINAL], {
    'event.outcome': 'unknown',
  }),
  kind('file', 'deletion', 'deletion', FILE_DS, [...USER, ...PROCESS, ...FILE], {
    'event.outcome': 'unknown',
  }),
]);

/** The kinds of one event.category. */
export function kindsOfCategory(category: string): EventKindFields[] {
  return EVENT_KINDS.filter((k) => k.category === category);
}
