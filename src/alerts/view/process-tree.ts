// The process tree behind one alert, as a model for render-tree.ts: entry leader → session
// leader → … → parent → process, for every process that produced a matched event, with those
// events marked on their processes and every stage of the rule listed (missing-event stages as
// placeholders). Built from the alert document alone: eqld.lineage (the ancestors the process
// table knew when the alert was raised), else the parent and leader blocks of the matched events
// (an alert from `eqld replay`, or one raised when the table had lost the ancestors), with a gap
// marked where the chain between two known processes is not known. Pure.
import { getField } from '../../rules/field.js';
import { destinationOf, matchedEvents } from './alert-view.js';

type Doc = Record<string, unknown>;

export interface Mark {
  /** 1-based stage (position in eqld.matched_events) */
  stage: number;
  action: string;
  category: string | undefined;
  /** destination ip:port, file path, exit code ... */
  detail: string | undefined;
  time: string | undefined;
}

export interface TreeNode {
  key: string;
  pid: number | undefined;
  name: string | undefined;
  executable: string | undefined;
  commandLine: string | undefined;
  user: string | undefined;
  start: string | undefined;
  entryLeader: string | undefined;
  sessionLeader: boolean;
  marks: Mark[];
  children: TreeNode[];
  /** processes not known to the alert lie between this one and the node above it */
  gapAbove: boolean;
}

export type Stage =
  | {
      stage: number;
      missing: false;
      action: string;
      processKey: string | undefined;
      detail: string | undefined;
    }
  | { stage: number; missing: true; description: string };

export interface AlertTree {
  roots: TreeNode[];
  stages: Stage[];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown): Doc | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Doc) : undefined;

/** a process block's key: its entity id, else its pid */
function keyOf(block: Doc | undefined): string | undefined {
  if (!block) return undefined;
  const id = str(block.entity_id);
  if (id !== undefined) return id;
  const pid = num(block.pid);
  return pid === undefined ? undefined : `pid:${pid}`;
}

function userOf(block: Doc): string | undefined {
  const name = str(getField(block, 'user.name'));
  const id = getField(block, 'user.id');
  if (name !== undefined) return name;
  return id === undefined || id === null ? undefined : `uid ${String(id)}`;
}

/** What a placeholder for a missing-event stage says about the stage (its query, when given). */
export function describeMissing(p: Doc): string {
  for (const k of ['query', 'description', 'condition', 'filter']) {
    const v = str(p[k]) ?? str(getField(p, `eqld.${k}`));
    if (v !== undefined) return v;
  }
  const rest = Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'missing'));
  return Object.keys(rest).length > 0 ? JSON.stringify(rest) : 'an event that must not occur';
}

function markDetail(e: Doc): string | undefined {
  const dest = destinationOf(e);
  if (dest !== undefined) return dest;
  const code = getField(e, 'process.exit_code');
  if (typeof code === 'number') return `exit code ${code}`;
  return undefined;
}

class TreeBuilder {
  readonly nodes = new Map<string, TreeNode>();
  readonly parentOf = new Map<string, string>();

  /** adds a process block, or fills in what an earlier block of the same process lacked */
  upsert(block: Doc | undefined): TreeNode | undefined {
    const key = keyOf(block);
    if (!block || key === undefined) return undefined;
    let n = this.nodes.get(key);
    if (!n) {
      n = {
        key,
        pid: undefined,
        name: undefined,
        executable: undefined,
        commandLine: undefined,
        user: undefined,
        start: undefined,
        entryLeader: undefined,
        sessionLeader: false,
        marks: [],
        children: [],
        gapAbove: false,
      };
      this.nodes.set(key, n);
    }
    n.pid ??= num(block.pid);
    n.name ??= str(block.name);
    n.executable ??= str(block.executable);
    n.commandLine ??= str(block.command_line);
    n.user ??= userOf(block);
    n.start ??= str(block.start);
    const up = keyOf(obj(block.parent));
    if (up !== undefined && up !== key && !this.parentOf.has(key)) this.parentOf.set(key, up);
    return n;
  }
}

export function buildAlertTree(alert: Doc): AlertTree {
  const b = new TreeBuilder();
  const lineage = getField(alert, 'eqld.lineage');
  if (Array.isArray(lineage)) for (const a of lineage) b.upsert(obj(a));

  const stages: Stage[] = [];
  const acting: { key: string; entry: string | undefined; session: string | undefined }[] = [];
  const events = matchedEvents(alert);
  // an alert without matched events (a health alert) still has its acting process
  const sources = events.length > 0 ? events : [alert];
  sources.forEach((e, i) => {
    const stage = i + 1;
    if (e.missing === true) {
      stages.push({ stage, missing: true, description: describeMissing(e) });
      return;
    }
    const proc = obj(getField(e, 'process'));
    const node = b.upsert(proc);
    const parent = b.upsert(obj(proc?.parent));
    const entryBlock = obj(proc?.entry_leader);
    const sessionBlock = obj(proc?.session_leader);
    const entry = entryBlock?.same_as_process === true ? node : b.upsert(entryBlock);
    if (entry) entry.entryLeader = str(getField(entryBlock, 'entry_meta.type')) ?? 'unknown';
    const session = sessionBlock?.same_as_process === true ? node : b.upsert(sessionBlock);
    if (session) session.sessionLeader = true;
    if (node && parent) b.parentOf.set(node.key, parent.key);
    const action = str(getField(e, 'event.action')) ?? 'event';
    if (events.length > 0) {
      const detail = markDetail(e);
      const c = getField(e, 'event.category');
      const category = str(Array.isArray(c) ? c[0] : c);
      node?.marks.push({ stage, action, category, detail, time: str(getField(e, '@timestamp')) });
      stages.push({ stage, missing: false, action, processKey: node?.key, detail });
    }
    if (node && !acting.some((a) => a.key === node.key))
      acting.push({ key: node.key, entry: entry?.key, session: session?.key });
  });

  // each acting process's chain up to its entry leader; where the chain breaks, the session and
  // entry leaders (when known) are put above it with a gap between
  const shownParent = new Map<string, { key: string; gap: boolean }>();
  for (const a of acting) {
    const chain = new Set<string>([a.key]);
    let cur = a.key;
    while (cur !== a.entry && !shownParent.has(cur)) {
      const up = b.parentOf.get(cur);
      let next: { key: string; gap: boolean } | undefined;
      if (up !== undefined && b.nodes.has(up) && !chain.has(up)) next = { key: up, gap: false };
      else if (a.session !== undefined && !chain.has(a.session) && a.session !== a.entry)
        next = { key: a.session, gap: true };
      else if (a.entry !== undefined && !chain.has(a.entry)) next = { key: a.entry, gap: true };
      if (next === undefined) break;
      shownParent.set(cur, next);
      chain.add(next.key);
      cur = next.key;
    }
  }

  const roots: TreeNode[] = [];
  const placed = new Set<string>();
  const place = (key: string) => {
    if (placed.has(key)) return;
    placed.add(key);
    const n = b.nodes.get(key) as TreeNode;
    const up = shownParent.get(key);
    if (up === undefined) {
      roots.push(n);
      return;
    }
    place(up.key);
    n.gapAbove = up.gap;
    (b.nodes.get(up.key) as TreeNode).children.push(n);
  };
  for (const a of acting) place(a.key);
  return { roots, stages };
}
