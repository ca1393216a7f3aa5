// The table `eqld alerts` prints: one line per alert with fixed column widths (so `-f` can print
// rows as they come, aligned with the header), long values cut with `…` (paths keep their end,
// names their start). Every value passes through termText(); colour comes from the Style. Pure.
import type { AlertView } from './alert-view.js';
import { type Style, severityTone, termText } from './style.js';

interface Column {
  title: string;
  width: number;
  /** which end of a long value is kept */
  keep: 'start' | 'end';
}

const COLUMNS = {
  id: { title: 'ID', width: 12, keep: 'start' },
  time: { title: 'TIME', width: 20, keep: 'start' },
  severity: { title: 'SEVERITY', width: 8, keep: 'start' },
  rule: { title: 'RULE', width: 36, keep: 'start' },
  host: { title: 'HOST', width: 14, keep: 'start' },
  process: { title: 'PROCESS', width: 28, keep: 'end' },
  destination: { title: 'DESTINATION', width: 40, keep: 'end' },
} as const satisfies Record<string, Column>;

type ColumnName = keyof typeof COLUMNS;
const ORDER: readonly ColumnName[] = ['id', 'time', 'severity', 'rule', 'host', 'process', 'destination'];
const GAP = '  ';

/** `text` cut to `width` characters (code points) with `…`, padded unless it is the last column */
function fitCell(text: string, c: Column, last: boolean): string {
  const chars = [...text];
  let out = text;
  if (chars.length > c.width) {
    out =
      c.keep === 'start'
        ? `${chars.slice(0, c.width - 1).join('')}…`
        : `…${chars.slice(-(c.width - 1)).join('')}`;
  }
  return last ? out : out.padEnd(c.width + (out.length - [...out].length));
}

/** `2026-11-24T12:00:05.123Z` → `2026-11-24T12:00:05Z`; anything else as it is */
export function shortTime(iso: string | undefined): string {
  if (iso === undefined) return '-';
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.\d+)?Z$/.exec(iso);
  return m ? `${m[1]}Z` : iso;
}

function cells(v: AlertView): Record<ColumnName, string> {
  const name = v.ruleName ?? v.ruleId ?? '-';
  const rule = v.kind === 'suppressed' ? `${name} (+${v.suppressedCount ?? '?'} suppressed)` : name;
  const proc = v.process
    ? `${v.process.executable ?? '?'}${v.process.pid === undefined ? '' : ` (${v.process.pid})`}`
    : '-';
  return {
    id: v.id === undefined ? '-' : v.id.slice(0, COLUMNS.id.width),
    time: shortTime(v.time),
    severity: v.severity ?? '-',
    rule,
    host: v.host ?? '-',
    process: proc,
    destination: v.destination ?? '-',
  };
}

export function tableHeader(style: Style): string {
  return ORDER.map((k, i) => fitCell(COLUMNS[k].title, COLUMNS[k], i === ORDER.length - 1))
    .join(GAP)
    .replace(/\s+$/, '')
    .replace(/^.*$/, (line) => style.paint('heading', line));
}

export function tableRow(v: AlertView, style: Style): string {
  const c = cells(v);
  return ORDER.map((k, i) => {
    const text = fitCell(termText(c[k], 1024), COLUMNS[k], i === ORDER.length - 1);
    if (k === 'severity') return style.paint(severityTone(v.severity), text);
    if (k === 'id') return style.paint('dim', text);
    return text;
  }).join(GAP);
}
