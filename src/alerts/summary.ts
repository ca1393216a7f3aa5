// The one-line human summary of an alert, for consoles and syslog: the rule name, then the key
// facts of every matched event (executable, pid, parent, and for network events the destination,
// for file events the path).
// A matched event that is the parent of a later one is folded into that child's "child of"
// clause; consecutive events of the same process become "then <action>". Every value from an
// event passes through neutralize(), so a hostile command line cannot forge a second line.
import { getField } from '../rules/field.js';
import { neutralize } from './neutralize.js';

type Doc = Record<string, unknown>;

function s(doc: Doc, name: string): string | undefined {
  const v = getField(doc, name);
  return v === undefined || v === null || v === '' ? undefined : neutralize(v, 200);
}

function basename(p: string | undefined): string | undefined {
  return p?.slice(p.lastIndexOf('/') + 1) || undefined;
}

function destination(doc: Doc): string | undefined {
  const ip = s(doc, 'destination.ip') ?? s(doc, 'destination.address');
  if (ip === undefined) return undefined;
  const port = s(doc, 'destination.port');
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return port === undefined ? host : `${host}:${port}`;
}

function isCategory(doc: Doc, cat: string): boolean {
  const c = getField(doc, 'event.category');
  return Array.isArray(c) ? c.includes(cat) : c === cat;
}

function parentClause(doc: Doc, events: readonly Doc[]): string {
  const parentId = getField(doc, 'process.parent.entity_id');
  const parentEvent =
    parentId === undefined ? undefined : events.find((e) => getField(e, 'process.entity_id') === parentId);
  const exe =
    s(doc, 'process.parent.executable') ??
    (parentEvent && s(parentEvent, 'process.executable')) ??
    s(doc, 'process.parent.name') ??
    (parentEvent && s(parentEvent, 'process.name'));
  const pid = s(doc, 'process.parent.pid') ?? (parentEvent && s(parentEvent, 'process.pid'));
  if (exe === undefined && pid === undefined) return '';
  const grand =
    parentEvent &&
    (s(parentEvent, 'process.parent.name') ?? basename(s(parentEvent, 'process.parent.executable')));
  return `, child of ${exe ?? '?'}${pid !== undefined ? ` pid ${pid}` : ''}${grand ? ` from ${grand}` : ''}`;
}

/** a file event's path, and for a rename the path it had before: `old -> new` */
function filePaths(doc: Doc): string | undefined {
  const path = s(doc, 'file.path');
  if (path === undefined) return undefined;
  const old = s(doc, 'file.Ext.original.path');
  return old === undefined ? path : `${old} -> ${path}`;
}

function facts(doc: Doc): string {
  const dest = isCategory(doc, 'network') ? destination(doc) : undefined;
  if (dest) return ` -> ${dest}`;
  const action = s(doc, 'event.action');
  const file = isCategory(doc, 'file') ? filePaths(doc) : undefined;
  if (file) return ` [${action ?? 'file'} ${file}]`;
  return action && action !== 'exec' ? ` [${action}]` : '';
}

export function summarize(ruleName: string, events: readonly Doc[]): string {
  const parts: string[] = [];
  let prevEntity: unknown;
  events.forEach((doc, i) => {
    const entity = getField(doc, 'process.entity_id');
    const isParentOfLater =
      entity !== undefined &&
      !isCategory(doc, 'network') &&
      events.slice(i + 1).some((later) => getField(later, 'process.parent.entity_id') === entity);
    if (isParentOfLater) return;
    if (entity !== undefined && entity === prevEntity) {
      const action = s(doc, 'event.action') ?? 'event';
      const dest = isCategory(doc, 'network') ? destination(doc) : undefined;
      parts.push(`then ${action}${dest ? ` -> ${dest}` : ''}`);
    } else {
      const exe = s(doc, 'process.executable') ?? s(doc, 'process.name') ?? '?';
      const pid = s(doc, 'process.pid');
      parts.push(`${exe} (pid ${pid ?? '?'}${parentClause(doc, events)})${facts(doc)}`);
    }
    prevEntity = entity;
  });
  return `${neutralize(ruleName, 200)}: ${parts.join('; ')}`;
}
