// Runs every loaded spec case and summarises agreement per spec file, in the form docs/eql.md
// quotes ("agree / runnable"); rejected queries count as disagreements.
import { type CaseResult, runCase } from './run-case.js';
import { loadSuites } from './upstream.js';

export interface FileSummary {
  file: string;
  cases: number;
  runnable: number;
  agree: number;
}

export function runConformance(): { results: CaseResult[]; files: FileSummary[] } {
  const results: CaseResult[] = [];
  for (const s of loadSuites()) for (const c of s.cases) results.push(runCase(c, s.data));
  const byFile = new Map<string, FileSummary>();
  for (const r of results) {
    const f = byFile.get(r.c.file) ?? { file: r.c.file, cases: 0, runnable: 0, agree: 0 };
    f.cases++;
    if (r.verdict !== 'not-runnable') f.runnable++;
    if (r.verdict === 'agree') f.agree++;
    byFile.set(r.c.file, f);
  }
  return { results, files: [...byFile.values()] };
}

export function formatReport(out: ReturnType<typeof runConformance>): string {
  const lines = ['file | cases | runnable | agree | %'];
  for (const f of out.files)
    lines.push(
      `${f.file} | ${f.cases} | ${f.runnable} | ${f.agree} | ${((100 * f.agree) / f.runnable).toFixed(1)}`,
    );
  for (const r of out.results)
    if (r.verdict !== 'agree')
      lines.push(
        `  ${r.verdict} ${r.c.file}#${r.c.name}: ${r.error ?? `got ${JSON.stringify(r.got)} keys ${JSON.stringify(r.gotKeys)}, want ${JSON.stringify(r.c.expected)} keys ${JSON.stringify(r.c.joinKeys)}`}`,
      );
  return lines.join('\n');
}
