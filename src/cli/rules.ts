// `eqld rules check [PATH...]`: wiring only. Loads rule files and prints, per rule, ok / inactive
// (needs event kinds eqld does not collect) / the positioned error; exit status 1 on any error.
import type { CommandModule } from 'yargs';
import { BUNDLED_RULES_DIR } from '../rules/bundled.js';
import { checkRules, formatVerdict } from '../rules/check.js';
import { type EqlEngine, eqlEngine } from '../rules/engine.js';

export async function runRulesCheck(
  paths: readonly string[],
  write: (line: string) => void,
  engine?: EqlEngine,
): Promise<number> {
  const { compileQuery } = engine ?? eqlEngine;
  const report = checkRules(paths.length > 0 ? paths : [BUNDLED_RULES_DIR], compileQuery);
  for (const v of report.verdicts) write(formatVerdict(v));
  write(
    `${report.verdicts.length} files/rules: ${report.ok} ok, ${report.inactive} inactive, ${report.errors} errors`,
  );
  return report.errors > 0 ? 1 : 0;
}

export const rulesCommand: CommandModule = {
  command: 'rules <action>',
  describe: 'Work with detection rule files',
  builder: (y) =>
    y.command({
      command: 'check [paths..]',
      describe:
        'Validate rule files: ok, inactive (needs events eqld does not collect), or a positioned error',
      builder: (c) =>
        c.positional('paths', {
          type: 'string',
          array: true,
          describe: 'rule files or directories (default: bundled rules/)',
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
