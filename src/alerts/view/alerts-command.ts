// What `eqld alerts` and `eqld alerts show` do, given the file to read and where to write: list
// the alerts that pass the filters (a table, or the documents as NDJSON), follow the file, or draw
// one alert's process tree. The CLI (src/cli/alerts.ts) resolves the file and the flags and hands
// over its streams; the exit status is returned, never process.exit here.
import { type AlertFilter, matches } from './alert-filter.js';
import type { AlertView } from './alert-view.js';
import { followLines } from './follow-file.js';
import { AlertLineParser, findAlert, readAlerts } from './read-alerts.js';
import { renderAlertTree } from './render-tree.js';
import type { Style } from './style.js';
import { tableHeader, tableRow } from './table.js';

export interface AlertsIo {
  out: (line: string) => void;
  err: (line: string) => void;
  style: Style;
}

export interface ListOptions {
  file: string;
  filter: AlertFilter;
  json: boolean;
  follow: boolean;
  signal?: AbortSignal;
  pollMs?: number;
}

/** exit status: 0 done, 1 the file could not be read */
export const ALERTS_EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function readError(file: string, err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return `cannot read ${file}: no such file`;
  if (code === 'EACCES')
    return `cannot read ${file}: permission denied (the alerts file is root's, mode 0600 or 0640: use sudo, or a group with output.file_mode 0640)`;
  if (code === 'EISDIR') return `cannot read ${file}: it is a directory`;
  return `cannot read ${file}: ${(err as Error).message}`;
}

function reportProblems(parser: AlertLineParser, file: string, io: AlertsIo): void {
  const p = parser.problems;
  if (p.count === 0) return;
  io.err(`eqld alerts: ${p.count} line(s) of ${file} skipped:`);
  for (const line of p.first) io.err(`  ${line}`);
}

export async function runAlertsList(opts: ListOptions, io: AlertsIo): Promise<number> {
  let headed = opts.json;
  const print = (v: AlertView) => {
    if (!headed) io.out(tableHeader(io.style));
    headed = true;
    io.out(opts.json ? JSON.stringify(v.doc) : tableRow(v, io.style));
  };
  const parser = new AlertLineParser();
  if (opts.follow) {
    if (!headed) io.out(tableHeader(io.style));
    headed = true;
    let reported = 0;
    await followLines(
      opts.file,
      (line) => {
        const v = parser.parse(line);
        if (v !== undefined && matches(v, opts.filter)) print(v);
        // a bad line is said when it is read: a follower never reaches an end to report at
        while (reported < parser.problems.first.length)
          io.err(`eqld alerts: ${opts.file}: ${parser.problems.first[reported++]}`);
      },
      {
        intervalMs: opts.pollMs ?? 250,
        onNote: (n) => io.err(`eqld alerts: ${n}`),
        onRestart: () => parser.restart(),
        ...(opts.signal ? { signal: opts.signal } : {}),
      },
    ).catch((err: unknown) => {
      throw new Error(readError(opts.file, err), { cause: err });
    });
    return ALERTS_EXIT.ok;
  }
  try {
    let shown = 0;
    for await (const v of readAlerts(opts.file, parser)) {
      if (!matches(v, opts.filter)) continue;
      print(v);
      shown++;
    }
    if (shown === 0) io.err('eqld alerts: no alert matches');
  } catch (err) {
    io.err(`eqld alerts: ${readError(opts.file, err)}`);
    return ALERTS_EXIT.failed;
  }
  reportProblems(parser, opts.file, io);
  return ALERTS_EXIT.ok;
}

export interface ShowOptions {
  file: string;
  id: string;
  json: boolean;
}

export async function runAlertsShow(opts: ShowOptions, io: AlertsIo): Promise<number> {
  const parser = new AlertLineParser();
  let result: Awaited<ReturnType<typeof findAlert>>;
  try {
    result = await findAlert(opts.file, opts.id, parser);
  } catch (err) {
    io.err(`eqld alerts show: ${readError(opts.file, err)}`);
    return ALERTS_EXIT.failed;
  }
  if ('ambiguous' in result) {
    io.err(
      `eqld alerts show: \`${opts.id}\` is the start of ${result.ambiguous.length} alert ids; give more of it:`,
    );
    for (const id of result.ambiguous.slice(0, 10)) io.err(`  ${id}`);
    return ALERTS_EXIT.failed;
  }
  if ('notFound' in result) {
    io.err(`eqld alerts show: no alert with id \`${opts.id}\` in ${opts.file}`);
    reportProblems(parser, opts.file, io);
    return ALERTS_EXIT.failed;
  }
  if (opts.json) io.out(JSON.stringify(result.found.doc));
  else for (const line of renderAlertTree(result.found.doc, io.style)) io.out(line);
  return ALERTS_EXIT.ok;
}
