// `eqld run`: wiring only. Every config key (src/config/schema.ts) is also a flag here; the agent
// itself is src/agent/agent.ts.
import type { CommandModule, Options } from 'yargs';
import { runAgent } from '../agent/agent.js';
import { CONFIG_KEYS, type ConfigKey } from '../config/schema.js';

function option(k: ConfigKey): Options {
  const shown = k.default === undefined ? undefined : JSON.stringify(k.default);
  const where = `[${k.key}${k.live ? ', live' : ''}]`;
  const base: Options = {
    describe: `${k.describe} ${where}`,
    ...(shown === undefined ? {} : { defaultDescription: shown }),
    ...(k.choices ? { choices: [...k.choices] } : {}),
  };
  switch (k.type) {
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'string[]':
      return { ...base, type: 'string', array: true };
    case 'number':
      // no yargs type: a bad value reaches the config validator, which names the flag
      return { ...base, describe: `${base.describe} (integer)`, requiresArg: true };
    default:
      return { ...base, type: 'string', requiresArg: true };
  }
}

export const runCommand: CommandModule = {
  command: 'run',
  describe: 'Run the agent: collector → normalizer → EQL rules → alerts (needs root)',
  builder: (y) => {
    let yy = y
      .option('config', {
        type: 'string',
        requiresArg: true,
        describe: 'config file (TOML); default /etc/eqld/eqld.toml when it exists',
      })
      .epilog(
        'Flags override the config file. Signals: SIGHUP reloads rules and live keys, SIGUSR1 reopens output files, SIGTERM/SIGINT drain and stop.\n' +
          'Exit status: 0 stopped cleanly, 1 internal error, 2 bad config, 3 a precondition is missing (root, bpftrace, tracefs, BTF).',
      );
    for (const k of CONFIG_KEYS) yy = yy.option(k.flag, option(k));
    return yy;
  },
  handler: async (argv) => {
    const flags: Record<string, unknown> = {};
    for (const k of CONFIG_KEYS) flags[k.flag] = argv[k.flag];
    const code = await runAgent({
      ...(typeof argv.config === 'string' ? { configPath: argv.config } : {}),
      flags,
    });
    // every stage has been stopped and flushed; leave no stray handle keeping the process alive
    process.exit(code);
  },
};
