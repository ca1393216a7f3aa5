// How the CLI reports a usage error (unknown flag, bad choice, bad value, missing argument) for
// every subcommand: the reason on the first line, one pointer to --help on the second, exit
// status 2 — never the whole help text first, and never status 1, which docs/operations.md keeps
// for internal errors (the systemd unit's RestartPreventExitStatus=2 stops a restart loop on a
// typo in ExecStart). Also the coerce helpers that turn a bad flag value into such an error.

export const USAGE_EXIT = 2;

/** The subcommand named on the command line (`eqld rules check` → `rules check`), for messages. */
export function commandName(args: readonly string[], commands: readonly string[]): string {
  const first = args.find((a) => !a.startsWith('-'));
  if (first === undefined || !commands.includes(first)) return 'eqld';
  const second = args[args.indexOf(first) + 1];
  // commands with subcommands of their own: `eqld rules check`, `eqld alerts show`
  return (first === 'rules' || first === 'alerts') &&
    second !== undefined &&
    ['check', 'show'].includes(second)
    ? `eqld ${first} ${second}`
    : `eqld ${first}`;
}

/** The two lines of a usage error: `eqld run: <reason>` and the pointer to --help. */
export function usageLines(command: string, reason: string): string[] {
  const oneLine = reason.replace(/\s*\n\s*/g, ' ').trim();
  return [`${command}: ${oneLine}`, `See \`${command} --help\`.`];
}

/** yargs coerce: a number, optionally bounded; throws a message that names the flag. */
export function numberFlag(flag: string, opts: { min?: number; max?: number; integer?: boolean } = {}) {
  return (raw: unknown): number | undefined => {
    if (raw === undefined) return undefined;
    const v = typeof raw === 'number' ? raw : Number(raw);
    const kind = opts.integer ? 'an integer' : 'a number';
    const range = [
      opts.min === undefined ? '' : ` >= ${opts.min}`,
      opts.max === undefined ? '' : `${opts.min === undefined ? '' : ' and'} <= ${opts.max}`,
    ].join('');
    const ok =
      Number.isFinite(v) &&
      (!opts.integer || Number.isInteger(v)) &&
      (opts.min === undefined || v >= opts.min) &&
      (opts.max === undefined || v <= opts.max);
    if (!ok) throw new Error(`Expected --${flag} to be ${kind}${range}, got \`${String(raw)}\``);
    return v;
  };
}
