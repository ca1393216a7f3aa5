// The one error type of configuration: it names the offending key so a message like
// "Expected `collector.argv_bytes` in /etc/eqld/eqld.toml to be an integer >= 64, got `-1`"
// points at what to fix. The CLI prints it and exits with status 2.
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(
    message: string,
    /** the config key (`section.key`) at fault, when there is one */
    readonly key?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
