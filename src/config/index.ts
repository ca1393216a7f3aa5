// Public surface of src/config: the key table, the typed config, and loading it.
export { ConfigError } from './config-error.js';
export { formatListenAddress, type ListenAddress, parseListenAddress } from './listen-address.js';
export { DEFAULT_CONFIG_PATH, type LoadConfigOptions, type LoadedConfig, loadConfig } from './load-config.js';
export {
  type ConfigLayers,
  type EqldConfig,
  type LogLevel,
  resolveConfig,
  restartOnlyChanges,
} from './resolve-config.js';
export { CONFIG_KEYS, type ConfigKey } from './schema.js';
