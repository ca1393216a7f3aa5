// Draws `eqld alerts show`: the alert's header, its process tree (process-tree.ts) with box
// drawing, each process with pid, user, executable, start and command line, the matched events
// marked (●) on the processes that produced them, and the rule's stages in order, missing-event
// stages as such. Every value from the alert goes through termText(); colour only through the
// Style, so the plain rendering has no escape sequence at all. Pure.
import { getField } from '../../rules/field.js';
import { type AlertTree, buildAlertTree, type Mark, type TreeNode } from './process-tree.js';
import { type Style, severityTone, termText } from './style.js';
import { shortTime } from './table.js';

type Doc = Record<string, unknown>;

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function label(n: TreeNode, style: Style): string {
  const exe = termText(n.executable ?? n.name ?? '?');
  const parts = [style.paint('executable', exe)];
  if (n.pid !== undefined) parts.push(`pid ${n.pid}`);
  if (n.user !== undefined) parts.push(`user ${termText(n.user, 64)}`);
  if (n.start !== undefined) parts.push(`started ${termText(shortTime(n.start), 64)}`);
  const roles: string[] = [];
  if (n.entryLeader !== undefined) roles.push(`entry leader: ${termText(n.entryLeader, 32)}`);
  if (n.sessionLeader) roles.push('session leader');
  if (roles.length > 0) parts.push(style.paint('role', `[${roles.join(', ')}]`));
  return parts.join('  ');
}

function markText(m: Mark, style: Style): string {
  const what = `[${m.stage}] ${termText(m.action, 64)}${m.detail === undefined ? '' : ` → ${termText(m.detail)}`}`;
  const at = m.time === undefined ? '' : `  at ${termText(shortTime(m.time), 64)}`;
  return `${style.paint('match', `● ${what}`)}${at}`;
}

function drawNode(n: TreeNode, lead: string, branch: string, out: string[], style: Style): void {
  out.push(`${lead}${branch}${label(n, style)}`);
  // the lines under a node continue its parent's rail, then its own (if it has children)
  const under = lead + (branch === '' ? '' : branch === '└─ ' ? '   ' : '│  ');
  const rail = n.children.length > 0 ? '│ ' : '  ';
  if (n.commandLine !== undefined)
    out.push(`${under}${rail}  ${style.paint('dim', '$')} ${termText(n.commandLine, 1024)}`);
  for (const m of n.marks) out.push(`${under}${rail}  ${markText(m, style)}`);
  n.children.forEach((c, i) => {
    const last = i === n.children.length - 1;
    if (c.gapAbove) {
      out.push(
        `${under}${last ? '└─ ' : '├─ '}${style.paint('dim', '… (processes between not known to the alert)')}`,
      );
      drawNode(c, `${under}${last ? '   ' : '│  '}`, '└─ ', out, style);
    } else drawNode(c, under, last ? '└─ ' : '├─ ', out, style);
  });
}

function header(alert: Doc, style: Style): string[] {
  const id = str(getField(alert, 'kibana.alert.uuid')) ?? '-';
  const severity = str(getField(alert, 'kibana.alert.severity'));
  const risk = getField(alert, 'kibana.alert.risk_score');
  const ruleName = str(getField(alert, 'kibana.alert.rule.name')) ?? str(getField(alert, 'rule.name')) ?? '-';
  const ruleId = str(getField(alert, 'kibana.alert.rule.rule_id')) ?? str(getField(alert, 'rule.id'));
  const host = str(getField(alert, 'host.name')) ?? str(getField(alert, 'host.hostname'));
  const reason = str(getField(alert, 'kibana.alert.reason')) ?? str(getField(alert, 'message'));
  const sev = `${termText(severity ?? '-', 16)}${typeof risk === 'number' ? ` (risk ${risk})` : ''}`;
  const lines = [
    `${style.paint('heading', 'Alert')} ${termText(id, 128)}`,
    `  rule      ${termText(ruleName, 256)}${ruleId === undefined ? '' : ` (${termText(ruleId, 128)})`}`,
    `  severity  ${style.paint(severityTone(severity), sev)}`,
    `  raised    ${termText(shortTime(str(getField(alert, '@timestamp'))), 64)}${host === undefined ? '' : ` on ${termText(host, 128)}`}`,
  ];
  if (reason !== undefined) lines.push(`  reason    ${termText(reason, 1024)}`);
  return lines;
}

function stageLines(tree: AlertTree, style: Style): string[] {
  const nodes = new Map<string, TreeNode>();
  const walk = (n: TreeNode) => {
    nodes.set(n.key, n);
    for (const c of n.children) walk(c);
  };
  for (const r of tree.roots) walk(r);
  return tree.stages.map((s) => {
    if (s.missing)
      return `  ${style.paint('missing', `[${s.stage}] missing: ${termText(s.description, 1024)}`)}`;
    const n = s.processKey === undefined ? undefined : nodes.get(s.processKey);
    const who = n
      ? ` by ${termText(n.executable ?? n.name ?? '?')}${n.pid === undefined ? '' : ` (pid ${n.pid})`}`
      : '';
    const detail = s.detail === undefined ? '' : ` → ${termText(s.detail)}`;
    return `  [${s.stage}] ${termText(s.action, 64)}${who}${detail}`;
  });
}

/** The lines of `eqld alerts show` for one alert document. */
export function renderAlertTree(alert: Doc, style: Style): string[] {
  const out = header(alert, style);
  const tree = buildAlertTree(alert);
  out.push('', style.paint('heading', 'Process tree (entry leader → … → parent → process)'));
  if (tree.roots.length === 0)
    out.push('  (no process: this alert is about eqld itself or names no process)');
  for (const r of tree.roots) drawNode(r, '', '', out, style);
  if (tree.stages.length > 0)
    out.push('', style.paint('heading', 'Matched events, in stage order'), ...stageLines(tree, style));
  if (getField(alert, 'eqld.lineage') === undefined && tree.roots.length > 0)
    out.push(
      '',
      style.paint('dim', 'The alert carries no eqld.lineage: ancestors are those its events name.'),
    );
  return out;
}
