// The I/O edge of configuration: reads the config file (default /etc/eqld/eqld.toml; a missing
// default file is fine, a missing explicit one is an error) and the tuning file, then hands the
// texts to resolveConfig().
import { existsSync, readFileSync } from 'node:fs';
import { ConfigError } from './config-error.js';
import { type EqldConfig, resolveConfig } from './resolve-config.js';

export const DEFAULT_CONFIG_PATH = '/etc/eqld/eqld.toml';

export interface LoadConfigOptions {
  /** --config; when absent the default path is read if it exists */
  path?: string;
  flags?: Record<string, unknown>;
}

export interface LoadedConfig {
  config: EqldConfig;
  /** the file actually read, if any */
  path?: string;
}

function readText(path: string, what: string, key?: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`Cannot read ${what} ${path}: ${(err as Error).message}`, key, { cause: err });
  }
}

export function loadConfig(opts: LoadConfigOptions = {}): LoadedConfig {
  const path = opts.path ?? (existsSync(DEFAULT_CONFIG_PATH) ? DEFAULT_CONFIG_PATH : undefined);
  const fileText = path === undefined ? undefined : readText(path, 'config file', undefined);
  // the tuning file can be named in the file or by flag: resolve once without it to learn the path
  const first = resolveConfig({ fileText, filePath: path, flags: opts.flags });
  const tuningFile = first.rules.tuningFile;
  if (tuningFile === undefined) return { config: first, path };
  const tuningJson = readText(tuningFile, 'tuning file', 'rules.tuning_file');
  return { config: resolveConfig({ fileText, filePath: path, flags: opts.flags, tuningJson }), path };
}
