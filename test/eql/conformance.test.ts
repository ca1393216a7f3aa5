// Agreement with the spec tests Elasticsearch runs against its own EQL implementation
// (x-pack/plugin/eql/qa/common/src/main/resources): every case of test_queries.toml,
// additional_test_queries.toml, test_extra.toml and test_missing_events.toml is run over the data
// it is written for, and eqld must return what Elasticsearch returns, except the cases listed with
// their reason in conformance/known-differences.json (and in docs/eql.md). The upstream files are
// not part of this repository (conformance/README.md says which and where from); without them the
// test is skipped with that reason. Run it alone with EQLD_CONFORMANCE_REPORT=1 to print the table.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatReport, runConformance } from './conformance/report.js';
import { missingUpstreamFiles, UPSTREAM_DIR } from './conformance/upstream.js';

const known = JSON.parse(
  readFileSync(new URL('./conformance/known-differences.json', import.meta.url), 'utf8'),
) as Record<string, string>;

const absent = missingUpstreamFiles();
if (absent.length > 0)
  console.warn(
    `Elasticsearch EQL conformance skipped: ${absent.length} upstream file(s) missing from ${UPSTREAM_DIR} (${absent.join(', ')}); see test/eql/conformance/README.md`,
  );

describe.skipIf(absent.length > 0)("Elasticsearch's EQL spec tests", () => {
  it('agree with eqld on every case but the documented differences, each with its reason', () => {
    const out = runConformance();
    if (process.env.EQLD_CONFORMANCE_REPORT === '1') console.log(formatReport(out));
    const differing = out.results
      .filter((r) => r.verdict === 'disagree' || r.verdict === 'rejected')
      .map((r) => `${r.c.file}#${r.c.name}`)
      .sort();
    expect(differing, formatReport(out)).toEqual(Object.keys(known).sort());
    for (const reason of Object.values(known)) expect(reason.length).toBeGreaterThan(40);
    // the data sets hold every event the cases name: nothing is silently left out
    expect(out.results.filter((r) => r.verdict === 'not-runnable').map((r) => r.c.name)).toEqual([]);
    expect(out.results.length).toBeGreaterThan(250);
  });
});
