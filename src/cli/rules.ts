// `eqld rules check [PATH...]`: wiring only. Loads rule files (detection-rules TOML, Kibana
// exports) and prints, per rule, ok / disabled / inactive (needs event kinds eqld does not
// collect) / unsupported / the positioned error, with warnings (exceptions not applied); exit
// status 1 on any error (unsupported rules and warnings alone exit 0).
import type { CommandModule } from 'yargs';
import { BUNDLED_RULES_DIR } from '../rules/bundled.js';
import { checkRules, formatSummary, formatVerdict } from '../rules/check.js';
import { type EqlEngine, eqlEngine } from '../rules/engine.js';

export async function runRulesCheck(
  paths: readonly string[],
  write: (line: string) => void,
  engine?: EqlEngine,
): Promise<number> {
  const { compileQuery } = engine ?? eqlEngine;
  const report = checkRules(paths.length > 0 ? paths : [BUNDLED_RULES_DIR], compileQuery);
  for (const v of report.verdicts) for (const line of formatVerdict(v)) write(line);
  write(formatSummary(report));
  return report.errors > 0 ? 1 : 0;
}

export const rulesCommand: CommandModule = {
  command: 'rules <action>',
  describe: 'Work with detection rule files',
  builder: (y) =>
    y.command({
      command: 'check [paths..]',
      describe:
        'Validate rule files (TOML or Kibana export NDJSON): ok, disabled, inactive (needs events eqld does not collect), unsupported, or a positioned error, with exceptions eqld cannot apply',
      builder: (c) =>
        c.positional('paths', {
          type: 'string',
          array: true,
          describe: 'rule files, Kibana exports or directories (default: bundled rules/)',
        }),
      handler: async (argv) => {
        const paths = ((argv.paths as string[] | undefined) ?? []).map(String);
        try {
          process.exitCode = await runRulesCheck(paths, (l) => process.stdout.write(`${l}\n`));
        } catch (err) {
          process.stderr.write(`eqld rules check: ${(err as Error).message}\n`);
          process.exitCode = 2;
        }
      },
    }),
  handler: () => {},
};
